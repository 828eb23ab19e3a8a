//! [`Executor`] and its [`Builder`]: the one place a runtime is assembled.

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::sync::{Arc, Weak};
use std::time::Duration;

use corio_core::{Clock, DriverStack, ParkThread};

use crate::blocking::BlockingPool;
use crate::debug::{debug_from_env, DebugConfig, SlowPollHook, DEFAULT_SLOW_POLL_THRESHOLD};
use crate::handle::{SpawnerImpl, WeakHandle};
use crate::scheduler::{Common, Config, Scheduler};
use crate::task::JoinHandle;
use crate::{current_thread, multi_thread, Handle, SlowPoll};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

/// Configures and builds a runtime: the scheduler flavor, its threads, virtual time,
/// debug mode, a scheduling seed, and the driver stack `S` it parks on.
///
/// This is the one builder of corio: a bare executor is `Builder<ParkThread>` (no
/// timer, no I/O; [`Executor::builder_current_thread`], [`Executor::builder_multi_thread`]),
/// and the `corio` facade's `Runtime::builder()` is this builder with its timer-over-
/// reactor stack. The stack is a [`DriverStack`]: a factory from the runtime's clock to
/// the driver and the base runtime context.
///
/// # Examples
///
/// ```
/// use corio_executor::Builder;
///
/// let rt = Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 }), 1);
///
/// // Bad input is an error, not a panic.
/// let err = Builder::new_multi_thread().worker_threads(0).build().unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<S: DriverStack = ParkThread> {
    flavor: Flavor,
    stack: S,
    worker_threads: Option<usize>,
    thread_name: Option<String>,
    start_paused: bool,
    max_blocking_threads: usize,
    keep_alive: Duration,
    event_interval: u32,
    global_queue_interval: u32,
    debug: Option<bool>,
    slow_poll_threshold: Duration,
    slow_poll_hook: Option<SlowPollHook>,
    rng_seed: Option<u64>,
    shutdown_grace: Duration,
}

/// How long shutdown lets cancelled tasks run their cleanup unless
/// [`Builder::shutdown_grace`] says otherwise.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The most worker threads a multi-thread executor accepts.
pub const MAX_WORKER_THREADS: usize = 1 << 15;

impl Builder<ParkThread> {
    /// A single-threaded executor: tasks run on the thread that calls `block_on`.
    pub fn new_current_thread() -> Self {
        Builder::with_stack(ParkThread::new()).current_thread()
    }

    /// A work-stealing executor with one worker thread per core by default.
    pub fn new_multi_thread() -> Self {
        Builder::with_stack(ParkThread::new())
    }
}

impl<S: DriverStack> Builder<S> {
    /// A multi-thread builder that parks on the driver stack `stack`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_core::{Driver, ParkThread};
    /// use corio_executor::Builder;
    ///
    /// // Any driver can be the stack (here a plain parker, boxed).
    /// let driver: Box<dyn Driver> = Box::new(ParkThread::new());
    /// let rt = Builder::with_stack(driver).current_thread().build().unwrap();
    /// assert_eq!(rt.block_on(async { 3 }), 3);
    /// ```
    pub fn with_stack(stack: S) -> Self {
        Builder {
            flavor: Flavor::MultiThread,
            stack,
            worker_threads: None,
            thread_name: None,
            start_paused: false,
            max_blocking_threads: 512,
            keep_alive: Duration::from_secs(10),
            event_interval: 61,
            global_queue_interval: 31,
            debug: None,
            slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
            slow_poll_hook: None,
            rng_seed: None,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// Runs the runtime's I/O on io_uring (batched submissions, completion reads and
    /// writes) instead of epoll; when the kernel refuses io_uring, the runtime falls
    /// back to epoll with a one-line notice on stderr. `CORIO_IO=uring` does the same
    /// without code changes (this call wins over the variable). Only stacks with I/O
    /// ([`SelectIo`](corio_core::SelectIo)) have it; `corio::runtime::Drivers` shows an
    /// example.
    pub fn io_uring(mut self) -> Self
    where
        S: corio_core::SelectIo,
    {
        self.stack.select_io(corio_core::IoDriver::IoUring);
        self
    }

    /// Runs the runtime's I/O on epoll, whatever `CORIO_IO` says.
    pub fn epoll(mut self) -> Self
    where
        S: corio_core::SelectIo,
    {
        self.stack.select_io(corio_core::IoDriver::Epoll);
        self
    }

    /// Runs every task on the thread that calls `block_on` (asyncio's model).
    pub fn current_thread(mut self) -> Self {
        self.flavor = Flavor::CurrentThread;
        self
    }

    /// Runs tasks on a pool of work-stealing worker threads (the default).
    pub fn multi_thread(mut self) -> Self {
        self.flavor = Flavor::MultiThread;
        self
    }

    /// Number of worker threads (multi-thread only; default: available parallelism).
    /// `0` makes [`build`](Self::build) fail with `InvalidInput`.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// Name of the runtime's threads (default `corio-worker`; blocking-pool threads get
    /// `corio-blocking`, or this name when set).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// Starts with virtual time paused: the clock only moves by `advance`, or (with a
    /// timer in the stack) by jumping to the next timer whenever every task is idle,
    /// so `sleep`s complete in order without waiting (for deterministic tests).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio_executor::Builder::new_current_thread().start_paused(true).build().unwrap();
    /// assert!(rt.handle().clock().is_paused());
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.start_paused = paused;
        self
    }

    /// Most blocking-pool threads (default 512). Jobs beyond it wait in a queue.
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread lives (default 10 s).
    pub fn thread_keep_alive(mut self, d: Duration) -> Self {
        self.keep_alive = d;
        self
    }

    /// Scheduler ticks between driver polls while busy (default 61).
    pub fn event_interval(mut self, n: u32) -> Self {
        self.event_interval = n;
        self
    }

    /// Scheduler ticks between global-queue checks while busy (default 31).
    pub fn global_queue_interval(mut self, n: u32) -> Self {
        self.global_queue_interval = n;
        self
    }

    /// Debug mode, asyncio's `loop.set_debug(True)`, off by default: every poll of a
    /// task (and of the `block_on` future) is timed, and one that keeps its thread busy
    /// for at least the [slow-poll threshold](Self::slow_poll_threshold) is reported to
    /// the [hook](Self::on_slow_poll) (default: one line to stderr) with the task's id,
    /// name and spawn location; task dumps also show how long ago each task was last
    /// polled.
    ///
    /// When this is not called, the `CORIO_DEBUG` environment variable decides, read by
    /// [`build`](Self::build) (like `PYTHONASYNCIODEBUG`): set to anything but the empty
    /// string, `0`, `false`, `no` or `off` (case-insensitive), it turns debug mode on;
    /// those values, or no variable, leave it off. An explicit call wins over the
    /// variable, either way.
    ///
    /// Off, it costs one predictable branch per poll. On, two clock reads per poll and
    /// one more small allocation per spawned task (for the last-poll time).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use corio_executor::{task, Builder};
    ///
    /// let slow = Arc::new(Mutex::new(Vec::new()));
    /// let log = slow.clone();
    /// let rt = Builder::new_current_thread()
    ///     .debug(true)
    ///     .slow_poll_threshold(Duration::ZERO) // report every poll, for the example
    ///     .on_slow_poll(move |p| log.lock().unwrap().push(p.name().map(str::to_owned)))
    ///     .build()
    ///     .unwrap();
    /// assert!(rt.handle().is_debug());
    /// rt.block_on(async {
    ///     // A real slow poll would be a blocking call such as `std::thread::sleep`.
    ///     task::Builder::new().name("blocker").spawn(async {}).await.unwrap();
    /// });
    /// assert!(slow.lock().unwrap().contains(&Some("blocker".to_owned())));
    /// ```
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = Some(on);
        self
    }

    /// How long a single poll may take before debug mode reports it (default 100 ms,
    /// asyncio's `slow_callback_duration`). No effect unless debug mode is on.
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Self {
        self.slow_poll_threshold = threshold;
        self
    }

    /// Where debug mode reports slow polls (default: one line to stderr). The hook runs
    /// on the thread that made the slow poll, right after it; keep it short. A panic in
    /// the hook is caught and printed. No effect unless debug mode is on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use corio_executor::Builder;
    ///
    /// let slow = Arc::new(AtomicUsize::new(0));
    /// let counter = slow.clone();
    /// let rt = Builder::new_current_thread()
    ///     .debug(true)
    ///     .slow_poll_threshold(Duration::ZERO) // report every poll
    ///     .on_slow_poll(move |_| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { corio_executor::spawn(async {}).await.unwrap() });
    /// assert!(slow.load(Ordering::Relaxed) >= 2); // the task and the block_on future
    /// ```
    pub fn on_slow_poll<F>(mut self, hook: F) -> Self
    where
        F: Fn(&SlowPoll<'_>) + Send + Sync + 'static,
    {
        self.slow_poll_hook = Some(Arc::new(hook));
        self
    }

    /// Makes the scheduling order random but reproducible from `seed`, to shake out
    /// order-dependent bugs (a test that passes under one interleaving and fails under
    /// another) and replay a failing one.
    ///
    /// - Current-thread: each time the scheduler picks the next task, it takes a random
    ///   one of the tasks waiting in its local queue (the tasks woken on the runtime's
    ///   thread) instead of the oldest, and `select!`/`race` draw their first branch
    ///   from the runtime's seeded stream. The same seed and the same program give the
    ///   same interleaving, as long as nothing outside the runtime's thread intervenes:
    ///   tasks woken from other threads (blocking-pool results, real I/O readiness,
    ///   wall-clock timers) arrive when they arrive and are taken in arrival order.
    ///   With [`start_paused`](Self::start_paused) virtual time, timers are
    ///   deterministic too.
    /// - Multi-thread: the seed drives the workers' choice of steal victims. Thread
    ///   timing makes the schedule non-reproducible there; use a current-thread runtime
    ///   to replay a seed.
    ///
    /// Without a seed (the default), the local queue is FIFO and nothing changes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use corio_executor::{spawn, yield_now, Builder};
    ///
    /// fn trace(seed: u64) -> Vec<u32> {
    ///     let rt = Builder::new_current_thread().rng_seed(seed).build().unwrap();
    ///     let log = Arc::new(Mutex::new(Vec::new()));
    ///     rt.block_on(async {
    ///         let tasks: Vec<_> = (0..4)
    ///             .map(|i| {
    ///                 let log = log.clone();
    ///                 spawn(async move {
    ///                     for _ in 0..3 {
    ///                         log.lock().unwrap().push(i);
    ///                         yield_now().await;
    ///                     }
    ///                 })
    ///             })
    ///             .collect();
    ///         for t in tasks {
    ///             t.await.unwrap();
    ///         }
    ///     });
    ///     let log = log.lock().unwrap().clone();
    ///     log
    /// }
    /// assert_eq!(trace(42), trace(42)); // replayable
    /// ```
    pub fn rng_seed(mut self, seed: u64) -> Self {
        self.rng_seed = Some(seed);
        self
    }

    /// How long shutdown lets the tasks still running run their async cleanup (default
    /// [`DEFAULT_SHUTDOWN_GRACE`], 5 s), asyncio's `run` cancelling and awaiting the
    /// tasks left when its main coroutine returns.
    ///
    /// When the runtime is dropped (the end of `corio::run` and of `#[corio::main]`
    /// too) or shut down with [`Executor::shutdown_timeout`]:
    /// 1. every task still alive gets the soft cancel [`JoinHandle::cancel`] sends, once:
    ///    a task with no cancel handler is dropped at its next scheduling point; one in a
    ///    [`task::finally`](crate::task::finally) (or `catch_cancel`, `shielded`) body
    ///    runs it, awaits included, on the running runtime;
    /// 2. tasks spawned meanwhile run, and get the cancel once the previous ones are
    ///    gone; this repeats until no task is left;
    /// 3. when `grace` has passed (on the runtime's clock: a paused clock jumps to it
    ///    once every task is idle), every future still alive is dropped, as
    ///    [`JoinHandle::abort`] does: a cleanup that never ends is dropped there, and the
    ///    call returns.
    ///
    /// `Duration::ZERO` drops every future at once (no cleanup runs); `Duration::MAX`
    /// waits for the cleanups however long they take. `shutdown_timeout(t)` bounds the
    /// grace by `t` too. A runtime shut down from one of its own workers, or from inside
    /// a `block_on`, drops the futures at once: that thread cannot wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use corio_executor::{spawn, task, yield_now, Builder};
    ///
    /// let rt = Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .shutdown_grace(Duration::from_secs(1))
    ///     .build()
    ///     .unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// rt.block_on(async {
    ///     let started = tx.clone();
    ///     let _conn = spawn(task::finally(
    ///         async move {
    ///             started.send("serving").unwrap();
    ///             std::future::pending::<()>().await // serve forever
    ///         },
    ///         move || async move {
    ///             yield_now().await; // async cleanup: it may await
    ///             tx.send("flushed").unwrap();
    ///         },
    ///     ));
    ///     while rx.try_recv().is_err() {
    ///         yield_now().await; // until the task is serving
    ///     }
    /// }); // the task is left running ...
    /// drop(rt); // ... so shutdown cancels it and lets its cleanup finish
    /// assert_eq!(rx.recv().unwrap(), "flushed");
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Builds the runtime: the clock (paused if asked), the driver stack on it, then
    /// the schedulers, starting the worker threads.
    ///
    /// # Errors
    /// `InvalidInput` for a zero or too large `worker_threads`, a zero
    /// `max_blocking_threads`, `event_interval` or `global_queue_interval`; the OS error
    /// if the driver stack or a worker thread cannot be created.
    pub fn build(self) -> io::Result<Executor<S>> {
        let invalid = |msg: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, msg.to_string()));
        let workers = match self.worker_threads {
            Some(0) => return invalid("`worker_threads` must be at least 1"),
            Some(n) if n > MAX_WORKER_THREADS => {
                return invalid("`worker_threads` must be at most 32768")
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if self.max_blocking_threads == 0 {
            return invalid("`max_blocking_threads` must be at least 1");
        }
        if self.event_interval == 0 || self.global_queue_interval == 0 {
            return invalid("`event_interval` and `global_queue_interval` must be at least 1");
        }
        let clock = if self.start_paused {
            Clock::new_paused()
        } else {
            Clock::new()
        };
        let (driver, mut base) = self.stack.build(clock)?;
        if let Some(seed) = self.rng_seed {
            base = base.with_rng_seed(seed);
        }
        let config = Config {
            event_interval: self.event_interval,
            global_queue_interval: self.global_queue_interval,
            thread_name: self
                .thread_name
                .clone()
                .unwrap_or_else(|| "corio-worker".to_string()),
            rng_seed: self.rng_seed,
            shutdown_grace: self.shutdown_grace,
        };
        let pool = BlockingPool::new(
            self.max_blocking_threads,
            self.keep_alive,
            self.thread_name
                .clone()
                .unwrap_or_else(|| "corio-blocking".to_string()),
        );
        let debug = self
            .debug
            .unwrap_or_else(debug_from_env)
            .then(|| DebugConfig::new(self.slow_poll_threshold, self.slow_poll_hook.clone()));
        let spawner = |weak: WeakHandle| Arc::new(SpawnerImpl(weak));
        match self.flavor {
            Flavor::CurrentThread => {
                let shared = Arc::new_cyclic(|weak: &Weak<current_thread::Shared>| {
                    let cx = base.with_spawner(spawner(WeakHandle::CurrentThread(weak.clone())));
                    current_thread::Shared::new(Common::new(1, cx, pool, config, debug), driver)
                });
                Ok(Executor {
                    handle: Handle {
                        inner: Scheduler::CurrentThread(shared),
                    },
                    _stack: PhantomData,
                })
            }
            Flavor::MultiThread => {
                let (locals, steals) = multi_thread::Shared::queues(workers);
                let shards = (workers * 4).next_power_of_two();
                let shared = Arc::new_cyclic(|weak: &Weak<multi_thread::Shared>| {
                    let cx = base.with_spawner(spawner(WeakHandle::MultiThread(weak.clone())));
                    let common = Common::new(shards, cx, pool, config, debug);
                    multi_thread::Shared::new(common, driver, steals)
                });
                let exec = Executor {
                    handle: Handle {
                        inner: Scheduler::MultiThread(shared.clone()),
                    },
                    _stack: PhantomData,
                };
                // On failure, dropping `exec` stops the workers already started.
                shared.launch(&exec.handle, locals)?;
                Ok(exec)
            }
        }
    }
}

impl<S: DriverStack> fmt::Debug for Builder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("flavor", &self.flavor)
            .field("start_paused", &self.start_paused)
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("keep_alive", &self.keep_alive)
            .field("debug", &self.debug)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("rng_seed", &self.rng_seed)
            .field("shutdown_grace", &self.shutdown_grace)
            .finish_non_exhaustive()
    }
}

/// A running runtime: its schedulers, worker threads, blocking pool and the driver
/// stack `S` it parks on (the event loop of asyncio). The `corio` facade's `Runtime` is
/// this type with the timer-over-reactor stack.
///
/// Dropping it shuts it down: every unfinished task gets the soft cancel and a grace to
/// run its cleanup ([`Builder::shutdown_grace`]), then every future still alive is
/// dropped exactly once, the worker threads and blocking-pool threads are joined (a
/// running blocking job is waited for), and the driver is dropped.
///
/// # Examples
///
/// ```
/// use corio_executor::Executor;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// let h = rt.spawn(async { 40 + 2 });
/// assert_eq!(rt.block_on(h).unwrap(), 42);
/// ```
pub struct Executor<S: DriverStack = ParkThread> {
    handle: Handle,
    _stack: PhantomData<fn() -> S>,
}

impl Executor<ParkThread> {
    /// [`Builder::new_current_thread`].
    pub fn builder_current_thread() -> Builder {
        Builder::new_current_thread()
    }

    /// [`Builder::new_multi_thread`].
    pub fn builder_multi_thread() -> Builder {
        Builder::new_multi_thread()
    }
}

impl<S: DriverStack + Default> Executor<S> {
    /// The default runtime on the stack `S`: multi-thread, one worker per core.
    ///
    /// # Errors
    /// An OS error if the driver stack or a thread cannot be created.
    pub fn new() -> io::Result<Self> {
        Self::builder().build()
    }

    /// A [`Builder`] on the stack `S` (multi-thread by default).
    pub fn builder() -> Builder<S> {
        Builder::with_stack(S::default())
    }
}

impl<S: DriverStack> Executor<S> {
    /// The executor's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` to completion on this thread (see [`Handle::block_on`]).
    ///
    /// # Panics
    /// From inside a runtime (a task or another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns `future` (see [`Handle::spawn`]).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `f` on the blocking pool (see [`Handle::spawn_blocking`]).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// Shuts down within about `timeout`: the tasks' grace
    /// ([`Builder::shutdown_grace`]) is cut to `timeout`, and running blocking jobs are
    /// waited for what is left of it (their threads are left to finish on their own
    /// after that).
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.shutdown_inner(Some(timeout));
    }

    fn shutdown_inner(&self, timeout: Option<Duration>) {
        let common = self.handle.common();
        if common.is_shutdown() {
            return;
        }
        let start = std::time::Instant::now();
        let grace = common.config.shutdown_grace;
        let _busy = crate::shutdown::grace(&self.handle, timeout.map_or(grace, |t| grace.min(t)));
        let timeout = timeout.map(|t| t.saturating_sub(start.elapsed()));
        match &self.handle.inner {
            Scheduler::CurrentThread(s) => s.shutdown(&self.handle, timeout),
            Scheduler::MultiThread(s) => s.shutdown(&self.handle, timeout),
        }
    }
}

impl<S: DriverStack> Drop for Executor<S> {
    fn drop(&mut self) {
        self.shutdown_inner(None);
    }
}

impl<S: DriverStack> fmt::Debug for Executor<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("handle", &self.handle)
            .finish()
    }
}

//! [`Executor`] and its [`Builder`].

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Weak};
use std::time::Duration;

use corio_core::task::Spawner;
use corio_core::{Clock, Driver, ParkThread, RuntimeContext};

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

/// Configures and builds an [`Executor`].
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
pub struct Builder {
    flavor: Flavor,
    worker_threads: Option<usize>,
    thread_name: Option<String>,
    driver: Option<Box<dyn Driver>>,
    context: Option<RuntimeContext>,
    max_blocking_threads: usize,
    keep_alive: Duration,
    event_interval: u32,
    global_queue_interval: u32,
    debug: Option<bool>,
    slow_poll_threshold: Duration,
    slow_poll_hook: Option<SlowPollHook>,
    rng_seed: Option<u64>,
}

/// The most worker threads a multi-thread executor accepts.
pub const MAX_WORKER_THREADS: usize = 1 << 15;

impl Builder {
    fn new(flavor: Flavor) -> Self {
        Builder {
            flavor,
            worker_threads: None,
            thread_name: None,
            driver: None,
            context: None,
            max_blocking_threads: 512,
            keep_alive: Duration::from_secs(10),
            event_interval: 61,
            global_queue_interval: 31,
            debug: None,
            slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
            slow_poll_hook: None,
            rng_seed: None,
        }
    }

    /// A single-threaded executor: tasks run on the thread that calls `block_on`.
    pub fn new_current_thread() -> Self {
        Builder::new(Flavor::CurrentThread)
    }

    /// A work-stealing executor with one worker thread per core by default.
    pub fn new_multi_thread() -> Self {
        Builder::new(Flavor::MultiThread)
    }

    /// Number of worker threads (multi-thread only; default: available parallelism).
    /// `0` makes [`build`](Self::build) fail with `InvalidInput`.
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.worker_threads = Some(n);
        self
    }

    /// Name of the runtime's threads (default `corio-worker`; blocking-pool threads get
    /// `corio-blocking`, or this name when set).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.thread_name = Some(name.into());
        self
    }

    /// The driver idle workers park on (default: a plain [`ParkThread`]).
    pub fn driver(&mut self, driver: Box<dyn Driver>) -> &mut Self {
        self.driver = Some(driver);
        self
    }

    /// The clock (default `Clock::new()`); shorthand for a base context with only it.
    pub fn clock(&mut self, clock: Clock) -> &mut Self {
        self.context = Some(RuntimeContext::new(clock));
        self
    }

    /// The base context installed on every runtime thread (clock, timer, extensions);
    /// the executor adds its spawner.
    pub fn context(&mut self, context: RuntimeContext) -> &mut Self {
        self.context = Some(context);
        self
    }

    /// Most blocking-pool threads (default 512). Jobs beyond it wait in a queue.
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread lives (default 10 s).
    pub fn thread_keep_alive(&mut self, d: Duration) -> &mut Self {
        self.keep_alive = d;
        self
    }

    /// Scheduler ticks between driver polls while busy (default 61).
    pub fn event_interval(&mut self, n: u32) -> &mut Self {
        self.event_interval = n;
        self
    }

    /// Scheduler ticks between global-queue checks while busy (default 31).
    pub fn global_queue_interval(&mut self, n: u32) -> &mut Self {
        self.global_queue_interval = n;
        self
    }

    /// Debug mode (asyncio's debug mode), off by default: every poll of a task (and of
    /// the `block_on` future) is timed, and one that takes at least the
    /// [slow-poll threshold](Self::slow_poll_threshold) is reported to the
    /// [hook](Self::on_slow_poll) with the task's id, name and spawn location; task
    /// dumps also show how long ago each task was last polled.
    ///
    /// When this is not called, the `CORIO_DEBUG` environment variable decides, read by
    /// [`build`](Self::build): set and not empty, `0`, `false`, `no` or `off` turns debug
    /// mode on. An explicit call wins over the variable, either way.
    ///
    /// Off, it costs one predictable branch per poll. On, two clock reads per poll and
    /// one more small allocation per spawned task (for the last-poll time).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_executor::Builder;
    ///
    /// let rt = Builder::new_current_thread().debug(true).build().unwrap();
    /// assert!(rt.handle().is_debug());
    /// ```
    pub fn debug(&mut self, on: bool) -> &mut Self {
        self.debug = Some(on);
        self
    }

    /// How long a single poll may take before debug mode reports it (default 100 ms,
    /// asyncio's `slow_callback_duration`). No effect unless debug mode is on.
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Self {
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
    pub fn on_slow_poll<F>(&mut self, hook: F) -> &mut Self
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
    ///   thread) instead of the oldest. The same seed and the same program give the same
    ///   interleaving, as long as nothing outside the runtime's thread intervenes: tasks
    ///   woken from other threads (blocking-pool results, real I/O readiness, wall-clock
    ///   timers) arrive when they arrive and are taken in arrival order. With paused
    ///   (virtual) time, timers are deterministic too.
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
    pub fn rng_seed(&mut self, seed: u64) -> &mut Self {
        self.rng_seed = Some(seed);
        self
    }

    /// Builds the executor (starting its worker threads).
    ///
    /// # Errors
    /// `InvalidInput` for a zero or too large `worker_threads`, a zero
    /// `max_blocking_threads`, `event_interval` or `global_queue_interval`; the OS error
    /// if a worker thread cannot be started.
    pub fn build(&mut self) -> io::Result<Executor> {
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
        let driver = self
            .driver
            .take()
            .unwrap_or_else(|| Box::new(ParkThread::new()));
        let base = self
            .context
            .clone()
            .unwrap_or_else(|| RuntimeContext::new(Clock::new()));
        let config = Config {
            event_interval: self.event_interval,
            global_queue_interval: self.global_queue_interval,
            thread_name: self
                .thread_name
                .clone()
                .unwrap_or_else(|| "corio-worker".to_string()),
            rng_seed: self.rng_seed,
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
        let spawner = |weak: WeakHandle| -> Arc<dyn Spawner> { Arc::new(SpawnerImpl(weak)) };
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
                };
                // On failure, dropping `exec` stops the workers already started.
                shared.launch(&exec.handle, locals)?;
                Ok(exec)
            }
        }
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("keep_alive", &self.keep_alive)
            .field("debug", &self.debug)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("rng_seed", &self.rng_seed)
            .finish_non_exhaustive()
    }
}

/// A running executor: its schedulers, worker threads and blocking pool.
///
/// Dropping it shuts it down: every unfinished task's future is dropped exactly once,
/// the worker threads and blocking-pool threads are joined (a running blocking job is
/// waited for), and the driver is dropped.
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
pub struct Executor {
    handle: Handle,
}

impl Executor {
    /// [`Builder::new_current_thread`].
    pub fn builder_current_thread() -> Builder {
        Builder::new_current_thread()
    }

    /// [`Builder::new_multi_thread`].
    pub fn builder_multi_thread() -> Builder {
        Builder::new_multi_thread()
    }

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

    /// Shuts down, waiting at most `timeout` for running blocking jobs (their threads
    /// are left to finish on their own after that).
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.shutdown_inner(Some(timeout));
    }

    fn shutdown_inner(&self, timeout: Option<Duration>) {
        match &self.handle.inner {
            Scheduler::CurrentThread(s) => s.shutdown(&self.handle, timeout),
            Scheduler::MultiThread(s) => s.shutdown(&self.handle, timeout),
            Scheduler::Blocking => unreachable!(),
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.shutdown_inner(None);
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("handle", &self.handle)
            .finish()
    }
}

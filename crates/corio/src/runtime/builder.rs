//! [`Builder`]: choose the scheduler, worker count, thread names, paused time, debug
//! mode and a scheduling seed.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use corio_executor::SlowPoll;

use super::Runtime;

/// A slow-poll hook, shared with the executor builder.
#[derive(Clone)]
pub(crate) struct SlowPollHook(Arc<dyn Fn(&SlowPoll<'_>) + Send + Sync>);

impl fmt::Debug for SlowPollHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlowPollHook(..)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// Everything the builder collected; read by [`build_driver`](super::driver).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) thread_name: Option<String>,
    pub(crate) start_paused: bool,
    pub(crate) max_blocking_threads: usize,
    pub(crate) thread_keep_alive: Duration,
    pub(crate) debug: Option<bool>,
    pub(crate) slow_poll_threshold: Option<Duration>,
    pub(crate) slow_poll_hook: Option<SlowPollHook>,
    pub(crate) rng_seed: Option<u64>,
}

/// Configures a [`Runtime`].
///
/// # Examples
///
/// ```
/// use corio::Runtime;
///
/// let rt = Runtime::builder()
///     .multi_thread()
///     .worker_threads(2)
///     .thread_name("app-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { corio::spawn(async { 1 }).await.unwrap() }), 1);
///
/// let err = Runtime::builder().worker_threads(0).build().unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// ```
pub struct Builder {
    cfg: Config,
}

impl Builder {
    pub(crate) fn new() -> Self {
        Builder {
            cfg: Config {
                flavor: Flavor::MultiThread,
                worker_threads: None,
                thread_name: None,
                start_paused: false,
                max_blocking_threads: 512,
                thread_keep_alive: Duration::from_secs(10),
                debug: None,
                slow_poll_threshold: None,
                slow_poll_hook: None,
                rng_seed: None,
            },
        }
    }

    /// Runs every task on the thread that calls `block_on` (asyncio's model).
    pub fn current_thread(mut self) -> Self {
        self.cfg.flavor = Flavor::CurrentThread;
        self
    }

    /// Runs tasks on a pool of work-stealing worker threads (the default).
    pub fn multi_thread(mut self) -> Self {
        self.cfg.flavor = Flavor::MultiThread;
        self
    }

    /// Number of worker threads (default: one per core). `0` is rejected by `build`.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.cfg.worker_threads = Some(n);
        self
    }

    /// Name of the runtime's threads.
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.cfg.thread_name = Some(name.into());
        self
    }

    /// Starts with virtual time paused: `sleep`s complete as soon as every task is idle,
    /// in order, without waiting (for deterministic tests).
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.cfg.start_paused = paused;
        self
    }

    /// Most threads of the blocking pool (default 512); more jobs wait in a queue.
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        self.cfg.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread lives (default 10 s).
    pub fn thread_keep_alive(mut self, d: Duration) -> Self {
        self.cfg.thread_keep_alive = d;
        self
    }

    /// Debug mode, asyncio's `loop.set_debug(True)`: a poll of a task (or of the
    /// `block_on` future) that keeps its thread busy for at least the
    /// [slow-poll threshold](Self::slow_poll_threshold) is reported, naming the task
    /// (id, name, spawn location) and the duration, through the
    /// [`on_slow_poll`](Self::on_slow_poll) hook (default: one line to stderr), and
    /// [`corio::task::dump`](crate::task::dump) shows how long ago each task was last
    /// polled.
    ///
    /// Without this call, the `CORIO_DEBUG` environment variable decides when the
    /// runtime is built (like `PYTHONASYNCIODEBUG`): set and not empty, `0`, `false`,
    /// `no` or `off` turns debug mode on. An explicit `debug(true)` or `debug(false)`
    /// wins over the variable.
    ///
    /// Off (the default), it costs one predictable branch per poll; on, two clock
    /// reads per poll and one small allocation per spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let slow = Arc::new(Mutex::new(Vec::new()));
    /// let log = slow.clone();
    /// let rt = corio::Runtime::builder()
    ///     .current_thread()
    ///     .debug(true)
    ///     .slow_poll_threshold(Duration::ZERO) // report every poll, for the example
    ///     .on_slow_poll(move |p| log.lock().unwrap().push(p.name().map(str::to_owned)))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     // A real slow poll would be a blocking call such as `std::thread::sleep`.
    ///     corio::task::Builder::new().name("blocker").spawn(async {}).await.unwrap();
    /// });
    /// assert!(slow.lock().unwrap().contains(&Some("blocker".to_owned())));
    /// ```
    pub fn debug(mut self, on: bool) -> Self {
        self.cfg.debug = Some(on);
        self
    }

    /// How long one poll may take before debug mode reports it (default 100 ms, like
    /// asyncio's `slow_callback_duration`). No effect unless debug mode is on.
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Self {
        self.cfg.slow_poll_threshold = Some(threshold);
        self
    }

    /// Receives debug mode's slow-poll reports (default: print one line to stderr). It
    /// runs on the thread that made the slow poll, right after the poll; a panic in it
    /// is caught and printed. No effect unless debug mode is on.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder()
    ///     .debug(true)
    ///     .on_slow_poll(|p| eprintln!("[app] {p}"))
    ///     .build()
    ///     .unwrap();
    /// assert!(rt.handle().is_debug());
    /// ```
    pub fn on_slow_poll<F>(mut self, hook: F) -> Self
    where
        F: Fn(&SlowPoll<'_>) + Send + Sync + 'static,
    {
        self.cfg.slow_poll_hook = Some(SlowPollHook(Arc::new(hook)));
        self
    }

    /// Randomizes the scheduling order, reproducibly from `seed`: a test that passes
    /// whatever order the ready tasks run in is robust; one that fails under some seed
    /// can be replayed with that seed.
    ///
    /// - On a [current-thread](Self::current_thread) runtime, each time the scheduler
    ///   picks the next task it takes a random one of the ready tasks woken on the
    ///   runtime's thread, instead of the oldest. The same seed and the same program give
    ///   the same interleaving, provided nothing outside the runtime's thread takes part:
    ///   results of blocking-pool jobs, real I/O and wall-clock timers arrive when they
    ///   arrive (and are taken in arrival order). With [`start_paused`](Self::start_paused)
    ///   virtual time, timers are deterministic too.
    /// - On a multi-thread runtime the seed only drives the workers' choice of steal
    ///   victims; thread timing makes runs non-reproducible there.
    ///
    /// Without a seed (the default) ready tasks run in FIFO order, at full speed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// fn run(seed: u64) -> Vec<usize> {
    ///     let rt = corio::Runtime::builder().current_thread().rng_seed(seed).build().unwrap();
    ///     let order = Arc::new(Mutex::new(Vec::new()));
    ///     rt.block_on(async {
    ///         let tasks: Vec<_> = (0..5)
    ///             .map(|i| {
    ///                 let order = order.clone();
    ///                 corio::spawn(async move { order.lock().unwrap().push(i) })
    ///             })
    ///             .collect();
    ///         for t in tasks {
    ///             t.await.unwrap();
    ///         }
    ///     });
    ///     let order = order.lock().unwrap().clone();
    ///     order
    /// }
    /// assert_eq!(run(7), run(7)); // the same seed replays the same order
    /// let mut sorted = run(7);
    /// sorted.sort();
    /// assert_eq!(sorted, [0, 1, 2, 3, 4]);
    /// ```
    pub fn rng_seed(mut self, seed: u64) -> Self {
        self.cfg.rng_seed = Some(seed);
        self
    }

    /// Builds the runtime.
    ///
    /// # Errors
    /// `InvalidInput` for `worker_threads(0)` (or more than 32768) and
    /// `max_blocking_threads(0)`; an OS error if a thread or driver cannot be created.
    pub fn build(self) -> io::Result<Runtime> {
        let cfg = self.cfg;
        if cfg.flavor == Flavor::MultiThread && cfg.worker_threads == Some(0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "`worker_threads` must be at least 1",
            ));
        }
        let (driver, context) = super::driver::build_driver(&cfg)?;
        let mut b = match cfg.flavor {
            Flavor::CurrentThread => corio_executor::Builder::new_current_thread(),
            Flavor::MultiThread => corio_executor::Builder::new_multi_thread(),
        };
        if let Some(n) = cfg.worker_threads {
            b.worker_threads(n);
        }
        if let Some(name) = &cfg.thread_name {
            b.thread_name(name.clone());
        }
        b.driver(driver)
            .context(context)
            .max_blocking_threads(cfg.max_blocking_threads)
            .thread_keep_alive(cfg.thread_keep_alive);
        if let Some(on) = cfg.debug {
            b.debug(on);
        }
        if let Some(threshold) = cfg.slow_poll_threshold {
            b.slow_poll_threshold(threshold);
        }
        if let Some(SlowPollHook(hook)) = cfg.slow_poll_hook.clone() {
            b.on_slow_poll(move |p| hook(p));
        }
        if let Some(seed) = cfg.rng_seed {
            b.rng_seed(seed);
        }
        Ok(Runtime::from_executor(b.build()?))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cfg.fmt(f)
    }
}

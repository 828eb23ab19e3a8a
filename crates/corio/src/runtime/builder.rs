//! [`Builder`]: choose the scheduler, worker count, thread names and paused time.

use std::fmt;
use std::io;
use std::time::Duration;

use super::Runtime;

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
        Ok(Runtime::from_executor(b.build()?))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cfg.fmt(f)
    }
}

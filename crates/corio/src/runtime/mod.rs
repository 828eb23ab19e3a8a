//! The runtime: an executor with its driver stack, clock and blocking pool.

mod builder;
mod driver;

pub use builder::Builder;
pub use corio_executor::{Handle, RuntimeMetrics, SlowPoll};

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use corio_executor::{Executor, JoinHandle};

/// A corio runtime: the event loop of asyncio.
///
/// Dropping it shuts it down: every unfinished task is cancelled (its future dropped
/// exactly once), worker and blocking-pool threads are joined.
///
/// # Examples
///
/// ```
/// use corio::Runtime;
///
/// let rt = Runtime::builder().current_thread().build().unwrap();
/// let h = rt.spawn(async { "hello" });
/// assert_eq!(rt.block_on(h).unwrap(), "hello");
/// ```
pub struct Runtime {
    exec: Executor,
}

impl Runtime {
    /// The default runtime: multi-thread, one worker per core.
    ///
    /// # Errors
    /// An OS error if a thread cannot be started.
    pub fn new() -> io::Result<Runtime> {
        Runtime::builder().build()
    }

    /// A [`Builder`] (multi-thread by default).
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_executor(exec: Executor) -> Self {
        Runtime { exec }
    }

    /// Runs `future` to completion on the current thread, with this runtime entered.
    ///
    /// # Panics
    /// From inside a runtime (a task or another `block_on`): "Cannot start a runtime
    /// from within a runtime...".
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.exec.block_on(future)
    }

    /// Spawns `future` on this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.exec.spawn(future)
    }

    /// Runs `f` on this runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.exec.spawn_blocking(f)
    }

    /// The runtime's handle (cloneable, usable from any thread).
    pub fn handle(&self) -> &Handle {
        self.exec.handle()
    }

    /// Shuts down, waiting at most `timeout` for running blocking jobs.
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.exec.shutdown_timeout(timeout)
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", self.handle())
            .finish()
    }
}

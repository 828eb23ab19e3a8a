//! [`CorioExecutor`]: hyper's `Executor` on corio's scheduler.

use std::future::Future;

use corio::SpawnError;

/// Spawns the background tasks hyper asks for (HTTP/2 connection and stream tasks, the
/// client pool's idle reaper) on the current corio runtime.
///
/// Like hyper-util's `TokioExecutor`, it holds no state: each `execute` spawns on the
/// runtime of the calling thread (hyper calls it from the task driving the connection).
/// The spawned task is detached; hyper keeps its own handles to it.
///
/// # Examples
///
/// ```
/// use corio_hyper::CorioExecutor;
/// use hyper::rt::Executor;
///
/// corio::run(async {
///     let (tx, rx) = futures::channel::oneshot::channel();
///     CorioExecutor::new().execute(async move { tx.send(7).unwrap() });
///     assert_eq!(rx.await.unwrap(), 7);
/// });
/// ```
///
/// # Panics
/// `execute` panics outside a corio runtime, with a message naming `CorioExecutor`.
/// After the runtime shut down, `execute` drops the future without running it (the
/// runtime cancels every task then anyway).
#[derive(Clone, Copy, Debug, Default)]
pub struct CorioExecutor {
    _priv: (),
}

impl CorioExecutor {
    /// An executor that spawns on the current corio runtime.
    pub fn new() -> CorioExecutor {
        CorioExecutor { _priv: () }
    }
}

impl<Fut> hyper::rt::Executor<Fut> for CorioExecutor
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    #[track_caller]
    fn execute(&self, fut: Fut) {
        match corio::try_spawn(fut) {
            // Detached: dropping a corio `JoinHandle` never cancels its task.
            Ok(handle) => drop(handle),
            Err(SpawnError::Shutdown) => {}
            Err(e) => panic!("corio_hyper::CorioExecutor::execute: {e}"),
        }
    }
}

//! [`yield_now`]: let the other tasks run (asyncio's `await asyncio.sleep(0)`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the scheduler: the task goes to the back of the run queue, so every
/// other ready task runs before it resumes.
///
/// # Examples
///
/// ```
/// use corio_executor::{yield_now, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let h = corio_executor::spawn(async { "other task ran" });
///     yield_now().await;
///     assert!(h.is_finished());
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // A task waking itself during its poll is re-queued at the back (never the
        // LIFO slot), after the tasks already queued.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

//! [`wait`]: asyncio's `wait(aws, timeout, return_when)` — nothing is cancelled.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};

use crate::indexed::Indexed;
use crate::lazy_timer::LazyTimer;

/// When [`wait`] returns (asyncio's `return_when`).
///
/// # Examples
///
/// ```
/// use corio_combinators::{wait, ReturnWhen};
/// use futures::future::{pending, ready, BoxFuture, FutureExt};
///
/// futures::executor::block_on(async {
///     let futs: Vec<BoxFuture<'static, Result<u8, &str>>> =
///         vec![ready(Ok(1)).boxed(), ready(Err("failed")).boxed(), pending().boxed()];
///     let (done, pending) = wait(futs, ReturnWhen::FirstException, None).await;
///     assert_eq!(done.last(), Some(&Err("failed")));
///     assert_eq!(pending.len(), 1); // handed back, not cancelled
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// When every future has finished (or the timeout passed).
    AllCompleted,
    /// When any future finishes.
    FirstCompleted,
    /// When any future finishes with `Err` (for `JoinHandle`s: a panicked or cancelled
    /// task); if none does, when all have finished.
    FirstException,
}

/// Waits for the futures (typically `JoinHandle`s) until `return_when` is met or
/// `timeout` passes, and returns `(done, pending)`: the outputs of the finished futures,
/// in completion order, and the unfinished futures, in input order.
///
/// As in asyncio, nothing is cancelled: the pending futures are handed back untouched
/// (for `JoinHandle`s, the tasks keep running) so you can wait on them again, abort them
/// or drop them. Only futures that were woken are polled again. With no futures, it
/// returns `(vec![], vec![])` at once (asyncio raises `ValueError` instead). The timeout
/// counts from the first poll; `None` waits as long as it takes, and `Duration::MAX` is
/// the same as `None`.
///
/// # Examples
///
/// ```
/// use corio_combinators::{wait, ReturnWhen};
/// use futures::future::{pending, ready, BoxFuture, FutureExt};
///
/// futures::executor::block_on(async {
///     let futs: Vec<BoxFuture<'static, Result<u32, ()>>> =
///         vec![pending().boxed(), ready(Ok(2)).boxed(), pending().boxed()];
///     let (done, pending) = wait(futs, ReturnWhen::FirstCompleted, None).await;
///     assert_eq!(done, [Ok(2)]);
///     assert_eq!(pending.len(), 2);
/// });
/// ```
///
/// # Panics
/// When first polled with a finite `timeout` and no corio runtime with a timer running
/// (the message names `corio::wait`).
///
/// # Cancel safety
/// Dropping the `Wait` drops the futures it holds (for `JoinHandle`s that detaches the
/// tasks; it does not cancel them). Outputs already collected are dropped with it.
pub fn wait<I, F, T, E>(futures: I, return_when: ReturnWhen, timeout: Option<Duration>) -> Wait<F>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Unpin,
{
    let in_flight: FuturesUnordered<_> = futures
        .into_iter()
        .enumerate()
        .map(|(i, f)| Indexed::new(i, f))
        .collect();
    Wait {
        in_flight,
        timer: LazyTimer::after(timeout, "corio::wait"),
        done: Vec::new(),
        return_when,
        finished: false,
    }
}

/// The future returned by [`wait`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Wait<F: Future> {
    in_flight: FuturesUnordered<Indexed<F>>,
    timer: LazyTimer,
    done: Vec<F::Output>,
    return_when: ReturnWhen,
    finished: bool,
}

// Outputs are stored by value and never pinned; the futures live in a `FuturesUnordered`
// (which pins them itself), so moving this struct moves no pinned data.
impl<F: Future> Unpin for Wait<F> {}

impl<F, T, E> Wait<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
{
    fn finish(&mut self) -> (Vec<Result<T, E>>, Vec<F>) {
        self.finished = true;
        self.timer.cancel();
        let mut pending: Vec<Indexed<F>> =
            std::mem::take(&mut self.in_flight).into_iter().collect();
        pending.sort_unstable_by_key(|f| f.index);
        let pending = pending.into_iter().map(Indexed::into_inner).collect();
        (std::mem::take(&mut self.done), pending)
    }
}

impl<F, T, E> Future for Wait<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
{
    type Output = (Vec<Result<T, E>>, Vec<F>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.finished, "`Wait` polled after it completed");
        this.timer.start();
        loop {
            match this.in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some((_, out))) => {
                    let failed = out.is_err();
                    this.done.push(out);
                    let met = match this.return_when {
                        ReturnWhen::AllCompleted => false,
                        ReturnWhen::FirstCompleted => true,
                        ReturnWhen::FirstException => failed,
                    };
                    if met {
                        return Poll::Ready(this.finish());
                    }
                }
                Poll::Ready(None) => return Poll::Ready(this.finish()),
                Poll::Pending => break,
            }
        }
        match this.timer.poll(cx) {
            Poll::Ready(()) => Poll::Ready(this.finish()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> fmt::Debug for Wait<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("return_when", &self.return_when)
            .field("done", &self.done.len())
            .field("pending", &self.in_flight.len())
            .field("timer", &self.timer)
            .finish()
    }
}

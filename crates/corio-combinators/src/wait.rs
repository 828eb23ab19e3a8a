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
    /// When any future finishes with `Err` — except a cancelled task's `JoinError`, which
    /// CPython does not count as an exception either (for `JoinHandle`s: a panicked task);
    /// if none does, when all have finished.
    FirstException,
}

/// Waits for the futures (typically `JoinHandle`s) until `return_when` is met or
/// `timeout` passes, and returns `(done, pending)`: the outputs of the finished futures,
/// in completion order, and the unfinished futures, in input order. `done` holds every
/// future found finished when `wait` returns, not only the one that met the condition
/// (CPython's `test_wait_really_done`). To know *which* futures finished and re-wait on
/// the rest, use [`wait_keyed`].
///
/// As in asyncio, nothing is cancelled: the pending futures are handed back untouched
/// (for `JoinHandle`s, the tasks keep running) so you can wait on them again, abort them
/// or drop them. Only futures that were woken are polled again. With no futures, it
/// returns `(vec![], vec![])` at once (asyncio raises `ValueError` instead). The timeout
/// counts from the first poll; `None` waits as long as it takes, and `Duration::MAX` is
/// the same as `None`. When it passes, `wait` yields once before it classifies, so a
/// task woken at the same instant (its sleep ends at the deadline) is counted as done on
/// the current-thread runtime. On the multi-thread runtime such a task may still be
/// running on another worker then, and is handed back in `pending`.
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
    E: 'static,
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
        deadline_passed: false,
        keep_index: false,
    }
}

/// [`wait`] that keeps identity: each future comes with a key (an index, a name, a task
/// id), and `done` / `pending` carry the keys, so the everyday asyncio loop
/// `done, pending = await asyncio.wait(pending, return_when=FIRST_COMPLETED)` can act on
/// the task that finished and wait again on the rest.
///
/// # Examples
///
/// ```
/// use corio_combinators::{wait_keyed, ReturnWhen};
/// use futures::future::{pending, ready, BoxFuture, FutureExt};
///
/// futures::executor::block_on(async {
///     let mut pending_: Vec<(&str, BoxFuture<'static, Result<u32, ()>>)> = vec![
///         ("slow", pending().boxed()),
///         ("fast", ready(Ok(1)).boxed()),
///         ("faster", ready(Ok(2)).boxed()),
///     ];
///     let (done, rest) = wait_keyed(pending_, ReturnWhen::FirstCompleted, None).await;
///     // Everything already finished is in `done`, with its key.
///     let mut names: Vec<_> = done.iter().map(|(k, _)| *k).collect();
///     names.sort();
///     assert_eq!(names, ["fast", "faster"]);
///     pending_ = rest;
///     assert_eq!(pending_.len(), 1);
///     assert_eq!(pending_[0].0, "slow");
/// });
/// ```
///
/// # Panics
/// As [`wait`].
pub fn wait_keyed<I, K, F, T, E>(
    futures: I,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> WaitKeyed<K, F>
where
    I: IntoIterator<Item = (K, F)>,
    F: Future<Output = Result<T, E>> + Unpin,
    E: 'static,
{
    let (keys, futs): (Vec<K>, Vec<F>) = futures.into_iter().unzip();
    let mut inner = wait(futs, return_when, timeout);
    inner.keep_index = true;
    WaitKeyed {
        inner,
        keys: keys.into_iter().map(Some).collect(),
    }
}

/// The future returned by [`wait_keyed`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WaitKeyed<K, F: Future> {
    inner: Wait<F>,
    keys: Vec<Option<K>>,
}

impl<K, F: Future> Unpin for WaitKeyed<K, F> {}

impl<K, F, T, E> Future for WaitKeyed<K, F>
where
    F: Future<Output = Result<T, E>> + Unpin,
    E: 'static,
{
    type Output = (Vec<(K, Result<T, E>)>, Vec<(K, F)>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (done, pending) = futures::ready!(this.inner.poll_indexed(cx));
        let mut key = |i: usize| this.keys[i].take().expect("each key is handed out once");
        let done = done.into_iter().map(|(i, o)| (key(i), o)).collect();
        let pending = pending.into_iter().map(|(i, f)| (key(i), f)).collect();
        Poll::Ready((done, pending))
    }
}

impl<K, F: Future> fmt::Debug for WaitKeyed<K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitKeyed")
            .field("inner", &self.inner)
            .finish()
    }
}

/// Whether an output counts as an exception for `FirstException`: an `Err`, except a
/// cancelled task's (CPython's `wait` skips cancelled futures there).
fn is_exception<T, E: 'static>(out: &Result<T, E>) -> bool {
    match out {
        Ok(_) => false,
        Err(e) => !(e as &dyn std::any::Any)
            .downcast_ref::<corio_core::JoinError>()
            .is_some_and(corio_core::JoinError::is_cancelled),
    }
}

/// The future returned by [`wait`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Wait<F: Future> {
    in_flight: FuturesUnordered<Indexed<F>>,
    timer: LazyTimer,
    done: Vec<(usize, F::Output)>,
    return_when: ReturnWhen,
    finished: bool,
    /// The timeout fired and `wait` yielded once, so that the tasks woken at the
    /// deadline's instant (a sleep ending with it) run before it classifies: asyncio runs
    /// timers due together in order, so a task whose sleep was armed before `wait`'s
    /// timeout is done by then (CPython's `test_wait_concurrent_complete`).
    deadline_passed: bool,
    /// `wait_keyed`: the indices are wanted (only changes what `Debug` says).
    keep_index: bool,
}

// Outputs are stored by value and never pinned; the futures live in a `FuturesUnordered`
// (which pins them itself), so moving this struct moves no pinned data.
impl<F: Future> Unpin for Wait<F> {}

type Indexed2<T, E, F> = (Vec<(usize, Result<T, E>)>, Vec<(usize, F)>);

impl<F, T, E> Wait<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
    E: 'static,
{
    /// Collects every future already finished (woken and ready: CPython's
    /// `test_wait_really_done`), then hands back the rest in input order.
    fn finish(&mut self, cx: &mut Context<'_>) -> Indexed2<T, E, F> {
        while let Poll::Ready(Some((i, out))) = self.in_flight.poll_next_unpin(cx) {
            self.done.push((i, out));
        }
        self.finished = true;
        self.timer.cancel();
        let mut pending: Vec<Indexed<F>> =
            std::mem::take(&mut self.in_flight).into_iter().collect();
        pending.sort_unstable_by_key(|f| f.index);
        let pending = pending
            .into_iter()
            .map(|f| (f.index, f.into_inner()))
            .collect();
        (std::mem::take(&mut self.done), pending)
    }

    fn poll_indexed(&mut self, cx: &mut Context<'_>) -> Poll<Indexed2<T, E, F>> {
        assert!(!self.finished, "`Wait` polled after it completed");
        self.timer.start();
        loop {
            match self.in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some((i, out))) => {
                    let failed = is_exception(&out);
                    self.done.push((i, out));
                    let met = match self.return_when {
                        ReturnWhen::AllCompleted => false,
                        ReturnWhen::FirstCompleted => true,
                        ReturnWhen::FirstException => failed,
                    };
                    if met {
                        return Poll::Ready(self.finish(cx));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(self.finish(cx)),
                Poll::Pending => break,
            }
        }
        if self.deadline_passed {
            return Poll::Ready(self.finish(cx));
        }
        match self.timer.poll(cx) {
            Poll::Ready(()) => {
                // Yield once (to the back of the run queue) before classifying; the
                // futures are polled again then.
                self.deadline_passed = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F, T, E> Future for Wait<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
    E: 'static,
{
    type Output = (Vec<Result<T, E>>, Vec<F>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (done, pending) = futures::ready!(self.get_mut().poll_indexed(cx));
        Poll::Ready((
            done.into_iter().map(|(_, o)| o).collect(),
            pending.into_iter().map(|(_, f)| f).collect(),
        ))
    }
}

impl<F: Future> fmt::Debug for Wait<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("return_when", &self.return_when)
            .field("keyed", &self.keep_index)
            .field("done", &self.done.len())
            .field("pending", &self.in_flight.len())
            .field("timer", &self.timer)
            .finish()
    }
}

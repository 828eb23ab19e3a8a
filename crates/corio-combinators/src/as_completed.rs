//! [`as_completed`]: a stream of outputs in completion order, with an optional overall
//! timeout ([`as_completed_with_timeout`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use corio_core::Elapsed;
use futures::stream::{FusedStream, FuturesUnordered, Stream, StreamExt};

use crate::indexed::Indexed;
use crate::lazy_timer::LazyTimer;

/// A stream of the futures' outputs in the order they complete (asyncio's
/// `as_completed`). The futures run inside the stream, concurrently, and only woken
/// ones are polled again.
///
/// # Examples
///
/// ```
/// use corio_combinators::as_completed;
/// use futures::channel::oneshot;
/// use futures::StreamExt;
///
/// futures::executor::block_on(async {
///     let (tx1, rx1) = oneshot::channel();
///     let (tx2, rx2) = oneshot::channel();
///     let mut results = as_completed([rx1, rx2]);
///     tx2.send("second sent first").unwrap();
///     assert_eq!(results.next().await, Some(Ok("second sent first")));
///     tx1.send("then the first").unwrap();
///     assert_eq!(results.next().await, Some(Ok("then the first")));
///     assert_eq!(results.next().await, None);
/// });
/// ```
///
/// # Cancel safety
/// Dropping the stream drops the futures it still holds; [`AsCompleted::into_remaining`]
/// hands them back instead.
pub fn as_completed<I>(futures: I) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    AsCompleted {
        in_flight: futures
            .into_iter()
            .enumerate()
            .map(|(i, f)| Indexed::new(i, f))
            .collect(),
    }
}

/// The stream returned by [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F> {
    in_flight: FuturesUnordered<Indexed<F>>,
}

impl<F> AsCompleted<F> {
    /// How many futures have not completed yet.
    pub fn len(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether every future has completed.
    pub fn is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// The futures that have not completed, in input order (for `JoinHandle`s: the tasks
    /// still running), to wait on again or abort.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_combinators::as_completed;
    /// use futures::future::{pending, ready, BoxFuture, FutureExt};
    /// use futures::StreamExt;
    ///
    /// futures::executor::block_on(async {
    ///     let futs: Vec<BoxFuture<'static, u8>> = vec![pending().boxed(), ready(2).boxed()];
    ///     let mut s = as_completed(futs);
    ///     assert_eq!(s.next().await, Some(2));
    ///     assert_eq!(s.len(), 1);
    ///     let rest = s.into_remaining();
    ///     assert_eq!(rest.len(), 1);
    /// });
    /// ```
    pub fn into_remaining(self) -> Vec<F>
    where
        F: Unpin,
    {
        let mut rest: Vec<Indexed<F>> = self.in_flight.into_iter().collect();
        rest.sort_unstable_by_key(|f| f.index);
        rest.into_iter().map(Indexed::into_inner).collect()
    }
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        self.get_mut()
            .in_flight
            .poll_next_unpin(cx)
            .map(|o| o.map(|(_, out)| out))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.in_flight.len(), Some(self.in_flight.len()))
    }
}

impl<F: Future> FusedStream for AsCompleted<F> {
    fn is_terminated(&self) -> bool {
        self.in_flight.is_terminated()
    }
}

impl<F> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.in_flight.len())
            .finish()
    }
}

/// Like [`as_completed`], with an overall `timeout`: once it passes, the stream yields
/// one `Err(Elapsed)` and then ends (asyncio raises `TimeoutError` from the iterator).
///
/// The unfinished futures are not cancelled when time is up: they stay in the stream
/// until it is dropped, and [`AsCompletedTimeout::into_remaining`] hands them back.
/// Outputs that are ready are yielded before the timeout is checked. The timeout counts
/// from the first poll; `Duration::MAX` means no timeout.
///
/// # Examples
///
/// Needs a running corio runtime for its timer (`no_run`: this crate has none of its
/// own; the facade's `corio::as_completed_with_timeout` is the same function):
///
/// ```no_run
/// use corio_combinators::as_completed_with_timeout;
/// use futures::StreamExt;
/// use std::time::Duration;
///
/// async fn fetch_all(handles: Vec<corio_core::TaskHandle<u32>>) {
///     let mut results = as_completed_with_timeout(handles, Duration::from_secs(5));
///     while let Some(result) = results.next().await {
///         match result {
///             Ok(Ok(v)) => println!("got {v}"),
///             Ok(Err(join_error)) => println!("task failed: {join_error}"),
///             Err(elapsed) => println!("gave up: {elapsed}"),
///         }
///     }
/// }
/// ```
///
/// # Errors
/// Yields `Err(Elapsed)` once when the timeout passes with futures still running.
///
/// # Panics
/// When first polled with a finite `timeout` and no corio runtime with a timer running
/// (the message names `corio::as_completed_with_timeout`).
pub fn as_completed_with_timeout<I>(futures: I, timeout: Duration) -> AsCompletedTimeout<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    AsCompletedTimeout {
        inner: as_completed(futures),
        timer: LazyTimer::after(Some(timeout), "corio::as_completed_with_timeout"),
        state: State::Running,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    TimedOut,
    Ended,
}

/// The stream returned by [`as_completed_with_timeout`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompletedTimeout<F> {
    inner: AsCompleted<F>,
    timer: LazyTimer,
    state: State,
}

impl<F> AsCompletedTimeout<F> {
    /// How many futures have not completed yet.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether every future has completed.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The futures that have not completed, in input order.
    pub fn into_remaining(self) -> Vec<F>
    where
        F: Unpin,
    {
        self.inner.into_remaining()
    }
}

impl<F: Future> Stream for AsCompletedTimeout<F> {
    type Item = Result<F::Output, Elapsed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.state != State::Running {
            return Poll::Ready(None);
        }
        this.timer.start();
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(out)) => return Poll::Ready(Some(Ok(out))),
            Poll::Ready(None) => {
                this.state = State::Ended;
                this.timer.cancel();
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        match this.timer.poll(cx) {
            Poll::Ready(()) => {
                this.state = State::TimedOut;
                this.timer.cancel();
                Poll::Ready(Some(Err(Elapsed::new())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> FusedStream for AsCompletedTimeout<F> {
    fn is_terminated(&self) -> bool {
        self.state != State::Running
    }
}

impl<F> fmt::Debug for AsCompletedTimeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedTimeout")
            .field("remaining", &self.inner.len())
            .field("timed_out", &(self.state == State::TimedOut))
            .finish()
    }
}

/// [`as_completed`] that keeps identity: each future comes with a key (an index, a name,
/// a task id) and the stream yields `(key, output)` — as Python 3.13's `as_completed`
/// yields the task itself. Dropping the stream drops (for awaited `JoinHandle`s:
/// cancels) what is left.
///
/// # Examples
///
/// ```
/// use corio_combinators::as_completed_keyed;
/// use futures::channel::oneshot;
/// use futures::StreamExt;
///
/// futures::executor::block_on(async {
///     let (tx_a, rx_a) = oneshot::channel::<u8>();
///     let (tx_b, rx_b) = oneshot::channel::<u8>();
///     let mut s = as_completed_keyed([("a", rx_a), ("b", rx_b)]);
///     tx_b.send(2).unwrap();
///     assert_eq!(s.next().await, Some(("b", Ok(2))));
///     tx_a.send(1).unwrap();
///     assert_eq!(s.next().await, Some(("a", Ok(1))));
///     assert_eq!(s.next().await, None);
/// });
/// ```
pub fn as_completed_keyed<I, K, F>(futures: I) -> AsCompletedKeyed<K, F>
where
    I: IntoIterator<Item = (K, F)>,
    F: Future,
{
    let (keys, futs): (Vec<K>, Vec<F>) = futures.into_iter().unzip();
    AsCompletedKeyed {
        inner: as_completed(futs),
        keys: keys.into_iter().map(Some).collect(),
    }
}

/// The stream returned by [`as_completed_keyed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompletedKeyed<K, F> {
    inner: AsCompleted<F>,
    keys: Vec<Option<K>>,
}

impl<K, F> Unpin for AsCompletedKeyed<K, F> {}

impl<K, F> AsCompletedKeyed<K, F> {
    /// How many futures have not completed yet.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether every future has completed.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The futures that have not completed, with their keys, in input order.
    pub fn into_remaining(self) -> Vec<(K, F)>
    where
        F: Unpin,
    {
        let mut keys = self.keys;
        let mut rest: Vec<Indexed<F>> = self.inner.in_flight.into_iter().collect();
        rest.sort_unstable_by_key(|f| f.index);
        rest.into_iter()
            .map(|f| {
                let k = keys[f.index]
                    .take()
                    .expect("an unfinished future keeps its key");
                (k, f.into_inner())
            })
            .collect()
    }
}

impl<K, F: Future> Stream for AsCompletedKeyed<K, F> {
    type Item = (K, F::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.inner.in_flight.poll_next_unpin(cx).map(|o| {
            o.map(|(i, out)| {
                let k = this.keys[i].take().expect("each key is yielded once");
                (k, out)
            })
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, F: Future> FusedStream for AsCompletedKeyed<K, F> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<K, F> fmt::Debug for AsCompletedKeyed<K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedKeyed")
            .field("remaining", &self.inner.len())
            .finish()
    }
}

//! [`gather`]: run many futures concurrently, outputs in input order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FuturesUnordered, StreamExt};

use crate::indexed::Indexed;

/// Runs every future of `futures` concurrently and returns their outputs in input order
/// (asyncio's `gather(*aws)`).
///
/// All futures run inside the returned future, on the task that awaits it; to use more
/// threads, pass `JoinHandle`s of spawned tasks. Only futures that were woken are polled
/// again, so a `gather` of N futures costs O(1) per wake-up, not O(N).
///
/// Unlike asyncio's `gather`, an error does not stop anything: outputs are plain values
/// (a `Result` is just another value). Use [`try_gather`](crate::try_gather()) to stop at
/// the first `Err`, and [`gather_settled`](crate::gather_settled) to also turn panics
/// into errors. For a fixed set of futures of different types, use
/// [`gather!`](crate::gather!).
///
/// # Examples
///
/// ```
/// use corio_combinators::gather;
///
/// futures::executor::block_on(async {
///     let squares = gather((1..=4).map(|i| async move { i * i })).await;
///     assert_eq!(squares, [1, 4, 9, 16]);
/// });
/// ```
///
/// # Cancel safety
/// Dropping the `Gather` drops every future it still holds; outputs already produced are
/// dropped with it.
pub fn gather<I>(futures: I) -> Gather<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let in_flight: FuturesUnordered<_> = futures
        .into_iter()
        .enumerate()
        .map(|(i, f)| Indexed::new(i, f))
        .collect();
    let mut outputs = Vec::with_capacity(in_flight.len());
    outputs.resize_with(in_flight.len(), || None);
    Gather {
        in_flight,
        outputs,
        done: false,
    }
}

/// The future returned by [`gather`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Gather<F: Future> {
    in_flight: FuturesUnordered<Indexed<F>>,
    outputs: Vec<Option<F::Output>>,
    done: bool,
}

// Outputs are stored by value and never pinned; the futures live in a `FuturesUnordered`
// (which pins them itself), so moving this struct moves no pinned data.
impl<F: Future> Unpin for Gather<F> {}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "`Gather` polled after it completed");
        while let Some((i, out)) = futures::ready!(this.in_flight.poll_next_unpin(cx)) {
            this.outputs[i] = Some(out);
        }
        this.done = true;
        let outputs = std::mem::take(&mut this.outputs);
        Poll::Ready(
            outputs
                .into_iter()
                .map(|o| o.expect("every future finished"))
                .collect(),
        )
    }
}

impl<F: Future> fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("len", &self.outputs.len())
            .field("pending", &self.in_flight.len())
            .finish()
    }
}

//! [`try_gather`]: like `gather`, but the first `Err` wins and cancels the rest.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FuturesUnordered, StreamExt};

use crate::indexed::Indexed;

/// Runs every future of `futures` concurrently; returns all `Ok` values in input order,
/// or the first `Err` as soon as it happens.
///
/// On the first `Err`, every other future is dropped (cancelled) before this returns.
/// This differs from asyncio's `gather`, which raises the first exception but lets the
/// other awaitables run on; corio's fail-fast variant cancels, like trio and like
/// `TaskGroup`. Futures that are `JoinHandle`s only detach when dropped: abort them
/// yourself, or use [`TaskGroup`](crate::TaskGroup), if the tasks must stop.
///
/// # Examples
///
/// ```
/// use corio_combinators::try_gather;
///
/// futures::executor::block_on(async {
///     let ok = try_gather((1..=2).map(|i| async move { Ok::<_, String>(i) })).await;
///     assert_eq!(ok, Ok(vec![1, 2]));
///
///     let parse = |s: &'static str| async move { s.parse::<i32>() };
///     let err = try_gather([parse("1"), parse("x"), parse("3")]).await;
///     assert!(err.is_err());
/// });
/// ```
///
/// # Errors
/// The first `Err` any future returns (first in completion order).
///
/// # Cancel safety
/// Dropping the `TryGather` drops every future it still holds.
pub fn try_gather<I, T, E>(futures: I) -> TryGather<I::Item, T>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>>,
{
    let in_flight: FuturesUnordered<_> = futures
        .into_iter()
        .enumerate()
        .map(|(i, f)| Indexed::new(i, f))
        .collect();
    let mut outputs = Vec::with_capacity(in_flight.len());
    outputs.resize_with(in_flight.len(), || None);
    TryGather {
        in_flight,
        outputs,
        done: false,
    }
}

/// The future returned by [`try_gather`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct TryGather<F, T> {
    in_flight: FuturesUnordered<Indexed<F>>,
    outputs: Vec<Option<T>>,
    done: bool,
}

// Outputs are stored by value and never pinned; the futures live in a `FuturesUnordered`
// (which pins them itself), so moving this struct moves no pinned data.
impl<F, T> Unpin for TryGather<F, T> {}

impl<F, T, E> Future for TryGather<F, T>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "`TryGather` polled after it completed");
        while let Some((i, out)) = futures::ready!(this.in_flight.poll_next_unpin(cx)) {
            match out {
                Ok(v) => this.outputs[i] = Some(v),
                Err(e) => {
                    // Fail fast: cancel everything still running, before returning.
                    this.in_flight.clear();
                    this.outputs.clear();
                    this.done = true;
                    return Poll::Ready(Err(e));
                }
            }
        }
        this.done = true;
        let outputs = std::mem::take(&mut this.outputs);
        Poll::Ready(Ok(outputs
            .into_iter()
            .map(|o| o.expect("every future finished"))
            .collect()))
    }
}

impl<F, T> fmt::Debug for TryGather<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGather")
            .field("len", &self.outputs.len())
            .field("pending", &self.in_flight.len())
            .finish()
    }
}

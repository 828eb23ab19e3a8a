//! [`gather_settled`]: asyncio's `gather(..., return_exceptions=True)`.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use corio_core::{JoinError, TaskId};
use futures::future::{CatchUnwind, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::indexed::Indexed;

/// Runs every future of `futures` to the end and returns every outcome, in input order —
/// asyncio's `gather(*aws, return_exceptions=True)`.
///
/// Each future yields a `Result<T, E>`. Nothing is cut short: an `Err` is kept as that
/// future's outcome, and a future that *panics* does not take the others down either —
/// its panic becomes `Err(E::from(JoinError))` in its slot. With `JoinHandle`s (or
/// `TaskHandle`s) `E` is [`JoinError`] itself, so a panicked task shows as its own
/// `JoinError`; for other error types, implement `From<JoinError>` (`std::io::Error`
/// already does). A panicking plain future is not a task, so its `JoinError` carries a
/// fresh [`TaskId`].
///
/// # Examples
///
/// ```
/// use corio_combinators::gather_settled;
/// use corio_core::JoinError;
///
/// futures::executor::block_on(async {
///     let work = |i: u32| async move {
///         if i == 1 {
///             panic!("task {i} failed");
///         }
///         Ok::<_, JoinError>(i * 10)
///     };
///     let outcomes = gather_settled((0..3).map(work)).await;
///     assert_eq!(*outcomes[0].as_ref().unwrap(), 0);
///     assert!(outcomes[1].as_ref().unwrap_err().is_panic());
///     assert_eq!(*outcomes[2].as_ref().unwrap(), 20);
/// });
/// ```
///
/// # Cancel safety
/// Dropping the `GatherSettled` drops every future it still holds.
pub fn gather_settled<I, T, E>(futures: I) -> GatherSettled<I::Item, T, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>>,
    E: From<JoinError>,
{
    let in_flight: FuturesUnordered<_> = futures
        .into_iter()
        .enumerate()
        .map(|(i, f)| Indexed::new(i, AssertUnwindSafe(f).catch_unwind()))
        .collect();
    let mut outputs = Vec::with_capacity(in_flight.len());
    outputs.resize_with(in_flight.len(), || None);
    GatherSettled {
        in_flight,
        outputs,
        done: false,
    }
}

/// The future returned by [`gather_settled`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct GatherSettled<F, T, E> {
    in_flight: FuturesUnordered<Indexed<CatchUnwind<AssertUnwindSafe<F>>>>,
    outputs: Vec<Option<Result<T, E>>>,
    done: bool,
}

// Outputs are stored by value and never pinned; the futures live in a `FuturesUnordered`
// (which pins them itself), so moving this struct moves no pinned data.
impl<F, T, E> Unpin for GatherSettled<F, T, E> {}

impl<F, T, E> Future for GatherSettled<F, T, E>
where
    F: Future<Output = Result<T, E>>,
    E: From<JoinError>,
{
    type Output = Vec<Result<T, E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "`GatherSettled` polled after it completed");
        while let Some((i, out)) = futures::ready!(this.in_flight.poll_next_unpin(cx)) {
            this.outputs[i] = Some(match out {
                Ok(outcome) => outcome,
                Err(payload) => Err(E::from(JoinError::panic(TaskId::next(), payload))),
            });
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

impl<F, T, E> fmt::Debug for GatherSettled<F, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherSettled")
            .field("len", &self.outputs.len())
            .field("pending", &self.in_flight.len())
            .finish()
    }
}

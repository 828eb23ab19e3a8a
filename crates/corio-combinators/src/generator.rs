//! [`stream`]: async generators without macros (Python's `async def` with `yield`).
//!
//! # Implementation
//! The generator body is an ordinary future; its [`Yielder`] shares a one-value slot
//! with the [`Generator`] stream. Rules:
//! 1. The body runs only inside `Generator::poll_next`: no value is produced before the
//!    consumer asks for it (back-pressure), and at most one value is in flight.
//! 2. `yield_(v)` stores `v` in the empty slot and returns `Pending` once; `poll_next`
//!    then takes `v` and returns it. The next `poll_next` resumes the body after the
//!    `yield_`. (The yield's `Pending` is not a wait: `poll_next` sees the filled slot.)
//! 3. If the slot is still full (two yields in flight at once), the second yield waits,
//!    unchanged, until the slot is empty.
//! 4. When the body completes the stream ends; dropping the stream drops the body at
//!    its current `.await`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream};

/// Builds a stream from an async generator body: `f` receives a [`Yielder`] and each
/// `y.yield_(value).await` produces one item. The body runs only while the consumer
/// polls (back-pressure) and is dropped with the stream.
///
/// # Examples
///
/// Python's `async def count(n): for i in range(n): yield i`:
///
/// ```
/// use corio_combinators::stream;
/// use futures::StreamExt;
///
/// futures::executor::block_on(async {
///     let counter = stream(|mut y| async move {
///         for i in 0..5 {
///             y.yield_(i).await;
///         }
///     });
///     assert_eq!(counter.collect::<Vec<_>>().await, [0, 1, 2, 3, 4]);
/// });
/// ```
///
/// # Cancel safety
/// Dropping the stream drops the body at the `.await` where it stands; a value yielded
/// but not yet taken is dropped with it.
pub fn stream<T, F, Fut>(f: F) -> Generator<T, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    let slot = Arc::new(Mutex::new(None));
    let body = Box::pin(f(Yielder { slot: slot.clone() }));
    Generator {
        body: Some(body),
        slot,
    }
}

/// The stream returned by [`stream`]. It is `Unpin` (the body is boxed), so `.next()`
/// works on it directly.
#[must_use = "streams do nothing unless polled"]
pub struct Generator<T, Fut> {
    /// `None` once the body completed.
    body: Option<Pin<Box<Fut>>>,
    slot: Arc<Mutex<Option<T>>>,
}

impl<T, Fut> Stream for Generator<T, Fut>
where
    Fut: Future<Output = ()>,
{
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let Some(body) = this.body.as_mut() else {
            return Poll::Ready(None);
        };
        let finished = body.as_mut().poll(cx).is_ready();
        if finished {
            this.body = None;
        }
        let yielded = this
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match yielded {
            Some(v) => Poll::Ready(Some(v)),
            None if finished => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

impl<T, Fut> FusedStream for Generator<T, Fut>
where
    Fut: Future<Output = ()>,
{
    fn is_terminated(&self) -> bool {
        self.body.is_none()
    }
}

impl<T, Fut> fmt::Debug for Generator<T, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("finished", &self.body.is_none())
            .finish()
    }
}

/// The generator body's handle for producing items (see [`stream`]).
pub struct Yielder<T> {
    slot: Arc<Mutex<Option<T>>>,
}

impl<T> Yielder<T> {
    /// Produces `value` as the stream's next item; completes when the consumer asks for
    /// the item after it (Python's `yield value`).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_combinators::stream;
    /// use futures::StreamExt;
    ///
    /// futures::executor::block_on(async {
    ///     let mut s = stream(|mut y| async move {
    ///         y.yield_("hello").await;
    ///     });
    ///     assert_eq!(s.next().await, Some("hello"));
    ///     assert_eq!(s.next().await, None);
    /// });
    /// ```
    ///
    /// # Cancel safety
    /// If the `Yield` future is dropped before its first poll, `value` is dropped and not
    /// produced; after that first poll the value belongs to the stream.
    pub fn yield_(&mut self, value: T) -> Yield<'_, T> {
        Yield {
            slot: &self.slot,
            value: Some(value),
        }
    }
}

impl<T> fmt::Debug for Yielder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yielder").finish_non_exhaustive()
    }
}

/// The future returned by [`Yielder::yield_`].
#[must_use = "nothing is yielded unless you .await it"]
pub struct Yield<'a, T> {
    slot: &'a Mutex<Option<T>>,
    /// `None` once handed to the slot.
    value: Option<T>,
}

impl<T> Unpin for Yield<'_, T> {}

impl<T> Future for Yield<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(value) = this.value.take() else {
            // Rule 2: the stream took the value and asked for the next one.
            return Poll::Ready(());
        };
        let mut slot = this.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(value);
        } else {
            // Rule 3: another value is still waiting to be taken.
            this.value = Some(value);
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("handed_over", &self.value.is_none())
            .finish()
    }
}

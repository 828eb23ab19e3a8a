//! [`timeout_scope`] / [`timeout_scope_at`]: a deadline for a block of code (asyncio's
//! `async with asyncio.timeout(delay)` / `asyncio.timeout_at(when)`).
//!
//! The timer crate provides `corio::timeout` / `corio::timeout_at` for single futures;
//! these names are distinct so the facade can re-export both.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use corio_core::Elapsed;

use crate::lazy_timer::LazyTimer;

/// Runs `body` with a deadline `duration` after it is first polled; if it has not
/// finished by then it is dropped (cancelled) and the result is `Err(Elapsed)` —
/// asyncio's `async with asyncio.timeout(delay):`.
///
/// `Duration::MAX` (or any duration that overflows the clock) means no deadline.
///
/// # Examples
///
/// Needs a running corio runtime for its timer (`no_run`: this crate has none):
///
/// ```no_run
/// use corio_combinators::timeout_scope;
/// use std::time::Duration;
///
/// async fn fetch(url: &str) -> String { url.to_owned() }
///
/// async fn fetch_both() -> Result<(String, String), corio_core::Elapsed> {
///     timeout_scope(Duration::from_secs(10), async {
///         let a = fetch("a").await;
///         let b = fetch("b").await;
///         (a, b)
///     })
///     .await
/// }
/// ```
///
/// # Errors
/// `Err(Elapsed)` when the deadline passes first.
///
/// # Panics
/// When first polled with a finite deadline and no corio runtime with a timer running
/// (the message names `corio::timeout_scope`).
///
/// # Cancel safety
/// When time is up, `body` is dropped before `Err(Elapsed)` is returned.
pub fn timeout_scope<F: IntoFuture>(duration: Duration, body: F) -> Deadline<F::IntoFuture> {
    Deadline {
        body: Some(body.into_future()),
        timer: LazyTimer::after(Some(duration), "corio::timeout_scope"),
    }
}

/// Runs `body` with an absolute deadline (on the runtime's clock); if it has not finished
/// by then it is dropped (cancelled) and the result is `Err(Elapsed)` — asyncio's
/// `async with asyncio.timeout_at(when):`. A deadline in the past gives `body` one poll.
///
/// # Examples
///
/// ```no_run
/// use corio_combinators::timeout_scope_at;
/// use std::time::{Duration, Instant};
///
/// async fn step() {}
///
/// async fn steps(deadline: Instant) -> Result<(), corio_core::Elapsed> {
///     // One deadline shared by several awaits.
///     timeout_scope_at(deadline, async {
///         step().await;
///         step().await;
///     })
///     .await
/// }
/// ```
///
/// # Errors
/// `Err(Elapsed)` when the deadline passes first.
///
/// # Panics
/// When first polled with no corio runtime with a timer running (the message names
/// `corio::timeout_scope_at`).
///
/// # Cancel safety
/// When time is up, `body` is dropped before `Err(Elapsed)` is returned.
pub fn timeout_scope_at<F: IntoFuture>(deadline: Instant, body: F) -> Deadline<F::IntoFuture> {
    Deadline {
        body: Some(body.into_future()),
        timer: LazyTimer::at(deadline, "corio::timeout_scope_at"),
    }
}

/// The future returned by [`timeout_scope`] and [`timeout_scope_at`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Deadline<F> {
    /// `None` once the body finished or was dropped because time ran out.
    body: Option<F>,
    timer: LazyTimer,
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `body` is structurally pinned (never moved; it is only dropped in place
        // through `Pin::set`); `timer` is not pinned (it boxes its sleep); `Deadline` has
        // no `Drop` impl and is `Unpin` only when `F` is.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut body = unsafe { Pin::new_unchecked(&mut this.body) };
        let Some(fut) = body.as_mut().as_pin_mut() else {
            panic!("`Deadline` polled after it completed");
        };
        // The deadline is fixed (and a missing runtime reported) before the body runs.
        this.timer.start();
        if let Poll::Ready(v) = fut.poll(cx) {
            body.set(None);
            this.timer.cancel();
            return Poll::Ready(Ok(v));
        }
        match this.timer.poll(cx) {
            Poll::Ready(()) => {
                // Cancel the body before reporting, like asyncio's timeout context.
                body.set(None);
                Poll::Ready(Err(Elapsed::new()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Deadline<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("timer", &self.timer)
            .field("finished", &self.body.is_none())
            .finish()
    }
}

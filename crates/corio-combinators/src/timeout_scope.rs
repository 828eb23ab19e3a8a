//! [`timeout_scope`] / [`timeout_scope_at`]: a deadline for a block of code (asyncio's
//! `async with asyncio.timeout(delay)` / `asyncio.timeout_at(when)`).
//!
//! The timer crate provides `corio::timeout` / `corio::timeout_at` for single futures;
//! these names are distinct so the facade can re-export both. Both are
//! [`CancelScope`](crate::CancelScope)s without a handle: they follow its rules (nested
//! scopes expiring together: the outermost reports; a past deadline gives the body one
//! poll; shielded scopes inside are waited for).

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use crate::cancel_scope::{deadline_after, deadline_at, Deadline};

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
    deadline_after(duration, body.into_future(), "corio::timeout_scope")
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
    deadline_at(deadline, body.into_future(), "corio::timeout_scope_at")
}

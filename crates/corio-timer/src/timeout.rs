//! [`timeout`], [`timeout_at`] and the [`Timeout`] future (asyncio's `wait_for`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use corio_core::{coop, Elapsed, NoRuntime};

use crate::handle::TimerHandle;
use crate::instant::Instant;
use crate::sleep::Sleep;

/// Runs `future` for at most `duration` (asyncio's `wait_for`): `Ok(output)` if it
/// finished in time, `Err(Elapsed)` otherwise, in which case `future` is dropped
/// (cancelled) at that moment.
///
/// The inner future is polled first, so one that is already ready returns `Ok` even with a
/// zero duration, and never touches the timer wheel. `Duration::MAX` never times out.
///
/// The time limit starts when the `Timeout` is first polled, as asyncio's `wait_for`
/// starts its timer when it starts running and as `corio::move_on_after`'s scope does: its
/// deadline is `duration` after the end of that poll of the future (a future ready at
/// once never reads the clock). tokio's `timeout` fixes it when created instead; the two
/// differ only for a `Timeout` created long before it is awaited. [`timeout_at`] takes
/// an absolute deadline.
///
/// # Examples
///
/// ```
/// # corio::Runtime::builder().current_thread().start_paused(true).build().unwrap().block_on(async {
/// use corio_timer::{sleep, timeout};
/// use std::time::Duration;
///
/// assert_eq!(timeout(Duration::from_secs(1), async { 7 }).await, Ok(7));
/// let slow = sleep(Duration::from_secs(5));
/// assert!(timeout(Duration::from_secs(1), slow).await.is_err());
/// # });
/// ```
///
/// # Panics
/// Outside a runtime with a timer (the message names `corio::time::timeout`).
///
/// # Cancel safety
/// Dropping the `Timeout` drops the inner future and cancels the timer; it is as cancel
/// safe as the inner future.
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    let handle = TimerHandle::expect_current("corio::time::timeout");
    Timeout::new(Sleep::after_first_poll(handle, duration), future)
}

/// Like [`timeout`], but returns an error outside a runtime instead of panicking.
///
/// # Errors
/// [`NoRuntime`] naming `corio::time::try_timeout`.
pub fn try_timeout<F: Future>(duration: Duration, future: F) -> Result<Timeout<F>, NoRuntime> {
    let handle = TimerHandle::current_for("corio::time::try_timeout")?;
    Ok(Timeout::new(
        Sleep::after_first_poll(handle, duration),
        future,
    ))
}

/// Runs `future` until `deadline`; see [`timeout`].
///
/// # Panics
/// Outside a runtime with a timer (the message names `corio::time::timeout_at`).
///
/// # Cancel safety
/// As [`timeout`].
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    let handle = TimerHandle::expect_current("corio::time::timeout_at");
    Timeout::new(Sleep::new(handle, deadline), future)
}

/// The future returned by [`timeout`] and [`timeout_at`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Timeout<F> {
    /// Structurally pinned; `None` once it completed or was cancelled by the deadline.
    value: Option<F>,
    /// `Sleep` is `Unpin`: not structurally pinned.
    delay: Sleep,
}

impl<F> Timeout<F> {
    fn new(delay: Sleep, future: F) -> Self {
        Timeout {
            value: Some(future),
            delay,
        }
    }

    /// The deadline (for a [`timeout`] not polled yet: `duration` from now, see there).
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }

    /// The inner future, unless it already completed or was dropped on expiry.
    pub fn get_ref(&self) -> Option<&F> {
        self.value.as_ref()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `value` is structurally pinned: it is only reached through the
        // `Pin<&mut Option<F>>` below and dropped in place with `Pin::set` (never moved
        // out); `delay` is `Unpin` and not pinned; `Timeout` has no `Drop` impl.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this` came from a pinned reference and `value` is not moved.
        let mut value = unsafe { Pin::new_unchecked(&mut this.value) };
        let Some(future) = value.as_mut().as_pin_mut() else {
            panic!("`Timeout` polled after it completed");
        };
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(out) = future.poll(cx) {
            value.set(None);
            return Poll::Ready(Ok(out));
        }
        // If the inner future spent the task's budget, still let the deadline be noticed.
        let delay = Pin::new(&mut this.delay);
        let expired = if had_budget && !coop::has_budget_remaining() {
            coop::budget(|| delay.poll(cx))
        } else {
            delay.poll(cx)
        };
        match expired {
            Poll::Ready(()) => {
                value.set(None);
                Poll::Ready(Err(Elapsed::new()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.delay.deadline())
            .field("done", &self.value.is_none())
            .finish()
    }
}

//! [`interval`], [`interval_at`] and [`Interval`]: ticks at a fixed period, with a
//! policy for ticks that were missed.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use corio_core::NoRuntime;

use crate::handle::{duration_ns, TimerHandle};
use crate::instant::Instant;
use crate::sleep::Sleep;

/// What an [`Interval`] does when ticks were missed (the task was busy or slow to poll,
/// so that the *next* tick was already due when a tick completed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back until caught up, keeping the original schedule
    /// (start + k·period). The default.
    #[default]
    Burst,
    /// Start a new schedule: the next tick is one period after the late tick completed.
    Delay,
    /// Keep the original schedule but drop the missed ticks: the next tick is the first
    /// point of the schedule strictly after now.
    Skip,
}

impl MissedTickBehavior {
    /// The tick after `scheduled`, which completed at `now >= scheduled + period`.
    fn next(self, scheduled: Instant, now: Instant, period: Duration) -> Option<Instant> {
        match self {
            MissedTickBehavior::Burst => scheduled.checked_add(period),
            MissedTickBehavior::Delay => now.checked_add(period),
            MissedTickBehavior::Skip => {
                let into_period = (now - scheduled).as_nanos() % period.as_nanos();
                let into_period = Duration::new(
                    (into_period / 1_000_000_000) as u64,
                    (into_period % 1_000_000_000) as u32,
                );
                now.checked_add(period - into_period)
            }
        }
    }
}

/// Why an interval could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalError {
    /// The period was zero.
    ZeroPeriod,
    /// No runtime with a timer is running on this thread.
    NoRuntime(NoRuntime),
}

impl fmt::Display for IntervalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntervalError::ZeroPeriod => f.write_str("an interval's period must be non-zero"),
            IntervalError::NoRuntime(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for IntervalError {}

/// Ticks every `period`, the first tick completing at once.
///
/// # Examples
///
/// ```
/// # corio::Runtime::builder().current_thread().start_paused(true).build().unwrap().block_on(async {
/// use corio_timer::{interval, Instant};
/// use std::time::Duration;
///
/// let start = Instant::now();
/// let mut every = interval(Duration::from_millis(10));
/// for _ in 0..3 {
///     every.tick().await; // at 0 ms, 10 ms, 20 ms
/// }
/// assert_eq!(start.elapsed(), Duration::from_millis(20));
/// # });
/// ```
///
/// # Panics
/// If `period` is zero (`"... period must be non-zero"`), or outside a runtime with a
/// timer (the message names `corio::time::interval`). [`try_interval`] returns these as
/// errors.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    let handle = TimerHandle::expect_current("corio::time::interval");
    let start = handle.now();
    Interval::new(handle, start, period, "corio::time::interval")
}

/// Ticks at `start`, then every `period`.
///
/// # Panics
/// As [`interval`], naming `corio::time::interval_at`.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    let handle = TimerHandle::expect_current("corio::time::interval_at");
    Interval::new(handle, start, period, "corio::time::interval_at")
}

/// Like [`interval`], returning an error instead of panicking.
///
/// # Errors
/// [`IntervalError::ZeroPeriod`] for a zero period, [`IntervalError::NoRuntime`] outside
/// a runtime with a timer.
pub fn try_interval(period: Duration) -> Result<Interval, IntervalError> {
    if period.is_zero() {
        return Err(IntervalError::ZeroPeriod);
    }
    let handle =
        TimerHandle::current_for("corio::time::try_interval").map_err(IntervalError::NoRuntime)?;
    let start = handle.now();
    Ok(Interval::new(
        handle,
        start,
        period,
        "corio::time::try_interval",
    ))
}

/// A stream of ticks; returned by [`interval`] and [`interval_at`].
#[must_use = "an interval does nothing unless you call `tick`"]
pub struct Interval {
    delay: Sleep,
    period: Duration,
    /// `period` in nanoseconds (capped at `NEVER`).
    period_ns: u64,
    missed: MissedTickBehavior,
}

impl Interval {
    #[track_caller]
    fn new(handle: Arc<TimerHandle>, start: Instant, period: Duration, function: &str) -> Self {
        assert!(
            !period.is_zero(),
            "`{function}` was called with a zero period; an interval's period must be non-zero"
        );
        Interval {
            delay: handle.sleep_until(start),
            period,
            period_ns: duration_ns(period),
            missed: MissedTickBehavior::default(),
        }
    }

    /// Waits for the next tick; returns the instant it was scheduled for.
    ///
    /// # Cancel safety
    /// Cancel safe: if the returned future is dropped before completing, no tick is lost.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (for hand-written futures); see [`tick`](Self::tick).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.delay).poll(cx));
        let scheduled = self.delay.deadline();
        let now = self.delay.handle().now();
        let next = match scheduled.checked_add(self.period) {
            Some(on_time) if now < on_time => {
                // On schedule: one period after the tick's deadline.
                self.delay.reset_later(on_time, self.period_ns);
                return Poll::Ready(scheduled);
            }
            Some(_) => self.missed.next(scheduled, now, self.period),
            None => None,
        };
        match next {
            Some(next) => self.delay.reset(next),
            None => self.delay.reset_after(Duration::MAX),
        }
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.delay.reset_after(self.period);
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The missed-tick policy.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets the missed-tick policy.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next", &self.delay.deadline())
            .field("period", &self.period)
            .field("missed", &self.missed)
            .finish()
    }
}

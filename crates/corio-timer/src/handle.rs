//! [`TimerHandle`]: the cloneable (`Arc`) side of a timer driver that any thread uses to
//! create timers, and the seam through which the runtime context finds it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use corio_core::context::{self, RuntimeContext, TimerSource};
use corio_core::task::BoxFuture;
use corio_core::{Clock, NoRuntime};

use crate::entry::{Handoff, NEVER};
use crate::instant::Instant;
use crate::sleep::Sleep;

/// The shared side of a [`TimerDriver`](crate::TimerDriver): creates timers on its wheel
/// from any thread. Cloneable as `Arc<TimerHandle>` (from [`TimerDriver::handle`](crate::TimerDriver::handle)).
///
/// A runtime installs it in its context with [`attach`](Self::attach); after that the
/// free functions ([`sleep`](crate::sleep), [`timeout`](crate::timeout), ...) and
/// `corio_core::context::try_sleep_until` find it.
///
/// # Examples
///
/// ```
/// use corio_core::{Clock, ParkThread, RuntimeContext};
/// use corio_timer::{TimerDriver, TimerHandle};
/// use std::time::Duration;
///
/// let clock = Clock::new_paused();
/// let driver = TimerDriver::new(ParkThread::new(), clock.clone());
/// let handle = driver.handle();
/// let cx = handle.attach(RuntimeContext::new(clock));
/// let _guard = cx.enter();
/// assert!(TimerHandle::try_current().is_ok());
/// let sleep = corio_timer::sleep(Duration::from_secs(1)); // found through the context
/// assert_eq!(sleep.deadline() - corio_timer::Instant::now(), Duration::from_secs(1));
/// ```
pub struct TimerHandle {
    pub(crate) clock: Clock,
    /// Time zero of the wheel: deadlines are stored as nanoseconds since this instant.
    origin: std::time::Instant,
    pub(crate) handoff: Handoff,
}

impl TimerHandle {
    pub(crate) fn new(clock: Clock, handoff: Handoff) -> Self {
        let origin = clock.now();
        TimerHandle {
            clock,
            origin,
            handoff,
        }
    }

    /// The handle of the current runtime's timer.
    ///
    /// # Errors
    /// [`NoRuntime`] (naming `corio::time::TimerHandle::current`) when no runtime with a
    /// timer is running on this thread.
    pub fn try_current() -> Result<Arc<TimerHandle>, NoRuntime> {
        Self::current_for("corio::time::TimerHandle::current")
    }

    pub(crate) fn current_for(function: &'static str) -> Result<Arc<TimerHandle>, NoRuntime> {
        context::get::<TimerHandle>().ok_or(NoRuntime::new(function))
    }

    #[track_caller]
    pub(crate) fn expect_current(function: &'static str) -> Arc<TimerHandle> {
        match Self::current_for(function) {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// Adds this handle to a runtime context: as the typed extension that
    /// `corio_core::context::get::<TimerHandle>()` finds (the fast path of this crate's
    /// functions) and as the context's [`TimerSource`] (for crates that only know core).
    pub fn attach(self: &Arc<Self>, cx: RuntimeContext) -> RuntimeContext {
        cx.with_extension(self.clone())
            .with_timer(Arc::new(Source(self.clone())))
    }

    /// The clock this timer follows.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A [`Sleep`] on this timer that completes at `deadline` (no context needed).
    pub fn sleep_until(self: &Arc<Self>, deadline: Instant) -> Sleep {
        Sleep::new(self.clone(), deadline)
    }

    /// A [`Sleep`] on this timer that completes `duration` from now (no context needed).
    pub fn sleep(self: &Arc<Self>, duration: Duration) -> Sleep {
        Sleep::after(self.clone(), duration)
    }

    /// The current instant on this timer's clock.
    pub fn now(&self) -> Instant {
        Instant::from_std(self.clock.now())
    }

    /// Nanoseconds since the origin; `NEVER` when out of range.
    #[inline]
    pub(crate) fn to_ns(&self, t: std::time::Instant) -> u64 {
        match t.checked_duration_since(self.origin) {
            None => 0,
            Some(d) => duration_ns(d),
        }
    }

    /// The instant `ns` nanoseconds after the origin.
    pub(crate) fn instant_of(&self, ns: u64) -> std::time::Instant {
        self.origin + Duration::from_nanos(ns)
    }

    pub(crate) fn now_ns(&self) -> u64 {
        self.to_ns(self.clock.now())
    }
}

/// `d` in nanoseconds, capped at `NEVER` (plain `u64` arithmetic, no `u128`).
#[inline]
pub(crate) fn duration_ns(d: Duration) -> u64 {
    d.as_secs()
        .checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(u64::from(d.subsec_nanos())))
        .map_or(NEVER, |n| n.min(NEVER))
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("clock", &self.clock)
            .field("handoff", &self.handoff)
            .finish_non_exhaustive()
    }
}

/// The handle seen through core's [`TimerSource`] seam.
struct Source(Arc<TimerHandle>);

impl TimerSource for Source {
    fn sleep_until(&self, deadline: std::time::Instant) -> BoxFuture<()> {
        Box::pin(Sleep::new(self.0.clone(), Instant::from_std(deadline)))
    }
}

//! [`TimerHandle`]: the cloneable (`Arc`) side of a timer driver that any thread uses to
//! create timers, and the seam through which the runtime context finds it.

use std::fmt;
use std::sync::{Arc, Weak};
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
    /// Ourselves, for the [`TimerSource`] seam's `&self` method, which must hand an
    /// `Arc` to the `Sleep` it makes.
    me: Weak<TimerHandle>,
    pub(crate) clock: Clock,
    /// Time zero of the wheel: deadlines are stored as nanoseconds since this instant.
    origin: std::time::Instant,
    pub(crate) handoff: Handoff,
}

impl TimerHandle {
    pub(crate) fn new(clock: Clock, handoff: Handoff) -> Arc<Self> {
        let origin = clock.now();
        Arc::new_cyclic(|me| TimerHandle {
            me: me.clone(),
            clock,
            origin,
            handoff,
        })
    }

    /// The handle of the current runtime's timer.
    ///
    /// # Errors
    /// [`NoRuntime`] (naming `corio::time::TimerHandle::current`) when no runtime with a
    /// timer is running on this thread.
    pub fn try_current() -> Result<Arc<TimerHandle>, NoRuntime> {
        Self::current_for("corio::time::TimerHandle::current")
    }

    #[inline]
    pub(crate) fn current_for(function: &'static str) -> Result<Arc<TimerHandle>, NoRuntime> {
        context::timer_as::<TimerHandle>().ok_or(NoRuntime::new(function))
    }

    #[inline]
    #[track_caller]
    pub(crate) fn expect_current(function: &'static str) -> Arc<TimerHandle> {
        match Self::current_for(function) {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// Sets this handle as the context's timer: this crate's functions find it with
    /// `corio_core::context::timer_as::<TimerHandle>()` (a field read), crates that
    /// only know core through its [`TimerSource`] seam.
    pub fn attach(self: &Arc<Self>, cx: RuntimeContext) -> RuntimeContext {
        cx.with_timer(self.clone())
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

/// The handle seen through core's [`TimerSource`] seam (a boxed [`Sleep`]).
impl TimerSource for TimerHandle {
    fn sleep_until(&self, deadline: std::time::Instant) -> BoxFuture<()> {
        // `&self` is borrowed from a live `Arc<TimerHandle>` (the only way to make one),
        // so upgrading our own weak reference succeeds.
        let handle = self.me.upgrade().expect("a TimerHandle lives in an Arc");
        Box::pin(Sleep::new(handle, Instant::from_std(deadline)))
    }
}

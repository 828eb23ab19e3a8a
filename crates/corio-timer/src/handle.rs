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

    /// Time zero of the wheel.
    #[inline]
    pub(crate) fn origin(&self) -> Instant {
        Instant::from_std(self.origin)
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

/// The most whole seconds whose nanoseconds, plus any sub-second part, stay below
/// `NEVER`; a longer duration is "never" (it is beyond what the wheel can file).
const MAX_SECS: u64 = NEVER / 1_000_000_000 - 1;
/// The largest deadline in ns that is not "never" (`MAX_SECS` and 999 999 999 ns).
const MAX_NS: u64 = (MAX_SECS + 1) * 1_000_000_000 - 1;

/// `d` in nanoseconds, or `NEVER` from ~584 years on (one comparison, then plain `u64`
/// arithmetic that cannot overflow).
#[inline]
pub(crate) fn duration_ns(d: Duration) -> u64 {
    let secs = d.as_secs();
    if secs <= MAX_SECS {
        secs * 1_000_000_000 + u64::from(d.subsec_nanos())
    } else {
        NEVER
    }
}

/// `a + b` in ns, `NEVER` beyond `MAX_NS` (as `duration_ns` of the summed durations).
#[inline]
pub(crate) fn add_ns(a: u64, b: u64) -> u64 {
    match a.checked_add(b) {
        Some(n) if n <= MAX_NS => n,
        _ => NEVER,
    }
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

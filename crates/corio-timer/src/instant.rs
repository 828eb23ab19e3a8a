//! [`Instant`]: a point in time on the current runtime's clock (virtual when paused).

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A measurement of the current runtime's clock: like [`std::time::Instant`], but `now()`
/// follows virtual time while the runtime's clock is paused. Outside a runtime it is the
/// real monotonic clock.
///
/// # Examples
///
/// ```
/// use corio_core::{clock::Clock, RuntimeContext};
/// use corio_timer::Instant;
/// use std::time::Duration;
///
/// let clock = Clock::new_paused();
/// let _cx = RuntimeContext::new(clock.clone()).enter();
/// let start = Instant::now();
/// clock.advance(Duration::from_secs(5)).unwrap();
/// assert_eq!(start.elapsed(), Duration::from_secs(5));
/// assert_eq!(Instant::now() - start, Duration::from_secs(5));
/// let std: std::time::Instant = start.into();
/// assert_eq!(Instant::from(std), start);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// Now, on the current runtime's clock (real time outside a runtime).
    pub fn now() -> Instant {
        Instant(corio_core::context::now())
    }

    /// Wraps a std instant.
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant(std)
    }

    /// The std instant.
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time since `self` on the current runtime's clock.
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + duration`, or `None` on overflow.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` on underflow.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }

    /// An instant so far ahead that a timer set to it never fires (used for
    /// `Duration::MAX`-like requests).
    pub(crate) fn far_future(from: std::time::Instant) -> Instant {
        const FAR: Duration = Duration::from_secs(1000 * 365 * 86_400);
        const NEAR: Duration = Duration::from_secs(30 * 365 * 86_400);
        Instant(
            from.checked_add(FAR)
                .or(from.checked_add(NEAR))
                .unwrap_or(from),
        )
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Self {
        Instant(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(i: Instant) -> Self {
        i.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// # Panics
    /// On overflow, like `std::time::Instant`.
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0 + rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        self.0 += rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        Instant(self.0 - rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        self.0 -= rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero, like `std::time::Instant` since Rust 1.60.
    fn sub(self, rhs: Instant) -> Duration {
        self.0.saturating_duration_since(rhs.0)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

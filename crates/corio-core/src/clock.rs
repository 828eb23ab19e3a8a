//! The runtime's clock: real monotonic time, or virtual time that can be paused,
//! advanced by hand, and auto-advanced by the timer driver when the runtime is idle.
//!
//! Time is expressed as [`std::time::Instant`]. A real clock returns `Instant::now()`.
//! Once paused, the clock returns a frozen instant that only [`Clock::advance`] moves;
//! after [`Clock::resume`], it runs at real speed again from where it stood.
//!
//! # Auto-advance hooks
//! Virtual time jumps to the next timer only when nothing else can make progress.
//! [`Activity`] counts what is busy: executor workers that are running (not parked)
//! and blocking-pool jobs in flight. The timer driver checks [`Activity::is_idle`]
//! before jumping, and registers an [`Unparker`] through [`Activity::set_idle_unparker`]
//! so that, while the clock is paused, the last busy party going idle wakes it to
//! re-check.
//!
//! # Holds: work outside the runtime
//! Some work the runtime waits on is not a task: a child process, a thread outside the
//! runtime, a peer on the other end of a socket. Jumping over it would fire a timeout
//! early. Such work takes a [`HoldGuard`] ([`Clock::hold`]; corio's child processes hold
//! the clock while they run). While any hold is live, a paused clock does not jump: it
//! *flows* at real speed towards the next deadline, so a timeout can never fire before
//! the real time it names has passed, and nothing hangs (a hold that is never released
//! only makes virtual time real). The last hold released wakes the timer driver, which
//! goes back to jumping.
//!
//! # Invariants
//! 1. `now()` never goes backwards, paused or not.
//! 2. `advance` and `pause` change what `now()` returns only while paused / at the call.
//! 3. While the clock is not paused, `Activity` never unparks anything (no cost on the
//!    hot path beyond two relaxed-ish atomic operations per park cycle).
//! 4. While any hold is live, auto-advance moves a paused clock no faster than real time.
//! 5. Every busy guard taken bumps the activity's epoch ([`Activity::idle_epoch`]) in the
//!    same atomic operation as the count: a driver that read the runtime idle at epoch
//!    `e` and reads it idle at `e` again knows no party was busy in between (so none
//!    registered or cancelled a timer meanwhile), and may jump to the deadline it found.
//! 6. Auto-advance never jumps over an I/O completion the kernel already owes: being
//!    idle is not enough, the timer driver also asks the I/O driver
//!    ([`Driver::park_owed`](crate::Driver::park_owed), driver invariant 4), which
//!    waits in real time for a completion that is finished in the kernel but not yet
//!    visible (io_uring's task work of another thread) before the clock may jump.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::lock::Mutex;

use crate::driver::Unparker;

/// A cloneable handle to a runtime's clock (real or virtual).
///
/// # Examples
///
/// ```
/// use corio_core::clock::Clock;
/// use std::time::Duration;
///
/// let clock = Clock::new();
/// clock.pause().unwrap();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(3600)).unwrap();
/// assert_eq!(clock.now() - t0, Duration::from_secs(3600));
/// ```
#[derive(Clone)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

struct ClockInner {
    /// Set once the clock has ever been paused; before that `now()` is `Instant::now()`.
    virtualized: AtomicBool,
    /// Mirrors `state.frozen`, readable without the lock.
    paused: AtomicBool,
    /// Whether the timer driver may jump to the next deadline while paused and idle.
    auto_advance: AtomicBool,
    state: Mutex<VirtualState>,
    activity: Activity,
}

struct VirtualState {
    /// The virtual instant at the moment the clock was last frozen or resumed.
    base: Instant,
    /// `Some(real instant)` when running (resumed): now = base + (real_now - unfrozen).
    /// `None` while paused: now = base.
    unfrozen: Option<Instant>,
}

/// Why a clock operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockError {
    /// `pause` on a clock that is already paused.
    AlreadyPaused,
    /// `advance` or `resume` on a clock that is not paused.
    NotPaused,
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockError::AlreadyPaused => f.write_str("time is already paused"),
            ClockError::NotPaused => f.write_str("time is not paused; call `pause()` first"),
        }
    }
}

impl std::error::Error for ClockError {}

impl Clock {
    /// A clock that follows real monotonic time until someone pauses it.
    pub fn new() -> Self {
        Clock {
            inner: Arc::new(ClockInner {
                virtualized: AtomicBool::new(false),
                paused: AtomicBool::new(false),
                auto_advance: AtomicBool::new(true),
                state: Mutex::new(VirtualState {
                    base: Instant::now(),
                    unfrozen: Some(Instant::now()),
                }),
                activity: Activity::new(),
            }),
        }
    }

    /// A clock that starts paused (virtual time), with auto-advance on.
    pub fn new_paused() -> Self {
        let clock = Clock::new();
        clock.pause().expect("a new clock is not paused");
        clock
    }

    /// The current instant on this clock.
    #[inline]
    pub fn now(&self) -> Instant {
        if !self.inner.virtualized.load(Ordering::Acquire) {
            return Instant::now();
        }
        self.virtual_now()
    }

    /// `now()` of a clock that was ever paused (kept out of line so the real-time path
    /// inlines into its callers).
    #[inline(never)]
    fn virtual_now(&self) -> Instant {
        let state = self.inner.state.lock();
        match state.unfrozen {
            None => state.base,
            Some(since) => state.base + since.elapsed(),
        }
    }

    /// Freezes time. `now()` returns the same instant until `advance` or `resume`.
    ///
    /// # Errors
    /// [`ClockError::AlreadyPaused`] if the clock is already paused.
    pub fn pause(&self) -> Result<(), ClockError> {
        let mut state = self.inner.state.lock();
        let now = if self.inner.virtualized.load(Ordering::Acquire) {
            match state.unfrozen {
                None => return Err(ClockError::AlreadyPaused),
                Some(since) => state.base + since.elapsed(),
            }
        } else {
            Instant::now()
        };
        state.base = now;
        state.unfrozen = None;
        self.inner.paused.store(true, Ordering::Release);
        self.inner.virtualized.store(true, Ordering::Release);
        Ok(())
    }

    /// Lets time run at real speed again, from the instant it was paused at.
    ///
    /// # Errors
    /// [`ClockError::NotPaused`] if the clock is not paused.
    pub fn resume(&self) -> Result<(), ClockError> {
        let mut state = self.inner.state.lock();
        if state.unfrozen.is_some() || !self.inner.paused.load(Ordering::Acquire) {
            return Err(ClockError::NotPaused);
        }
        state.unfrozen = Some(Instant::now());
        self.inner.paused.store(false, Ordering::Release);
        Ok(())
    }

    /// Moves paused time forward by `by`. Saturates instead of overflowing.
    ///
    /// This only moves the clock; the timer driver fires what became due on its next
    /// turn (the timer crate's `advance` wraps this and yields so timers run).
    ///
    /// # Errors
    /// [`ClockError::NotPaused`] if the clock is not paused.
    pub fn advance(&self, by: Duration) -> Result<(), ClockError> {
        let mut state = self.inner.state.lock();
        if state.unfrozen.is_some() || !self.inner.paused.load(Ordering::Acquire) {
            return Err(ClockError::NotPaused);
        }
        state.base = state.base.checked_add(by).unwrap_or(state.base);
        Ok(())
    }

    /// Moves paused time forward to `to` if it is later than now (used by auto-advance).
    ///
    /// # Errors
    /// [`ClockError::NotPaused`] if the clock is not paused.
    pub fn advance_to(&self, to: Instant) -> Result<(), ClockError> {
        let mut state = self.inner.state.lock();
        if state.unfrozen.is_some() || !self.inner.paused.load(Ordering::Acquire) {
            return Err(ClockError::NotPaused);
        }
        if to > state.base {
            state.base = to;
        }
        Ok(())
    }

    /// Whether time is currently paused.
    #[inline]
    pub fn is_paused(&self) -> bool {
        self.inner.paused.load(Ordering::Acquire)
    }

    /// Whether the timer driver may jump a paused clock to the next deadline when idle.
    pub fn auto_advance(&self) -> bool {
        self.inner.auto_advance.load(Ordering::Acquire)
    }

    /// Turns auto-advance on or off (on by default).
    pub fn set_auto_advance(&self, on: bool) {
        self.inner.auto_advance.store(on, Ordering::Release);
    }

    /// The busy counter that auto-advance consults.
    #[inline]
    pub fn activity(&self) -> &Activity {
        &self.inner.activity
    }

    /// Whether two handles refer to the same clock.
    pub fn ptr_eq(&self, other: &Clock) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn wake_idle_waiter(&self) {
        if self.is_paused() {
            if let Some(u) = self.inner.activity.idle_unparker.lock().as_ref() {
                u.unpark();
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("paused", &self.is_paused())
            .field("now", &self.now())
            .finish()
    }
}

/// Counts the parties that can still make progress without time moving (running
/// executor workers and in-flight blocking jobs), and the holds of work outside the
/// runtime (child processes, [`Clock::hold`]).
///
/// Virtual time jumps only when the busy count is zero and no hold is live; with a hold
/// live it flows at real speed.
pub struct Activity {
    /// The busy count in the low 32 bits ([`COUNT`]), the epoch above it (rule 5): each
    /// [`Clock::busy`] adds [`BUSY_ONE`], each guard dropped subtracts 1.
    busy: AtomicU64,
    holds: AtomicUsize,
    idle_unparker: Mutex<Option<Unparker>>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            busy: AtomicU64::new(0),
            holds: AtomicUsize::new(0),
            idle_unparker: Mutex::new(None),
        }
    }

    /// Whether work outside the runtime holds the clock (see [`Clock::hold`]).
    #[inline]
    pub fn is_held(&self) -> bool {
        self.holds.load(Ordering::Acquire) > 0
    }

    /// Whether nothing is busy.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) & COUNT == 0
    }

    /// The current epoch if nothing is busy, `None` otherwise (rule 5 of the module
    /// docs). Two equal readings mean no party was busy between them, not even briefly.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_core::clock::Clock;
    ///
    /// let clock = Clock::new_paused();
    /// let epoch = clock.activity().idle_epoch().unwrap();
    /// drop(clock.busy()); // busy and idle again in between
    /// assert!(clock.activity().idle_epoch().is_some());
    /// assert_ne!(clock.activity().idle_epoch(), Some(epoch));
    /// ```
    #[inline]
    pub fn idle_epoch(&self) -> Option<u64> {
        let word = self.busy.load(Ordering::SeqCst);
        (word & COUNT == 0).then_some(word >> 32)
    }

    /// How many parties are busy.
    pub fn busy(&self) -> usize {
        (self.busy.load(Ordering::Acquire) & COUNT) as usize
    }

    /// Registers the unparker woken when the count drops to zero while paused.
    pub fn set_idle_unparker(&self, unparker: Option<Unparker>) {
        *self.idle_unparker.lock() = unparker;
    }
}

/// The busy count's bits in `Activity::busy`.
const COUNT: u64 = u32::MAX as u64;
/// What one busy guard adds: one to the count, one to the epoch (rule 5).
const BUSY_ONE: u64 = (1 << 32) | 1;

impl fmt::Debug for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Activity")
            .field("busy", &self.busy())
            .field("holds", &self.holds.load(Ordering::Relaxed))
            .finish()
    }
}

impl Clock {
    /// Marks one party busy until the guard is dropped (or [`BusyGuard::idle`] is called).
    #[inline]
    pub fn busy(&self) -> BusyGuard {
        self.inner
            .activity
            .busy
            .fetch_add(BUSY_ONE, Ordering::AcqRel);
        BusyGuard {
            clock: self.clone(),
        }
    }
}

impl Clock {
    /// Holds a paused clock for work outside the runtime until the guard is dropped:
    /// while any hold is live, auto-advance does not jump over it but lets virtual time
    /// flow at real speed (see the module docs). Take one around a wait whose other side
    /// is not a corio task: a `std::thread` that answers through a channel, a peer
    /// process on a socket. corio's child processes take one themselves; blocking-pool
    /// jobs count as busy, which is stronger. On a clock that is not paused a hold costs
    /// two atomic operations and changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_core::clock::Clock;
    ///
    /// let clock = Clock::new_paused();
    /// let hold = clock.hold();
    /// assert!(clock.activity().is_held());
    /// drop(hold);
    /// assert!(!clock.activity().is_held());
    /// ```
    pub fn hold(&self) -> HoldGuard {
        self.inner.activity.holds.fetch_add(1, Ordering::AcqRel);
        HoldGuard {
            clock: self.clone(),
        }
    }
}

/// Holds a paused clock while work outside the runtime is in flight; see [`Clock::hold`].
#[must_use = "the clock is held only while the guard lives"]
#[derive(Debug)]
pub struct HoldGuard {
    clock: Clock,
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        if self
            .clock
            .inner
            .activity
            .holds
            .fetch_sub(1, Ordering::AcqRel)
            == 1
        {
            // Back to jumping: wake a driver that flows at real speed.
            self.clock.wake_idle_waiter();
        }
    }
}

/// Keeps the clock's [`Activity`] count raised; dropping it lowers the count and, if that
/// made the runtime idle while paused, wakes the timer driver to auto-advance.
#[must_use = "the party counts as busy only while the guard lives"]
#[derive(Debug)]
pub struct BusyGuard {
    clock: Clock,
}

impl BusyGuard {
    /// Lowers the count now (same as dropping the guard).
    pub fn idle(self) {}
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        if self
            .clock
            .inner
            .activity
            .busy
            .fetch_sub(1, Ordering::AcqRel)
            & COUNT
            == 1
        {
            self.clock.wake_idle_waiter();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn paused_clock_only_moves_on_advance() {
        let c = Clock::new_paused();
        let t0 = c.now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_secs(2)).unwrap();
        assert_eq!(c.now() - t0, Duration::from_secs(2));
    }

    #[test]
    fn resume_continues_from_paused_instant() {
        let c = Clock::new_paused();
        let t0 = c.now();
        c.advance(Duration::from_secs(10)).unwrap();
        c.resume().unwrap();
        assert!(c.now() >= t0 + Duration::from_secs(10));
        assert_eq!(
            c.advance(Duration::from_secs(1)),
            Err(ClockError::NotPaused)
        );
        assert_eq!(c.resume(), Err(ClockError::NotPaused));
    }

    #[test]
    fn double_pause_is_an_error() {
        let c = Clock::new_paused();
        assert_eq!(c.pause(), Err(ClockError::AlreadyPaused));
    }

    #[test]
    fn advance_saturates_on_huge_durations() {
        let c = Clock::new_paused();
        let t0 = c.now();
        c.advance(Duration::MAX).unwrap();
        assert_eq!(c.now(), t0);
    }

    #[test]
    fn last_busy_party_wakes_idle_waiter_only_when_paused() {
        use crate::driver::{Driver, ParkThread};
        let c = Clock::new();
        let mut park = ParkThread::new();
        c.activity().set_idle_unparker(Some(park.unparker()));
        drop(c.busy());
        assert!(!park.park(Some(Duration::ZERO)), "not paused: no wake");
        c.pause().unwrap();
        let a = c.busy();
        let b = c.busy();
        drop(a);
        assert!(!c.activity().is_idle());
        assert!(!park.park(Some(Duration::ZERO)));
        drop(b);
        assert!(c.activity().is_idle());
        assert!(
            park.park(Some(Duration::ZERO)),
            "went idle while paused: woken"
        );
    }
}

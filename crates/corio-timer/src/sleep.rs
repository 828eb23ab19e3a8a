//! [`sleep`], [`sleep_until`] and the [`Sleep`] future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use corio_core::{coop, NoRuntime};

use crate::entry::{Entry, CANCELLED, NEVER};
use crate::handle::{add_ns, duration_ns, TimerHandle};
use crate::instant::Instant;

/// Waits until `duration` has elapsed on the runtime's clock (asyncio's `sleep`).
///
/// `Duration::MAX` (or any duration whose deadline overflows) means "never".
///
/// # Examples
///
/// ```
/// # corio::Runtime::builder().current_thread().start_paused(true).build().unwrap().block_on(async {
/// use corio_timer::{sleep, Instant};
/// use std::time::Duration;
///
/// let start = Instant::now();
/// sleep(Duration::from_secs(2)).await; // virtual time in this example: instant
/// assert_eq!(start.elapsed(), Duration::from_secs(2));
/// # });
/// ```
///
/// # Panics
/// Outside a runtime with a timer (the message names `corio::time::sleep` and how to
/// fix it). [`try_sleep`] returns the error instead.
///
/// # Cancel safety
/// Dropping the future cancels the timer (O(1)); nothing else is affected.
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::after(TimerHandle::expect_current("corio::time::sleep"), duration)
}

/// Like [`sleep`], but returns an error outside a runtime instead of panicking.
///
/// # Errors
/// [`NoRuntime`] naming `corio::time::try_sleep` when no runtime with a timer is running
/// on this thread.
pub fn try_sleep(duration: Duration) -> Result<Sleep, NoRuntime> {
    Ok(Sleep::after(
        TimerHandle::current_for("corio::time::try_sleep")?,
        duration,
    ))
}

/// Waits until `deadline` on the runtime's clock. A deadline in the past completes on the
/// first poll.
///
/// # Panics
/// Outside a runtime with a timer (the message names `corio::time::sleep_until`).
///
/// # Cancel safety
/// Dropping the future cancels the timer.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(
        TimerHandle::expect_current("corio::time::sleep_until"),
        deadline,
    )
}

/// A future that completes at a deadline; returned by [`sleep`] and [`sleep_until`].
///
/// Registration is lazy: a `Sleep` touches the timer wheel only when first polled while
/// its deadline is still ahead, so creating and dropping one costs no allocation.
///
/// # Precision
/// The driver parks until the exact nearest deadline (not rounded to its 1 ms wheel
/// tick), so a timer fires as soon as the inner driver returns from a park of that length.
/// Deadlines more than ~584 years after the driver started never fire.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Sleep {
    handle: Arc<TimerHandle>,
    /// The deadline is `base + after_ns`: `sleep(d)` stores the instant it was created
    /// and `d` in nanoseconds, and adds them only when the sum is needed (so a `timeout`
    /// whose future is ready at once never pays for the checked `Instant` addition).
    /// `after_ns` is zero for `sleep_until`, after a reset, and for a `d` of ~584 years or
    /// more (beyond `duration_ns`), whose deadline is added at once. Nanoseconds, not a
    /// `Duration`, keep `Sleep` at 56 bytes: moving one (into a `Timeout`, a task's
    /// state) is a few register moves, not a call to `memcpy`.
    base: Instant,
    after_ns: u64,
    /// The deadline in ns since the driver's origin; `NEVER` when it never fires;
    /// [`UNCONVERTED`] until the first poll (or reset) needs it, so a sleep that is
    /// dropped unpolled, or a `timeout` whose future is ready at once, never pays for the
    /// conversion.
    deadline_ns: u64,
    /// Set at creation and reset: the next poll compares the deadline with the clock, so a
    /// deadline in the past completes at once without touching the wheel.
    fresh: bool,
    /// `timeout(d, ..)`'s sleep: `base` is not read yet; the clock is read (and `base`
    /// fixed) when the deadline is first needed, at the first poll or a reset
    /// ([`Sleep::after_first_poll`]). Never set with an `after_ns` of zero.
    unstarted: bool,
    entry: Option<Arc<Entry>>,
}

/// `Sleep::deadline_ns` before the deadline was converted (never a real deadline: those
/// are at most `NEVER`).
const UNCONVERTED: u64 = u64::MAX;

impl Sleep {
    #[inline]
    pub(crate) fn new(handle: Arc<TimerHandle>, deadline: Instant) -> Sleep {
        Sleep {
            handle,
            base: deadline,
            after_ns: 0,
            deadline_ns: UNCONVERTED,
            fresh: true,
            unstarted: false,
            entry: None,
        }
    }

    #[inline]
    pub(crate) fn after(handle: Arc<TimerHandle>, duration: Duration) -> Sleep {
        let now = Instant::from_std(handle.clock.now());
        let after_ns = duration_ns(duration);
        if after_ns == NEVER {
            return Sleep::never_after(handle, now, duration);
        }
        Sleep {
            handle,
            base: now,
            after_ns,
            deadline_ns: UNCONVERTED,
            fresh: true,
            unstarted: false,
            entry: None,
        }
    }

    /// `Sleep::after` of a duration of ~584 years or more (out of line: rare): the
    /// deadline is added now, and it never fires.
    #[cold]
    #[inline(never)]
    fn never_after(handle: Arc<TimerHandle>, now: Instant, duration: Duration) -> Sleep {
        let mut never = Sleep::new(handle, far_deadline(now, duration));
        never.deadline_ns = NEVER;
        never
    }

    /// A sleep of `duration` that starts when first polled, not now: `timeout`'s, which
    /// polls its future first, so a future ready at once never reads the clock.
    #[inline]
    pub(crate) fn after_first_poll(handle: Arc<TimerHandle>, duration: Duration) -> Sleep {
        let after_ns = duration_ns(duration);
        if after_ns == 0 || after_ns == NEVER {
            // Rare: started now, as `after` does.
            return Sleep::after_now(handle, duration);
        }
        // A placeholder until started (never read while `unstarted`).
        let base = handle.origin();
        Sleep {
            handle,
            base,
            after_ns,
            deadline_ns: UNCONVERTED,
            fresh: true,
            unstarted: true,
            entry: None,
        }
    }

    /// `Sleep::after`, out of line (`after_first_poll`'s rare cases).
    #[cold]
    #[inline(never)]
    fn after_now(handle: Arc<TimerHandle>, duration: Duration) -> Sleep {
        Sleep::after(handle, duration)
    }

    /// Starts an unstarted sleep: its deadline is `after_ns` from now.
    #[inline(never)]
    fn start(&mut self) {
        self.base = Instant::from_std(self.handle.clock.now());
        self.unstarted = false;
    }

    /// `base + after_ns` in ns since the origin, capped at `NEVER` (an overflowing sum
    /// never fires, as an overflowing `Instant` would). Not for an unstarted sleep.
    fn convert(&self) -> u64 {
        debug_assert!(!self.unstarted);
        let base = self.handle.to_ns(self.base.into_std());
        if self.after_ns == 0 {
            return base;
        }
        add_ns(base, self.after_ns)
    }

    /// The deadline in ns since the origin (converted once, on first use).
    #[inline]
    fn deadline_ns(&mut self) -> u64 {
        if self.deadline_ns == UNCONVERTED {
            if self.unstarted {
                self.start();
            }
            self.deadline_ns = self.convert();
        }
        self.deadline_ns
    }

    /// A sleep that goes through the driver even if its deadline already passed, so it
    /// completes only after the driver fired everything due up to `deadline`.
    pub(crate) fn through_driver(handle: Arc<TimerHandle>, deadline: Instant) -> Sleep {
        let mut s = Sleep::new(handle, deadline);
        s.fresh = false;
        s
    }

    /// The instant at which this sleep completes. (A `timeout`'s sleep that was not polled
    /// yet starts at its first poll: until then, its duration from now.)
    pub fn deadline(&self) -> Instant {
        if self.after_ns == 0 {
            return self.base;
        }
        let base = if self.unstarted {
            Instant::from_std(self.handle.clock.now())
        } else {
            self.base
        };
        far_deadline(base, Duration::from_nanos(self.after_ns))
    }

    /// Whether the deadline has been reached.
    pub fn is_elapsed(&self) -> bool {
        if self.unstarted {
            // Not started: its (non-zero) duration is all ahead.
            return false;
        }
        let deadline_ns = match self.deadline_ns {
            UNCONVERTED => self.convert(),
            ns => ns,
        };
        match &self.entry {
            Some(e) if e.is_fired() => true,
            _ => deadline_ns != NEVER && self.handle.now_ns() >= deadline_ns,
        }
    }

    /// Moves the deadline, before or after the sleep completed; the next poll waits for the
    /// new one (at once, if it already passed). Works through `Pin<&mut Sleep>` too
    /// (`Sleep` is `Unpin`).
    ///
    /// # Examples
    ///
    /// ```
    /// # corio::Runtime::builder().current_thread().start_paused(true).build().unwrap().block_on(async {
    /// use corio_timer::{sleep, Instant};
    /// use std::time::Duration;
    ///
    /// let start = Instant::now();
    /// let mut s = sleep(Duration::from_secs(10));
    /// s.reset(start + Duration::from_secs(1));
    /// s.await;
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        let ns = self.handle.to_ns(deadline.into_std());
        self.reset_ns(deadline, ns);
    }

    /// Resets `self` to `deadline`, which is its current deadline plus `by_ns`
    /// nanoseconds (an interval's next tick): the new deadline in ns is a sum, not a
    /// conversion, when the current one is known and exact.
    pub(crate) fn reset_later(&mut self, deadline: Instant, by_ns: u64) {
        let ns = match self.deadline_ns {
            // Unknown, or clamped (0: before the origin; `NEVER`: capped): convert.
            UNCONVERTED | 0 | NEVER => self.handle.to_ns(deadline.into_std()),
            d => add_ns(d, by_ns),
        };
        debug_assert_eq!(ns, self.handle.to_ns(deadline.into_std()));
        self.reset_ns(deadline, ns);
    }

    /// [`reset`](Self::reset) with the deadline already converted (`ns`).
    fn reset_ns(&mut self, deadline: Instant, ns: u64) {
        self.base = deadline;
        self.after_ns = 0;
        self.unstarted = false;
        self.deadline_ns = ns;
        self.fresh = true;
        if let Some(entry) = &self.entry {
            let handoff = &self.handle.handoff;
            match (self.deadline_ns, handoff.try_wheel()) {
                (NEVER, Some(wheel)) => handoff.unfile(wheel, entry),
                (NEVER, None) => handoff.cancel(entry),
                (d, Some(wheel)) => {
                    handoff.refile(wheel, entry, d);
                    // Filed (or fired) against the wheel's own time: no clock check.
                    self.fresh = false;
                }
                (d, None) => {
                    handoff.submit(entry, d);
                }
            }
        }
    }

    /// Resets `self` to complete `duration` after now (`Duration::MAX`: never).
    pub(crate) fn reset_after(&mut self, duration: Duration) {
        let now = self.handle.clock.now();
        match now.checked_add(duration) {
            Some(d) => self.reset(Instant::from_std(d)),
            None => {
                let far = Instant::far_future(now);
                self.reset(far);
                self.deadline_ns = NEVER;
                if let Some(entry) = &self.entry {
                    self.handle.handoff.cancel(entry);
                }
            }
        }
    }

    pub(crate) fn handle(&self) -> &Arc<TimerHandle> {
        &self.handle
    }

    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(entry) = &self.entry {
            if self.fresh {
                self.fresh = false;
                if self.deadline_ns != NEVER && self.handle.now_ns() >= self.deadline_ns {
                    return true;
                }
            }
            if entry.is_fired() {
                return true;
            }
            entry.waker.register(cx.waker());
            return entry.is_fired();
        }
        let deadline_ns = self.deadline_ns();
        if deadline_ns == NEVER {
            self.fresh = false;
            self.entry = Some(Entry::new(CANCELLED, cx.waker()));
            return false;
        }
        let handoff = &self.handle.handoff;
        if let Some(mut wheel) = handoff.try_wheel() {
            // Direct filing (entry.rs, rule 4). A deadline the wheel already processed is
            // due. Otherwise a fresh `sleep(d)` with `d > 0` needs no clock read: it was
            // ahead when created, and if the clock passed it since, the driver's next
            // turn fires it. An explicit deadline (or `sleep(ZERO)`) may be in the past
            // and completes on this first poll, as documented.
            if deadline_ns <= wheel.processed() {
                self.fresh = false;
                return true;
            }
            if std::mem::take(&mut self.fresh)
                && self.after_ns == 0
                && self.handle.now_ns() >= deadline_ns
            {
                return true;
            }
            let entry = match wheel.take_spare() {
                Some(spare) => Entry::rearm(spare, deadline_ns),
                None => Entry::armed(deadline_ns),
            };
            let filed = handoff.file_new(wheel, &entry, deadline_ns);
            debug_assert!(filed);
            // With the lock released: the registration may drop a spare's old waker.
            // A fire since the filing woke that old waker (a spurious wake-up of its
            // task), not ours: look at the word again.
            entry.waker.register(cx.waker());
            let fired = entry.is_fired();
            self.entry = Some(entry);
            return fired;
        }
        if self.fresh {
            self.fresh = false;
            if self.handle.now_ns() >= deadline_ns {
                return true;
            }
        }
        let entry = Entry::new(deadline_ns, cx.waker());
        handoff.register(entry.clone());
        self.entry = Some(entry);
        false
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        if self.get_mut().poll_elapsed(cx) {
            coop.made_progress();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            release(&self.handle, entry);
        }
    }
}

/// Disarms a registered timer and recycles its entry (out of line: a sleep that was
/// never polled has none).
#[inline(never)]
fn release(handle: &TimerHandle, entry: Arc<Entry>) {
    handle.handoff.release(entry);
}

/// `base + d`, or an instant so far ahead that it never comes when that overflows.
fn far_deadline(base: Instant, d: Duration) -> Instant {
    base.checked_add(d)
        .unwrap_or_else(|| Instant::far_future(base.into_std()))
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("registered", &self.entry.is_some())
            .finish()
    }
}

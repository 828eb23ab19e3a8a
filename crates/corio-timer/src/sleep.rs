//! [`sleep`], [`sleep_until`] and the [`Sleep`] future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use corio_core::{coop, NoRuntime};

use crate::entry::{Entry, CANCELLED, NEVER};
use crate::handle::TimerHandle;
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
    deadline: Instant,
    /// `deadline` in ns since the driver's origin; `NEVER` when it never fires;
    /// [`UNCONVERTED`] until the first poll (or reset) needs it, so a sleep that is
    /// dropped unpolled, or a `timeout` whose future is ready at once, never pays for the
    /// conversion.
    deadline_ns: u64,
    /// Set at creation and reset: the next poll compares the deadline with the clock, so a
    /// deadline in the past completes at once without touching the wheel.
    fresh: bool,
    entry: Option<Arc<Entry>>,
}

/// `Sleep::deadline_ns` before the deadline was converted (never a real deadline: those
/// are at most `NEVER`).
const UNCONVERTED: u64 = u64::MAX;

impl Sleep {
    pub(crate) fn new(handle: Arc<TimerHandle>, deadline: Instant) -> Sleep {
        Sleep {
            handle,
            deadline,
            deadline_ns: UNCONVERTED,
            fresh: true,
            entry: None,
        }
    }

    pub(crate) fn after(handle: Arc<TimerHandle>, duration: Duration) -> Sleep {
        let now = handle.clock.now();
        match now.checked_add(duration) {
            Some(d) => Sleep::new(handle, Instant::from_std(d)),
            None => Sleep {
                deadline: Instant::far_future(now),
                handle,
                deadline_ns: NEVER,
                fresh: true,
                entry: None,
            },
        }
    }

    /// The deadline in ns since the origin (converted once, on first use).
    #[inline]
    fn deadline_ns(&mut self) -> u64 {
        if self.deadline_ns == UNCONVERTED {
            self.deadline_ns = self.handle.to_ns(self.deadline.into_std());
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

    /// The instant at which this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has been reached.
    pub fn is_elapsed(&self) -> bool {
        let deadline_ns = match self.deadline_ns {
            UNCONVERTED => self.handle.to_ns(self.deadline.into_std()),
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
        self.deadline = deadline;
        self.deadline_ns = self.handle.to_ns(deadline.into_std());
        self.fresh = true;
        if let Some(entry) = &self.entry {
            if self.deadline_ns == NEVER {
                self.handle.handoff.cancel(entry);
            } else {
                self.handle.handoff.submit(entry, self.deadline_ns);
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
        if self.fresh {
            self.fresh = false;
            let deadline_ns = self.deadline_ns();
            if deadline_ns != NEVER && self.handle.now_ns() >= deadline_ns {
                return true;
            }
        }
        match &self.entry {
            Some(entry) => {
                if entry.is_fired() {
                    return true;
                }
                entry.waker.register(cx.waker());
                entry.is_fired()
            }
            None => {
                let deadline_ns = self.deadline_ns();
                if deadline_ns == NEVER {
                    self.entry = Some(Entry::new(CANCELLED, cx.waker()));
                } else {
                    let entry = Entry::new(deadline_ns, cx.waker());
                    self.handle.handoff.register(entry.clone());
                    self.entry = Some(entry);
                }
                false
            }
        }
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
    fn drop(&mut self) {
        if let Some(entry) = &self.entry {
            self.handle.handoff.cancel(entry);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.entry.is_some())
            .finish()
    }
}

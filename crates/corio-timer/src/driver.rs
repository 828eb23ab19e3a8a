//! [`TimerDriver`]: the driver layer that turns the wheel, parks the inner driver until the
//! nearest deadline, fires what is due, and auto-advances virtual time.
//!
//! # Park protocol (real time)
//! 1. Drain the hand-off queue into the wheel and fire everything due. If anything fired
//!    (or the caller asked for a non-blocking poll), poll the inner driver with a zero
//!    timeout and return.
//! 2. Publish the nearest deadline as `parked_until` and re-check the queue (see
//!    [`entry`](crate::entry)); park the inner driver until exactly that deadline (or the
//!    caller's timeout, if shorter).
//! 3. Drain and fire again; report whether anything was observed.
//!
//! # Park protocol (paused clock, auto-advance on)
//! 1. Fire what is already due; if that woke something, return.
//! 2. While the clock's [`Activity`](corio_core::clock::Activity) is idle (no worker
//!    running, no blocking job in flight) and a timer is armed: poll the inner driver with
//!    [`Driver::park_owed`] (a zero-timeout park that also waits, briefly and in real
//!    time, for an I/O completion the kernel already owes: driver rule 4 of corio-core),
//!    and return if it observed anything (I/O, an unpark, an owed completion); otherwise jump
//!    the clock to the next deadline and fire it, until something fired (a deadline can
//!    be a stale lower bound after a cancel). The order matters: idleness is read
//!    *before* the inner driver, so a wake-up issued by a party before it went idle (a
//!    blocking job waking its joiner, a reactor event) is seen and time does not jump
//!    over it. Right before the jump, idleness is read again and must show the same
//!    epoch (clock rule 5): a party that was busy in between, even briefly, may have
//!    cancelled the timer the deadline came from, so the step starts over instead.
//!    Each round first reads idleness, then brings the wheel up to date: a turn, or,
//!    when nothing was queued or edited and the clock has not moved since the last turn,
//!    that turn's nearest deadline (rule 7 of [`entry`](crate::entry)). So a jump costs
//!    one turn, the one that fires at the new instant; the park of a paused clock starts
//!    with this round instead of a turn of its own.
//! 3. If the clock is held (work outside the runtime in flight, see
//!    [`Clock::hold`](corio_core::Clock::hold)), step 2 does not jump: it parks the inner
//!    driver for the real time left until the next deadline (or the caller's timeout),
//!    then advances the clock by the real time that passed, capped at that deadline, and
//!    fires what became due. Virtual time flows at real speed while held, so a timeout
//!    never fires before its real duration has passed, and a hold that is never released
//!    does not hang the runtime. The last hold released wakes the driver (through the
//!    idle unparker) so it goes back to jumping at once.
//! 4. Otherwise park the inner driver with no timer timeout: real time is irrelevant. The
//!    last busy party going idle unparks it (the driver registers an idle unparker with
//!    the clock that wakes the inner driver while it waits here), and so does any new
//!    registration. Going idle while the driver is *not* waiting here wakes nothing, so a
//!    worker dropping its busy guard right before parking does not look like activity.
//!
//! # Wakers run inside `park`
//! Firing a timer calls its waker on the parking thread, inside `park`. After any timer
//! fired, `park` no longer blocks: it returns `true` at the latest after one more
//! zero-timeout poll of the inner driver. So an executor whose waker is called from
//! inside its own driver's `park`, on that thread, need not unpark the driver (doing so
//! only leaves a stale wake-up, which the next park then reports as activity).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{fence, AtomicBool, Ordering};

use corio_core::{Clock, Driver, Unpark, Unparker};

use crate::entry::{Handoff, CANCELLED, FIRED, NO_DEADLINE};
use crate::handle::TimerHandle;

/// A [`Driver`] layer that runs timers on top of an inner driver (a reactor, or a plain
/// [`ParkThread`](corio_core::ParkThread)).
///
/// Build it with the runtime's clock, put [`handle`](Self::handle) into the runtime
/// context with [`TimerHandle::attach`], and give the driver to the executor to park on.
///
/// # Examples
///
/// ```
/// use corio_core::{Clock, Driver, ParkThread};
/// use corio_timer::TimerDriver;
/// use futures::FutureExt;
/// use std::time::Duration;
///
/// let clock = Clock::new_paused();
/// let mut driver = TimerDriver::new(ParkThread::new(), clock.clone());
/// let t0 = clock.now();
/// let mut nap = driver.handle().sleep(Duration::from_millis(1500));
/// assert!((&mut nap).now_or_never().is_none()); // registers it
/// assert!(driver.park(None)); // idle and paused: jumps to the deadline and fires it
/// assert_eq!(clock.now() - t0, Duration::from_millis(1500));
/// assert!(nap.now_or_never().is_some());
/// ```
pub struct TimerDriver<D> {
    inner: D,
    handle: Arc<TimerHandle>,
    /// Set while the driver blocks in a paused park, waiting for the runtime to go idle.
    waiting_idle: Arc<AtomicBool>,
    /// What the last turn saw; `None` before the first.
    last_turn: Option<LastTurn>,
    /// The spares' wakers taken before a park (reused buffer, empty between parks).
    stale: Vec<std::task::Waker>,
}

/// The clock reading a turn fired up to, and the nearest deadline it left in the wheel.
#[derive(Clone, Copy)]
struct LastTurn {
    at: std::time::Instant,
    next: Option<u64>,
}

/// The clock's idle unparker: wakes the inner driver when the last busy party goes idle,
/// but only if the driver is blocked waiting for that (`waiting_idle`).
///
/// Without the flag, every worker going idle just before it parks would leave a wake-up
/// pending, the park would see it as activity, and virtual time would never advance. The
/// driver sets the flag, fences, then re-checks idleness before blocking; the kicker
/// fences after the busy count dropped, then reads the flag: one of them sees the other.
struct IdleKick {
    waiting_idle: Arc<AtomicBool>,
    inner: Unparker,
}

impl Unpark for IdleKick {
    fn unpark(&self) {
        fence(Ordering::SeqCst);
        if self.waiting_idle.load(Ordering::SeqCst) {
            self.inner.unpark();
        }
    }
}

impl<D: Driver> TimerDriver<D> {
    /// Wraps `inner`; timers follow `clock` (the runtime's clock, real or paused).
    ///
    /// Registers `inner`'s unparker as the clock's idle unparker (for auto-advance).
    pub fn new(inner: D, clock: Clock) -> Self {
        let unparker = inner.unparker();
        let waiting_idle = Arc::new(AtomicBool::new(false));
        let kick = IdleKick {
            waiting_idle: waiting_idle.clone(),
            inner: unparker.clone(),
        };
        clock
            .activity()
            .set_idle_unparker(Some(Unparker::new(Arc::new(kick))));
        let handle = TimerHandle::new(clock, Handoff::new(unparker));
        TimerDriver {
            inner,
            handle,
            waiting_idle,
            last_turn: None,
            stale: Vec::new(),
        }
    }

    /// The handle that creates timers on this driver from any thread.
    pub fn handle(&self) -> Arc<TimerHandle> {
        self.handle.clone()
    }

    /// The inner driver.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The inner driver, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// How many timers are armed in the wheel (registrations and cancellations still in
    /// the hand-off queue are counted after the next park).
    pub fn len(&self) -> usize {
        self.handle.handoff.wheel().len()
    }

    /// Whether no timer is armed in the wheel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The wheel's entry-slab capacity, for memory tests: it returns to zero whenever the
    /// wheel empties after holding more than a few thousand timers.
    #[doc(hidden)]
    pub fn slab_capacity(&self) -> usize {
        self.handle.handoff.wheel().capacity()
    }

    /// Takes in new registrations and fires everything due now, without parking.
    /// Returns how many timers fired.
    pub fn turn(&mut self) -> usize {
        let at = self.handle.clock.now();
        self.turn_at(self.handle.to_ns(at), at)
    }

    /// A turn at `now` (ns), which the clock reads as `at`; records the turn (rule 7 of
    /// [`entry`](crate::entry)).
    fn turn_at(&mut self, now: u64, at: std::time::Instant) -> usize {
        let handoff = &self.handle.handoff;
        let mut wheel = handoff.wheel();
        let mut fired = 0;
        while let Some((entry, word)) = handoff.pop() {
            let key = entry.key.load(crate::loom::Ordering::Relaxed);
            if key != crate::entry::NO_KEY {
                wheel.remove(key);
            }
            match word {
                FIRED | CANCELLED => {}
                d if d <= wheel.processed() => fired += usize::from(entry.fire(d)),
                d => wheel.insert(entry, d),
            }
        }
        fired += wheel.process(now, |entry, d| entry.fire(d));
        handoff.note_turn(&wheel);
        self.last_turn = Some(LastTurn {
            at,
            next: wheel.next_deadline(),
        });
        fired
    }

    /// Brings the wheel up to date and returns `(fired, nearest deadline)`: a turn,
    /// unless nothing changed since the last one (nothing queued, no direct edit, the
    /// clock still where that turn read it), whose nearest deadline then still holds
    /// (rule 7 of [`entry`](crate::entry)).
    fn update(&mut self) -> (usize, Option<u64>) {
        if let Some(last) = self.last_turn {
            if self.handle.handoff.unchanged_since_turn() && self.handle.clock.now() == last.at {
                return (0, last.next);
            }
        }
        let fired = self.turn();
        (fired, self.last_turn.and_then(|t| t.next))
    }

    fn next_deadline(&self) -> Option<u64> {
        self.handle.handoff.wheel().next_deadline()
    }

    fn park_inner(&mut self, until: u64, timeout: Option<Duration>) -> bool {
        let timeout = if self.handle.handoff.prepare_park(until, &mut self.stale) {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        // The spares' wakers, taken under the lock: dropped before blocking.
        self.stale.clear();
        let observed = self.inner.park(timeout);
        self.handle.handoff.awake();
        observed
    }

    fn park_paused(&mut self, timeout: Option<Duration>) -> bool {
        let auto = self.handle.clock.auto_advance();
        loop {
            // Idle first, then the wheel: a party registers while it holds its busy
            // guard, so once the count reads idle its hand-off push (or its direct edit)
            // is visible to `update`. Without this order, a sleep registered just before
            // the runtime went idle would be jumped over (fired late, at a later timer's
            // instant).
            let epoch = if auto {
                self.handle.clock.activity().idle_epoch()
            } else {
                None
            };
            let (fired, next) = self.update();
            if fired > 0 {
                return true;
            }
            if let (Some(epoch), Some(next)) = (epoch, next) {
                // Idle first, then the inner driver (rule 2 of the paused protocol):
                // a party wakes its target before it drops its busy guard, so after
                // seeing the count at zero a zero-timeout poll sees that wake-up.
                // Whatever it observed is handled by the caller, which parks (and
                // so updates the wheel) again before time can move.
                // `park_owed`, not a zero park: an I/O completion the kernel already
                // owes is waited for, not jumped over (driver rule 4 of corio-core).
                if self.inner.park_owed() {
                    return true;
                }
                if self.handle.clock.activity().is_held() {
                    return self.flow_towards(next, timeout);
                }
                // Jump only if no party was busy since `epoch` (clock rule 5): one
                // that was busy and went idle again meanwhile may have cancelled the
                // timer `next` came from after the update (its cancel then waits in
                // the hand-off queue, or counts as an edit), and a jump to it would
                // move time for nothing. Go round: the update takes that cancel in.
                if self.handle.clock.activity().idle_epoch() != Some(epoch) {
                    continue;
                }
                let target = self.handle.instant_of(next);
                if self.handle.clock.advance_to(target).is_err() {
                    // Resumed meanwhile: the caller parks again in real-time mode.
                    return true;
                }
                // The clock now reads at least `next`: fire everything due up to it
                // in one pass, without reading the clock again (a concurrent
                // `advance` beyond it is fired on the next turn: the clock then no
                // longer reads `target`, so the next update turns).
                if self.turn_at(next, target) > 0 {
                    return true;
                }
                continue;
            }
            // Not idle, or nothing armed. From here on, the last busy party going idle
            // must wake us (rule of `IdleKick`); re-check after announcing it so that
            // going idle is not missed.
            self.waiting_idle.store(true, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if auto && self.handle.clock.activity().is_idle() && self.next_deadline().is_some() {
                self.waiting_idle.store(false, Ordering::SeqCst);
                continue;
            }
            break;
        }
        let observed = self.park_inner(NO_DEADLINE, timeout);
        self.waiting_idle.store(false, Ordering::SeqCst);
        self.turn() > 0 || observed
    }
}

impl<D: Driver> TimerDriver<D> {
    /// Rule 3 of the paused protocol: the clock is held, so instead of jumping to `next`
    /// let virtual time flow at real speed towards it.
    fn flow_towards(&mut self, next: u64, timeout: Option<Duration>) -> bool {
        let target = self.handle.instant_of(next);
        let left = target.saturating_duration_since(self.handle.clock.now());
        let wait = timeout.map_or(left, |t| t.min(left));
        let started = std::time::Instant::now();
        // The hold's release kicks the idle unparker; let it reach us while we wait.
        self.waiting_idle.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let observed = if self.handle.clock.activity().is_held() {
            self.park_inner(next, Some(wait))
        } else {
            true // released meanwhile: return so the caller parks again and jumps
        };
        self.waiting_idle.store(false, Ordering::SeqCst);
        let flowed = started.elapsed().min(left);
        let now = self.handle.clock.now();
        if self
            .handle
            .clock
            .advance_to((now + flowed).min(target))
            .is_err()
        {
            return true; // resumed meanwhile: the caller parks again in real time
        }
        self.turn() > 0 || observed
    }
}

impl<D: Driver> Driver for TimerDriver<D> {
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        self.handle.handoff.awake();
        let paused = self.handle.clock.is_paused();
        if paused && timeout != Some(Duration::ZERO) {
            // Its first step brings the wheel up to date (and fires what is due).
            return self.park_paused(timeout);
        }
        let fired = self.turn();
        if fired > 0 || timeout == Some(Duration::ZERO) {
            let observed = self.inner.park(Some(Duration::ZERO));
            let more = if observed { self.turn() } else { 0 };
            return fired + more > 0 || observed;
        }
        // The nearest deadline as this turn left it: a direct filing since makes the
        // park below return at once (rule 6 of `entry`).
        let next = self.last_turn.and_then(|t| t.next);
        let (until, wait) = match next {
            Some(next) => {
                let wait = Duration::from_nanos(next.saturating_sub(self.handle.now_ns()));
                (next, Some(timeout.map_or(wait, |t| t.min(wait))))
            }
            None => (NO_DEADLINE, timeout),
        };
        let observed = self.park_inner(until, wait);
        self.turn() > 0 || observed
    }

    fn unparker(&self) -> Unparker {
        self.inner.unparker()
    }
}

impl<D> Drop for TimerDriver<D> {
    fn drop(&mut self) {
        self.handle.clock.activity().set_idle_unparker(None);
        // Release the wheel's references; the futures still holding entries never fire.
        let all = self.handle.handoff.wheel().drain();
        drop(all);
        while self.handle.handoff.pop().is_some() {}
    }
}

impl<D: fmt::Debug> fmt::Debug for TimerDriver<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerDriver")
            .field("inner", &self.inner)
            .field("wheel", &*self.handle.handoff.wheel())
            .finish()
    }
}

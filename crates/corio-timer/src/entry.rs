//! One timer's shared state, and the lock-free hand-off that carries registrations,
//! resets and cancellations from any thread to the driver that owns the wheel.
//!
//! # The deadline word
//! [`Entry::deadline`] is the single source of truth for what the timer wants. It holds a
//! deadline in nanoseconds since the driver's origin, or one of two sentinels:
//! - [`FIRED`]: the driver fired the timer; the owning future is ready.
//! - [`CANCELLED`]: the timer is not armed (dropped, or never armed).
//!
//! Rules:
//! 1. Only the owning future (`Sleep`, through `&mut self`) stores deadlines or
//!    `CANCELLED`: with `swap` when it does not hold the wheel lock; holding it, with a
//!    plain store (under the lock the word cannot change under it: rule 2).
//! 2. Only the driver moves the word to `FIRED`, with `compare_exchange(d, FIRED)` where `d`
//!    is the deadline it filed the entry under. A reset racing the fire wins or loses
//!    atomically: either the old deadline fired (and the owner re-arms over `FIRED`), or
//!    the exchange fails and the entry, re-queued by the reset, is filed again.
//! 3. After any change of the word, the owner calls [`Handoff::submit`] (or
//!    [`Handoff::cancel`]): the entry is pushed to the queue unless `queued` is already set.
//!    The driver clears `queued` (an acquire-release swap) *before* reading the word, so
//!    every change is either seen by that read or followed by a fresh push. An entry is in
//!    the queue at most once. A brand-new entry is armed by [`Handoff::register`]
//!    instead: it is created with its deadline and `queued` set by plain stores, which
//!    the push publishes (nobody else can reach it before).
//! 4. `key` is the entry's index in the wheel (`NO_KEY` when not filed; a timer filed
//!    directly is staged first, its key marked `STAGED`, see the wheel's rule 7). It is
//!    read and written only by the holder of the wheel lock.
//!
//! # Direct filing
//! The wheel sits behind a mutex in the [`Handoff`]. The driver holds it while it takes in
//! the queue, fires and computes its next deadline, and releases it before blocking. A
//! timer future that finds the lock free ([`Handoff::try_wheel`]) acts as the driver
//! for its own entry instead of going through the queue: it files, re-files or unfiles
//! the entry itself, and a registration whose deadline was already processed completes
//! at once. That saves the queue's push and pop and, above all, lets a timer that is
//! cancelled before it fires be freed at once by its owner (not later by the driver,
//! after every other allocation of the meantime). A future that finds the lock taken
//! falls back to the queue, so no thread ever waits for the wheel except the driver.
//! 5. Under the lock the holder may move the word as rules 1 and 2 allow the owner and
//!    the driver (a direct re-file that is already due fires with `fire`).
//! 6. A direct edit (a filing, re-filing or unfiling) increments `edits` (under the
//!    lock); a filing also reads `parked_until` before it releases the lock. At each turn
//!    the driver records the `edits` it saw (under the lock); before blocking it
//!    publishes `parked_until` and re-reads `edits` in one critical section of the same
//!    lock: if `edits` moved, the driver does not block (it turns again). The lock orders
//!    the two critical sections, so a filing after the driver's last turn either comes
//!    first (the driver sees `edits` moved and skips the block) or second (the filer
//!    reads the published deadline and unparks the driver if its own is earlier),
//!    exactly like a queued registration, and with no fence on the filing path.
//! 7. So when the queue is empty and `edits` still reads what the last turn recorded,
//!    the wheel holds exactly what that turn left in it: a paused driver reuses that
//!    turn's nearest deadline instead of turning again
//!    ([`unchanged_since_turn`](Handoff::unchanged_since_turn)). A party that edited
//!    and then dropped its busy guard is seen by a driver that read the clock's idle
//!    epoch after that drop (the guard's release orders the edit before the read).
//!
//! # Waking the parked driver
//! Before blocking, the driver publishes in `parked_until` the deadline it will wake at by
//! itself (`NO_DEADLINE` when it parks without a timer), then issues a `SeqCst` fence and
//! re-checks the queue. A producer pushes, fences, and reads `parked_until`: if its
//! deadline is earlier, it swaps in `AWAKE` and unparks the driver (only the first such
//! producer per park does). By the two fences, either the driver sees the push or the
//! producer sees the published deadline: a registration earlier than the driver's wake-up
//! is never missed. While the driver is awake (`AWAKE`), producers never unpark: the driver
//! drains the queue before it parks again. (The driver publishes under the wheel lock, so
//! a direct filing, which reads `parked_until` under that lock, needs no fence: rule 6.)

use std::fmt;
use std::sync::Arc;
use std::task::Waker;

use corio_core::{AtomicWaker, Unparker};

use crate::loom::{fence, AtomicBool, AtomicU64, AtomicUsize, Mutex, MutexGuard, Ordering, Queue};
use crate::wheel::Wheel;

/// The deadline word of a fired timer.
pub(crate) const FIRED: u64 = u64::MAX;
/// The deadline word of a timer that is not armed.
pub(crate) const CANCELLED: u64 = u64::MAX - 1;
/// Deadlines at or beyond this many nanoseconds after the origin (~584 years) never fire;
/// they are never filed.
pub(crate) const NEVER: u64 = u64::MAX - 2;
/// `Entry::key` when the entry is not filed in the wheel.
pub(crate) const NO_KEY: usize = usize::MAX;

/// `parked_until` while the driver is awake (it will drain the queue before parking).
pub(crate) const AWAKE: u64 = 0;
/// `parked_until` while the driver is parked with no timer of its own to wake it.
pub(crate) const NO_DEADLINE: u64 = u64::MAX;

/// A timer's state shared between its future and the driver.
pub(crate) struct Entry {
    /// See the module docs: a deadline, `FIRED` or `CANCELLED`.
    pub(crate) deadline: AtomicU64,
    /// Whether the entry is in the hand-off queue (rule 3).
    queued: AtomicBool,
    /// The wheel slot index; driver-only (rule 4).
    pub(crate) key: AtomicUsize,
    /// The waker of the task waiting on the timer.
    pub(crate) waker: AtomicWaker,
}

impl Entry {
    /// An entry armed at `deadline` (or `CANCELLED`) with `waker` registered; not queued.
    pub(crate) fn new(deadline: u64, waker: &Waker) -> Arc<Entry> {
        let entry = Entry {
            deadline: AtomicU64::new(deadline),
            queued: AtomicBool::new(false),
            key: AtomicUsize::new(NO_KEY),
            waker: AtomicWaker::new(),
        };
        entry.waker.register(waker);
        Arc::new(entry)
    }

    /// An entry armed at `deadline` with no waker yet; not queued. Its owner registers
    /// its waker after filing it, with the wheel lock released
    /// ([`Handoff::file_new`]).
    pub(crate) fn armed(deadline: u64) -> Arc<Entry> {
        Arc::new(Entry {
            deadline: AtomicU64::new(deadline),
            queued: AtomicBool::new(false),
            key: AtomicUsize::new(NO_KEY),
            waker: AtomicWaker::new(),
        })
    }

    /// Re-arms a spare entry (unique, see `Wheel::take_spare`) at `deadline`, like
    /// [`armed`](Self::armed); it may still hold the waker of its previous owner, which
    /// the new owner's registration replaces (or keeps, if it wakes the same task).
    pub(crate) fn rearm(spare: Arc<Entry>, deadline: u64) -> Arc<Entry> {
        debug_assert_eq!(Arc::strong_count(&spare), 1);
        spare.deadline.store(deadline, Ordering::Relaxed);
        spare.queued.store(false, Ordering::Relaxed);
        spare.key.store(NO_KEY, Ordering::Relaxed);
        spare
    }

    /// Whether the driver fired the timer.
    #[inline]
    pub(crate) fn is_fired(&self) -> bool {
        self.deadline.load(Ordering::Acquire) == FIRED
    }

    /// Fires the entry filed under `deadline` (rule 2); wakes its task on success.
    pub(crate) fn fire(&self, deadline: u64) -> bool {
        if self
            .deadline
            .compare_exchange(deadline, FIRED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.waker.wake();
            true
        } else {
            false
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("deadline", &self.deadline.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The multi-producer, single-consumer channel from timer futures to the driver.
pub(crate) struct Handoff {
    queue: Queue<Arc<Entry>>,
    parked_until: AtomicU64,
    unparker: Unparker,
    /// The timing wheel (direct filing, rules 4-6).
    wheel: Mutex<Wheel>,
    /// How many direct edits there were; written only under the wheel lock (rule 6).
    edits: AtomicU64,
    /// `edits` as the driver saw it at its last turn; driver-only.
    seen_edits: AtomicU64,
}

impl Handoff {
    pub(crate) fn new(unparker: Unparker) -> Self {
        Handoff {
            queue: Queue::new(),
            parked_until: AtomicU64::new(AWAKE),
            unparker,
            wheel: Mutex::new(Wheel::new()),
            edits: AtomicU64::new(0),
            seen_edits: AtomicU64::new(0),
        }
    }

    /// The wheel, if no one holds it (a timer future's direct path, rule 4).
    #[inline]
    pub(crate) fn try_wheel(&self) -> Option<MutexGuard<'_, Wheel>> {
        // Taken, or poisoned (a panic under the lock, in a waker while firing, may have
        // left the wheel inconsistent: the driver takes it over): use the queue.
        self.wheel.try_lock().ok()
    }

    /// The wheel, waiting for it (driver side).
    pub(crate) fn wheel(&self) -> MutexGuard<'_, Wheel> {
        self.wheel.lock().unwrap_or_else(|poisoned| {
            #[cfg(not(loom))]
            self.wheel.clear_poison();
            poisoned.into_inner()
        })
    }

    /// Files a new `entry` (armed at `deadline`, never shared: `Entry::armed`, or a
    /// re-armed spare) directly in the locked `wheel`, or returns `false` if `deadline`
    /// was already processed (the timer is due: nothing is filed). Releases the lock and
    /// tells a parked driver afterwards (rule 6). The caller then registers its waker
    /// and checks [`Entry::is_fired`]: a fire in between woke the spare's old waker.
    #[inline]
    pub(crate) fn file_new(
        &self,
        mut wheel: MutexGuard<'_, Wheel>,
        entry: &Arc<Entry>,
        deadline: u64,
    ) -> bool {
        if deadline <= wheel.processed() {
            return false;
        }
        // Not counted by the wheel (its rule 8): the owner holds it until it unfiles it.
        wheel.stage(entry, deadline);
        self.filed_directly(wheel, deadline);
        true
    }

    /// Re-arms `entry` at `deadline` directly in the locked `wheel` (a reset; rule 5).
    pub(crate) fn refile(
        &self,
        mut wheel: MutexGuard<'_, Wheel>,
        entry: &Arc<Entry>,
        deadline: u64,
    ) {
        // Under the lock: a store (rule 1).
        entry.deadline.store(deadline, Ordering::Release);
        let key = entry.key.load(Ordering::Relaxed);
        if key != NO_KEY {
            wheel.remove(key);
        }
        if deadline <= wheel.processed() {
            // Due already: fired by us as the lock holder (rule 5). No wake-up: the
            // owner resetting it is the one that polls it next.
            entry.deadline.store(FIRED, Ordering::Release);
            if key != NO_KEY {
                self.edited(&wheel);
            }
            return;
        }
        if key == NO_KEY {
            // Not filed before (fired, like an interval's last tick): it will most likely
            // still be armed at the driver's next pass, so link it at once.
            wheel.insert(entry.clone(), deadline);
        } else {
            // A move of an armed timer (a deadline pushed back): likely moved again
            // before it fires, so staged (wheel rule 7).
            wheel.stage(entry, deadline);
        }
        self.filed_directly(wheel, deadline);
    }

    /// Disarms `entry` directly in the locked `wheel` (a drop or a reset to never).
    pub(crate) fn unfile(&self, mut wheel: MutexGuard<'_, Wheel>, entry: &Arc<Entry>) {
        entry.deadline.store(CANCELLED, Ordering::Release);
        let key = entry.key.load(Ordering::Relaxed);
        if key != NO_KEY {
            // The wheel's reference, if it counted one; ours keeps the entry alive.
            wheel.remove(key);
            self.edited(&wheel);
        }
    }

    /// Drops the owner's `entry` (a `Sleep` going away): disarms it like
    /// [`unfile`](Self::unfile) or [`cancel`](Self::cancel), and when nothing else refers
    /// to it any more (not filed, not queued), keeps it in the wheel's spare list for the
    /// next direct registration to re-arm. The spare keeps its waker (a task that sleeps
    /// again re-registers the same waker without a clone); the driver takes the spares'
    /// wakers before it blocks ([`prepare_park`](Self::prepare_park)), so a spare holds a
    /// task's waker only while the runtime is busy.
    ///
    /// Under the lock this costs no read-modify-write of the entry: the word is stored
    /// (rule 1), and uniqueness is the reference count read under the lock (the other
    /// holders, the wheel and the queue, add and drop references only under it).
    pub(crate) fn release(&self, entry: Arc<Entry>) {
        let Some(mut wheel) = self.try_wheel() else {
            if entry.deadline.load(Ordering::Relaxed) < CANCELLED {
                self.cancel(&entry);
            }
            return;
        };
        if entry.deadline.load(Ordering::Relaxed) < CANCELLED {
            entry.deadline.store(CANCELLED, Ordering::Release);
            let key = entry.key.load(Ordering::Relaxed);
            if key != NO_KEY {
                // The wheel's reference, if it counted one; ours keeps the entry alive.
                wheel.remove(key);
                self.edited(&wheel);
            }
        }
        // Unique: neither the wheel nor the queue holds it, and no one can get it (there
        // are no `Weak`s; the queue's reference, if any, is dropped by the driver under
        // the lock, which orders that drop before this read).
        let left = if Arc::strong_count(&entry) == 1 {
            wheel.put_spare(entry)
        } else {
            Some(entry)
        };
        drop(wheel);
        // Foreign code (the entry's drop, with its waker) runs with the lock released.
        drop(left);
    }

    /// Rule 6, producer side: count the filing and read `parked_until` under the lock,
    /// release it, then wake a driver parked past `deadline`.
    #[inline]
    fn filed_directly(&self, wheel: MutexGuard<'_, Wheel>, deadline: u64) {
        self.edited(&wheel);
        let parked = self.parked_until.load(Ordering::Relaxed);
        drop(wheel);
        if deadline < parked {
            self.unpark_if_earlier(deadline);
        }
    }

    /// Rule 6: counts a direct edit (the `wheel` guard proves the lock is held).
    #[inline]
    fn edited(&self, _wheel: &Wheel) {
        let n = self.edits.load(Ordering::Relaxed);
        self.edits.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    /// Rule 6, driver side: records the edits taken in by this turn (call with the
    /// wheel locked).
    pub(crate) fn note_turn(&self, _wheel: &Wheel) {
        self.seen_edits
            .store(self.edits.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Rule 7, driver side: whether the wheel is exactly as the driver's last turn left
    /// it (nothing queued, no direct edit since).
    pub(crate) fn unchanged_since_turn(&self) -> bool {
        self.queue.is_empty()
            && self.edits.load(Ordering::Acquire) == self.seen_edits.load(Ordering::Relaxed)
    }

    /// Arms `entry` at `deadline` (replacing whatever it held) and tells the driver.
    /// Returns the previous word.
    pub(crate) fn submit(&self, entry: &Arc<Entry>, deadline: u64) -> u64 {
        let prev = entry.deadline.swap(deadline, Ordering::AcqRel);
        self.enqueue(entry);
        fence(Ordering::SeqCst);
        self.unpark_if_earlier(deadline);
        prev
    }

    /// Arms a new `entry` (`Entry::new(deadline, ..)`, never shared yet) and tells the
    /// driver: like [`submit`](Self::submit) without the two read-modify-writes, since no
    /// other party can see the entry before the push.
    pub(crate) fn register(&self, entry: Arc<Entry>) {
        debug_assert!(!entry.queued.load(Ordering::Relaxed));
        let deadline = entry.deadline.load(Ordering::Relaxed);
        entry.queued.store(true, Ordering::Relaxed);
        // The push publishes the entry (and both stores) to the driver's pop.
        self.queue.push(entry);
        fence(Ordering::SeqCst);
        self.unpark_if_earlier(deadline);
    }

    /// Disarms `entry`. The driver unfiles it on its next turn (no wake-up needed: a
    /// cancelled timer only costs memory until then).
    pub(crate) fn cancel(&self, entry: &Arc<Entry>) {
        let prev = entry.deadline.swap(CANCELLED, Ordering::AcqRel);
        if prev != FIRED && prev != CANCELLED {
            self.enqueue(entry);
        }
    }

    fn enqueue(&self, entry: &Arc<Entry>) {
        if !entry.queued.swap(true, Ordering::AcqRel) {
            self.queue.push(entry.clone());
        }
    }

    fn unpark_if_earlier(&self, deadline: u64) {
        let mut parked = self.parked_until.load(Ordering::SeqCst);
        while deadline < parked {
            match self.parked_until.compare_exchange_weak(
                parked,
                AWAKE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.unparker.unpark();
                    return;
                }
                Err(now) => parked = now,
            }
        }
    }

    /// Wakes the driver unconditionally (clock paused or resumed, shutdown).
    pub(crate) fn unpark(&self) {
        self.unparker.unpark();
    }

    /// Driver side: takes the next queued entry and the word it holds now (rule 3).
    pub(crate) fn pop(&self) -> Option<(Arc<Entry>, u64)> {
        let entry = self.queue.pop()?;
        entry.queued.swap(false, Ordering::AcqRel);
        let word = entry.deadline.load(Ordering::Acquire);
        Some((entry, word))
    }

    /// Driver side: announces that it will park until `until` (ns, or `NO_DEADLINE`).
    /// Returns `false` if the queue is not empty or the wheel was edited since the last
    /// turn: the driver must not block then. Under the wheel lock (rule 6), where it also
    /// moves the spares' wakers into `stale`, for the caller to drop once the lock is
    /// released (see [`release`](Self::release)).
    pub(crate) fn prepare_park(&self, until: u64, stale: &mut Vec<Waker>) -> bool {
        let mut wheel = self.wheel();
        self.parked_until.store(until.max(1), Ordering::SeqCst);
        // For the queue's producers, which push without the lock (the waking section).
        fence(Ordering::SeqCst);
        let quiet = self.queue.is_empty()
            && self.edits.load(Ordering::Relaxed) == self.seen_edits.load(Ordering::Relaxed);
        wheel.take_spare_wakers(stale);
        drop(wheel);
        quiet
    }

    /// Driver side: it is awake again; producers need not unpark it.
    pub(crate) fn awake(&self) {
        self.parked_until.store(AWAKE, Ordering::SeqCst);
    }
}

impl fmt::Debug for Handoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handoff")
            .field("parked_until", &self.parked_until.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use corio_core::Driver;
    use corio_core::ParkThread;

    /// Wheel rule 8: a staged timer holds no count; its owner dropping it while the lock
    /// is taken disarms it through the queue, whose reference keeps the entry alive until
    /// the driver has popped it and unstaged it (under Miri: no use after free).
    #[test]
    fn staged_entry_dropped_while_the_wheel_is_locked_lives_until_unstaged() {
        let handoff = Handoff::new(ParkThread::new().unparker());
        let entry = Entry::armed(5);
        assert!(handoff.file_new(handoff.wheel(), &entry, 5));
        assert_eq!(Arc::strong_count(&entry), 1, "staged: not counted");
        let probe = Arc::downgrade(&entry);
        {
            // The driver holds the wheel: the owner's drop goes through the queue.
            let mut wheel = handoff.wheel();
            handoff.release(entry);
            assert_eq!(probe.strong_count(), 1, "the queue's reference");
            assert_eq!(wheel.len(), 1);
            // Linking it now (a pass) takes a count for the node.
            assert_eq!(wheel.process(1, |_, _| true), 0);
            assert_eq!(probe.strong_count(), 2);
        }
        // The driver's next turn pops it (its word: cancelled) and unfiles it.
        let mut wheel = handoff.wheel();
        let (popped, word) = handoff.pop().unwrap();
        assert_eq!(word, CANCELLED);
        assert!(wheel.remove(popped.key.load(Ordering::Relaxed)));
        drop(popped);
        assert_eq!(wheel.len(), 0);
        assert_eq!(probe.strong_count(), 0, "freed");
    }

    /// The same while still staged: the driver's turn unstages it before any pass.
    #[test]
    fn staged_entry_cancelled_through_the_queue_is_unstaged_by_the_turn() {
        let handoff = Handoff::new(ParkThread::new().unparker());
        let entry = Entry::armed(5);
        assert!(handoff.file_new(handoff.wheel(), &entry, 5));
        let probe = Arc::downgrade(&entry);
        {
            let _wheel = handoff.wheel();
            handoff.release(entry);
        }
        let mut wheel = handoff.wheel();
        let (popped, _) = handoff.pop().unwrap();
        let key = popped.key.load(Ordering::Relaxed);
        assert_ne!(key & crate::wheel::STAGED, 0, "still staged");
        assert!(wheel.remove(key));
        drop(popped);
        assert_eq!(probe.strong_count(), 0, "freed");
        assert_eq!(wheel.process(10, |_, _| true), 0, "nothing left to link");
    }
}

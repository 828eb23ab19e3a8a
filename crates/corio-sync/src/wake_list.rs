//! A fixed-capacity batch of wakers, collected under a lock and woken after it is
//! released (waking under the lock would make the woken task contend for it at once),
//! and the panic policy every primitive of this crate follows when a waker panics.
//!
//! # A panicking waker
//! `Waker::wake` runs foreign code (an executor's, or a hand-written waker's), and it
//! may panic. The primitives treat that panic as the *caller's* — whoever's call woke
//! the waker — but never let it cut an operation short:
//!
//! 1. Every state change happens under the primitive's lock *before* any waker of the
//!    operation runs, and no lock is held while a waker runs. A waiter whose waker
//!    panicked has been granted what it was woken for (a permit, a notification, an
//!    item reserved for it, its round's outcome) and gets it when polled again.
//! 2. A batch keeps going past a panicking waker ([`WakeList::wake_batch`] catches the
//!    panic), and so does the operation's loop over further batches: every other
//!    waiter the operation should wake is woken, every permit is either handed to a
//!    waiter or back in the count.
//! 3. Once the whole operation is done, the *first* panic is re-raised to the caller
//!    ([`WakeList::wake_all`]); later ones are dropped (each was already reported by
//!    the panic hook when it happened).
//! 4. Except where the call hands a value to its caller that the unwinding would drop
//!    (a queue item from `get`, the barrier leader's result, a rate limiter's granted
//!    tokens, the value `watch::Sender::send_replace` returns): there the value wins
//!    and the panic is dropped ([`WakeList::wake_all_discarding_panic`]), again after
//!    the panic hook reported it.
//! 5. While the thread is already unwinding (a waiting future dropped during another
//!    panic passes its wake-up on), a waker's panic is dropped instead of re-raised:
//!    a second panic would abort the process.
//!
//! # Waking more waiters than fit in a batch
//! An operation that wakes an unbounded number of waiters (a broadcast, a close, a
//! release of many permits) runs [`WakeList::fill_in_batches`]: fill the batch under
//! the lock, and while more remain, release the lock, wake the batch, lock again and
//! go on. Every primitive uses that one loop.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::task::Waker;

use crate::loom::{Mutex, MutexGuard};
use crate::wait_list::WaitList;

const CAP: usize = 32;

type Payload = Box<dyn Any + Send + 'static>;

/// Up to 32 wakers, woken together by [`wake_batch`](Self::wake_batch) (the batch is
/// full, more may follow) or [`wake_all`](Self::wake_all) (the operation is done).
/// Dropping the list wakes what it holds as `wake_all` does.
pub(crate) struct WakeList {
    wakers: [Option<Waker>; CAP],
    len: usize,
    /// The first panic caught from a waker of this operation (rule 3).
    panic: Option<Payload>,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        WakeList {
            wakers: [const { None }; CAP],
            len: 0,
            panic: None,
        }
    }

    /// Whether another waker fits; callers that fill it release their lock, call
    /// [`wake_batch`](Self::wake_batch) and continue.
    #[inline]
    pub(crate) fn can_push(&self) -> bool {
        self.len < CAP
    }

    #[inline]
    pub(crate) fn push(&mut self, waker: Waker) {
        debug_assert!(self.can_push());
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    /// The unlock → wake a batch → relock loop. Calls `fill` on the state behind
    /// `guard`; `fill` moves wakers into the list while [`can_push`](Self::can_push)
    /// allows and returns whether waiters remain that it could not take (the batch is
    /// full). Then the lock is released, the batch woken (never unwinds, rule 2), the
    /// lock taken again and `fill` called again, until it returns `false`.
    ///
    /// Returns the guard, so the caller finishes its update under the lock; the last
    /// batch is left in the list for [`wake_all`](Self::wake_all) once the guard is
    /// dropped. `fill` must leave its state consistent each time it returns `true`:
    /// other threads run while the lock is released.
    pub(crate) fn fill_in_batches<'a, T>(
        &mut self,
        lock: &'a Mutex<T>,
        mut guard: MutexGuard<'a, T>,
        mut fill: impl FnMut(&mut T, &mut WakeList) -> bool,
    ) -> MutexGuard<'a, T> {
        while fill(&mut guard, self) {
            drop(guard);
            self.wake_batch();
            guard = lock.lock();
        }
        guard
    }

    /// A `fill` step for [`fill_in_batches`](Self::fill_in_batches): pops the entries
    /// of `list` front first, taking their wakers (an entry without one is just
    /// removed), until the list is empty or the batch full; returns whether entries
    /// remain.
    pub(crate) fn pop_wakers(&mut self, list: &mut WaitList<Option<Waker>>) -> bool {
        while self.can_push() {
            match list.pop_front() {
                Some(Some(waker)) => self.push(waker),
                Some(None) => {}
                None => return false,
            }
        }
        !list.is_empty()
    }

    /// Wakes the collected wakers and empties the list. Never unwinds: a panicking
    /// waker is skipped over (rule 2) and its panic kept for [`wake_all`](Self::wake_all).
    /// Call it with no lock held.
    pub(crate) fn wake_batch(&mut self) {
        let mut next = 0;
        while next < self.len {
            // One `catch_unwind` per batch, not per waker: after a panic the loop
            // resumes at the waker following the one that panicked.
            let caught = catch_unwind(AssertUnwindSafe(|| {
                while next < self.len {
                    let waker = self.wakers[next].take();
                    next += 1;
                    if let Some(w) = waker {
                        w.wake();
                    }
                }
            }));
            if let Err(payload) = caught {
                match self.panic {
                    None => self.panic = Some(payload),
                    Some(_) => discard(payload),
                }
            }
        }
        self.len = 0;
    }

    /// Wakes the rest, then re-raises the first panic any waker of this operation
    /// raised (rule 3) — unless the thread is already unwinding (rule 5). Call it last,
    /// with no lock held and the operation's state complete.
    pub(crate) fn wake_all(&mut self) {
        self.wake_batch();
        if let Some(payload) = self.panic.take() {
            if std::thread::panicking() {
                discard(payload);
            } else {
                resume_unwind(payload);
            }
        }
    }

    /// Wakes the rest and drops any panic a waker raised (rule 4).
    pub(crate) fn wake_all_discarding_panic(&mut self) {
        self.wake_batch();
        if let Some(payload) = self.panic.take() {
            discard(payload);
        }
    }
}

impl Drop for WakeList {
    fn drop(&mut self) {
        self.wake_all();
    }
}

/// Wakes one waker with no lock held: its panic reaches the caller, unless the thread
/// is already unwinding (rule 5).
pub(crate) fn wake(waker: Waker) {
    if std::thread::panicking() {
        wake_discarding_panic(waker);
    } else {
        waker.wake();
    }
}

/// Wakes one waker and drops its panic, if any (rule 4).
pub(crate) fn wake_discarding_panic(waker: Waker) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || waker.wake())) {
        discard(payload);
    }
}

/// Drops a caught panic payload; a payload whose own `Drop` panics is leaked rather
/// than let that panic escape.
fn discard(payload: Payload) {
    if let Err(nested) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(nested);
    }
}

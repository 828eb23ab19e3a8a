//! The FIFO-fair counting semaphore every lock in this crate is built on.
//!
//! # State
//! One atomic word holds the available permits and two flags:
//!
//! ```text
//!   bits: [ permits ... | WAITERS | CLOSED ]
//! ```
//!
//! - `CLOSED`: [`RawSemaphore::close`] was called. Never cleared.
//! - `WAITERS`: the wait list is not empty.
//!
//! # Rules
//! 1. `WAITERS` is set and cleared only while holding the wait-list lock, and it is set
//!    iff the list is non-empty.
//! 2. While `WAITERS` is set (and the semaphore is open) the permit count is 0: a waiter
//!    that enqueues first takes every available permit, and releases go to the waiters
//!    first, in FIFO order (partially to the head if it asks for more than is released).
//!    So an uncontended acquire is one CAS, and a new acquirer can never jump ahead of a
//!    queued one — it sees 0 permits and queues behind it.
//! 3. A release adds permits with one CAS while `WAITERS` is clear; when the CAS sees
//!    `WAITERS` it takes the lock and hands the permits to the waiters (rule 2).
//! 4. A waiter is granted when its entry leaves the list by a release (the entry is
//!    popped when its `remaining` count reaches 0). `close` leaves entries in place and
//!    wakes them; a waiter whose entry is still present after `CLOSED` fails and gives
//!    back what it was partially assigned.
//! 5. A waiting future that is dropped removes its entry and releases what it was
//!    assigned; if it had already been granted (entry gone) it releases all `n`
//!    permits. Either way the permits go to the next waiter: nothing is lost and
//!    nobody jumps the queue.
//! 6. A panicking waker (see the `wake_list` module) never interrupts a hand-out: the
//!    entry is popped (so granted) before its waker runs, the batches go on past the
//!    panic, and the permits left over reach the count; only then is the first panic
//!    re-raised to the releasing caller.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

const CLOSED: usize = 0b01;
const WAITERS: usize = 0b10;
const SHIFT: usize = 2;

/// The largest number of permits a semaphore can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// Why a non-waiting acquire failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquireRaw {
    NoPermits,
    Closed,
}

struct Waiter {
    /// Permits still missing; the entry is popped when this reaches 0.
    remaining: usize,
    waker: Option<Waker>,
}

pub(crate) struct RawSemaphore {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

impl RawSemaphore {
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`].
    #[track_caller]
    pub(crate) fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most {MAX_PERMITS} permits, {permits} were asked for"
        );
        RawSemaphore {
            state: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    #[inline]
    pub(crate) fn available_permits(&self) -> usize {
        self.state.load(Ordering::Acquire) >> SHIFT
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Takes `n` permits if they are available now, with one CAS.
    #[inline]
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireRaw> {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquireRaw::Closed);
            }
            if cur >> SHIFT < n {
                return Err(TryAcquireRaw::NoPermits);
            }
            match self.state.compare_exchange_weak(
                cur,
                cur - (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Gives `n` permits back (or adds new ones), waking waiters they complete.
    ///
    /// # Panics
    /// If the count would exceed [`MAX_PERMITS`]; with the first panic of a waiter's
    /// waker, once all `n` permits are handed out or counted (rule 6).
    #[inline]
    #[track_caller]
    pub(crate) fn release(&self, n: usize) {
        if let Some(mut wakers) = self.release_deferred(n) {
            wakers.wake_all();
        }
    }

    /// [`release`](Self::release) for a caller that holds a value it must hand back (a
    /// channel receiver that just popped a message): a waker's panic is dropped, not
    /// raised, so the value is not lost to the unwind (`wake_list` rule 4).
    #[inline]
    pub(crate) fn release_discarding_panic(&self, n: usize) {
        if let Some(mut wakers) = self.release_deferred(n) {
            wakers.wake_all_discarding_panic();
        }
    }

    /// Adds `n` permits (handing them to waiters first); returns the wakers still to
    /// wake, if any waiter was involved.
    ///
    /// The lock-free case is inlined into the callers (a channel receive releases one
    /// permit per message); the case with waiters is out of line.
    #[inline]
    fn release_deferred(&self, n: usize) -> Option<WakeList> {
        if n == 0 {
            return None;
        }
        // Rule 3: lock-free while nobody waits.
        let mut cur = self.state.load(Ordering::Acquire);
        while cur & WAITERS == 0 {
            let next = Self::add_permits_to(cur, n);
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return None,
                Err(actual) => cur = actual,
            }
        }
        Some(self.release_to_waiters(n))
    }

    /// [`release_deferred`](Self::release_deferred) when waiters are queued.
    #[inline(never)]
    fn release_to_waiters(&self, n: usize) -> WakeList {
        let mut wakers = WakeList::new();
        let list = self.waiters.lock();
        self.release_locked(list, n, &mut wakers);
        wakers
    }

    /// Adds `n` permits to state word `cur` (panicking on overflow).
    #[inline]
    #[track_caller]
    fn add_permits_to(cur: usize, n: usize) -> usize {
        match (cur >> SHIFT).checked_add(n) {
            Some(permits) if permits <= MAX_PERMITS => {
                (permits << SHIFT) | (cur & (CLOSED | WAITERS))
            }
            _ => too_many_permits(),
        }
    }

    /// Hands `n` permits to the waiters in FIFO order (rule 2), the rest to the count.
    /// Consumes the guard: the lock is released before the collected wakers run when
    /// the batch fills, and on return. Never unwinds because of a waker (rule 6): the
    /// caller finishes `wakers` with `wake_all` once the lock is gone.
    fn release_locked<'a>(
        &'a self,
        list: MutexGuard<'a, WaitList<Waiter>>,
        mut n: usize,
        wakers: &mut WakeList,
    ) {
        let closed = self.is_closed();
        // The lock is released between batches only while waiters remain, so WAITERS
        // stays set then (rule 1). A panicking waker does not stop the hand-out.
        let list = wakers.fill_in_batches(&self.waiters, list, |list, wakers| {
            while n > 0 && !closed {
                let Some(head) = list.front_mut() else { break };
                if head.remaining <= n && !wakers.can_push() {
                    return true;
                }
                let take = n.min(head.remaining);
                head.remaining -= take;
                n -= take;
                if head.remaining == 0 {
                    let waiter = list.pop_front().expect("the head was just seen");
                    if let Some(w) = waiter.waker {
                        wakers.push(w);
                    }
                }
            }
            false
        });
        let clear = if list.is_empty() { WAITERS } else { 0 };
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let next = Self::add_permits_to(cur, n) & !clear;
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        drop(list);
    }

    /// Closes the semaphore: pending and future acquires fail; permits still come back.
    pub(crate) fn close(&self) {
        let mut wakers = WakeList::new();
        let list = self.waiters.lock();
        self.state.fetch_or(CLOSED, Ordering::AcqRel);
        // Rule 4: entries stay; their futures see CLOSED and leave. A taken waker is
        // `None` afterwards, so a refilled batch resumes where the last one stopped.
        let list = wakers.fill_in_batches(&self.waiters, list, |list, wakers| {
            let mut more = false;
            list.for_each_mut(|w| {
                if !wakers.can_push() {
                    more |= w.waker.is_some();
                } else if let Some(waker) = w.waker.take() {
                    wakers.push(waker);
                }
            });
            more
        });
        drop(list);
        wakers.wake_all();
    }

    /// Waits for `n` permits.
    #[inline]
    pub(crate) fn acquire(&self, n: usize) -> RawAcquire<'_> {
        RawAcquire {
            sem: self,
            n,
            state: AcquireState::Init,
        }
    }

    /// Slow path of the first poll: takes what is there, queues for the rest.
    fn enqueue(&self, n: usize, waker: &Waker) -> Enqueued {
        let mut list = self.waiters.lock();
        let mut cur = self.state.load(Ordering::Acquire);
        let taken = loop {
            if cur & CLOSED != 0 {
                return Enqueued::Closed;
            }
            let avail = cur >> SHIFT;
            let (take, next) = if avail >= n {
                (n, cur - (n << SHIFT))
            } else {
                // Take everything and mark the queue non-empty (rules 1 and 2).
                (avail, WAITERS)
            };
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break take,
                Err(actual) => cur = actual,
            }
        };
        if taken == n {
            return Enqueued::Granted;
        }
        Enqueued::Waiting(list.push_back(Waiter {
            remaining: n - taken,
            waker: Some(waker.clone()),
        }))
    }
}

impl fmt::Debug for RawSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

enum AcquireState {
    Init,
    Waiting(WaitKey),
    Done,
}

/// Future of [`RawSemaphore::acquire`]: `Ok(())` once `n` permits are held, `Err(())`
/// if the semaphore was closed.
pub(crate) struct RawAcquire<'a> {
    sem: &'a RawSemaphore,
    n: usize,
    state: AcquireState,
}

impl Future for RawAcquire<'_> {
    type Output = Result<(), ()>;

    /// The uncontended first poll (one CAS) is inlined into the caller; queueing and
    /// the later polls are out of line.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let AcquireState::Init = this.state {
            if this.sem.try_acquire(this.n).is_ok() {
                this.state = AcquireState::Done;
                return Poll::Ready(Ok(()));
            }
        }
        this.poll_slow(cx)
    }
}

impl RawAcquire<'_> {
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let this = self;
        match this.state {
            AcquireState::Init => {
                let outcome = match this.sem.try_acquire(this.n) {
                    Ok(()) => Enqueued::Granted,
                    Err(TryAcquireRaw::Closed) => Enqueued::Closed,
                    Err(TryAcquireRaw::NoPermits) => this.sem.enqueue(this.n, cx.waker()),
                };
                match outcome {
                    Enqueued::Granted => {
                        this.state = AcquireState::Done;
                        Poll::Ready(Ok(()))
                    }
                    Enqueued::Closed => {
                        this.state = AcquireState::Done;
                        Poll::Ready(Err(()))
                    }
                    Enqueued::Waiting(key) => {
                        this.state = AcquireState::Waiting(key);
                        Poll::Pending
                    }
                }
            }
            AcquireState::Waiting(key) => {
                let mut list = this.sem.waiters.lock();
                match list.get_mut(key) {
                    None => {
                        // Rule 4: popped by a release, so granted.
                        drop(list);
                        this.state = AcquireState::Done;
                        Poll::Ready(Ok(()))
                    }
                    Some(w) if this.sem.is_closed() => {
                        let assigned = this.n - w.remaining;
                        list.remove(key);
                        this.state = AcquireState::Done;
                        let mut wakers = WakeList::new();
                        this.sem.release_locked(list, assigned, &mut wakers);
                        wakers.wake_all();
                        Poll::Ready(Err(()))
                    }
                    Some(w) => {
                        match &mut w.waker {
                            Some(old) if old.will_wake(cx.waker()) => {}
                            slot => *slot = Some(cx.waker().clone()),
                        }
                        Poll::Pending
                    }
                }
            }
            AcquireState::Done => panic!("`Semaphore::acquire` future polled after completion"),
        }
    }
}

impl Drop for RawAcquire<'_> {
    #[inline]
    fn drop(&mut self) {
        if let AcquireState::Waiting(key) = self.state {
            // Rule 5.
            let list = self.sem.waiters.lock();
            self.sem.leave(list, key, self.n);
        }
    }
}

impl RawSemaphore {
    /// Removes a waiter that will not complete and gives back what it holds: its
    /// partial assignment if still queued, all `n` if it was already granted.
    fn leave<'a>(&'a self, mut list: MutexGuard<'a, WaitList<Waiter>>, key: WaitKey, n: usize) {
        let give_back = match list.remove(key) {
            Some(w) => n - w.remaining,
            None => n,
        };
        let mut wakers = WakeList::new();
        // release_locked also clears WAITERS when the list emptied (rule 1).
        self.release_locked(list, give_back, &mut wakers);
        wakers.wake_all();
    }
}

enum Enqueued {
    Granted,
    Closed,
    Waiting(WaitKey),
}

impl RawSemaphore {
    /// Releases one permit unless that would leave more than `bound` available
    /// (counting nobody's partial assignment: bounded semaphores take one permit at a
    /// time, so a queued waiter holds nothing and proves a permit is out — unless the
    /// semaphore is closed: then queued entries take nothing and the release goes to the
    /// count, so the count alone decides).
    pub(crate) fn release_one_bounded(&self, bound: usize) -> bool {
        let list = self.waiters.lock();
        let to_waiters = !list.is_empty() && !self.is_closed();
        if bound == 0 || (!to_waiters && self.available_permits() >= bound) {
            return false;
        }
        let mut wakers = WakeList::new();
        self.release_locked(list, 1, &mut wakers);
        wakers.wake_all();
        true
    }

    /// Takes up to `n` available permits without waiting and returns how many.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let take = (cur >> SHIFT).min(n);
            match self.state.compare_exchange_weak(
                cur,
                cur - (take << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return take,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Number of queued waiters (for tests and `Debug`).
    pub(crate) fn waiters(&self) -> usize {
        self.waiters.lock().len()
    }
}

#[cold]
#[track_caller]
fn too_many_permits() -> ! {
    panic!("a semaphore holds at most {MAX_PERMITS} permits")
}

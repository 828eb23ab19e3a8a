//! `Condvar`: a condition variable that does not own a lock, for asyncio's
//! `Condition(lock)` — several conditions over one shared [`Mutex`](crate::Mutex).
//!
//! # Rules
//! 1. `wait` joins the wait queue *before* it releases the guard, so a `notify` made by
//!    whoever takes the lock next is never missed.
//! 2. `notify(n)` pops up to `n` waiters in FIFO order; a popped waiter is notified.
//!    The queue knows nothing of locks: each waiter takes back the lock of the guard it
//!    gave up, so one `Condvar` may serve guards of different mutexes and one mutex may
//!    serve any number of `Condvar`s.
//! 3. A notified waiter that is dropped before it got the lock back passes one
//!    notification on (CPython 3.13 does the same), so cancellation never swallows a
//!    `notify`.
//! 4. A dropped waiter never holds the lock afterwards: it releases it if it had it
//!    back, and stops waiting for it if not. Code after `wait` never runs without the
//!    lock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::Mutex as StateLock;
use crate::mutex::{MutexGuard, OwnedMutexGuard};
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

/// A condition variable used with any corio [`Mutex`]: asyncio's `Condition(lock)`,
/// async `std::sync::Condvar`.
///
/// [`wait`](Self::wait) takes a [`MutexGuard`] (or, with
/// [`wait_owned`](Self::wait_owned), an [`OwnedMutexGuard`] for `'static` tasks), gives
/// the lock up until notified and returns the guard re-acquired;
/// [`notify`](Self::notify) / [`notify_all`](Self::notify_all) wake waiters in FIFO
/// order. Several `Condvar`s over one `Mutex` give asyncio's pattern of several
/// conditions sharing a lock (a bounded buffer's "not empty" and "not full"), each
/// waking only its own waiters. When one condition owns its lock, [`Condition`]
/// bundles the two.
///
/// [`Condition`]: crate::Condition
/// [`Mutex`]: crate::Mutex
///
/// # Examples
///
/// A bounded buffer with two conditions over one lock:
///
/// ```
/// use corio_sync::{Condvar, Mutex};
/// use futures::join;
/// use std::collections::VecDeque;
///
/// futures::executor::block_on(async {
///     let buf = Mutex::new(VecDeque::new());
///     let (not_empty, not_full) = (Condvar::new(), Condvar::new());
///     let producer = async {
///         for i in 0..10 {
///             let guard = buf.lock().await;
///             let mut guard = not_full.wait_for(guard, |b| b.len() < 2).await;
///             guard.push_back(i);
///             not_empty.notify_one();
///         }
///     };
///     let consumer = async {
///         let mut got = vec![];
///         while got.len() < 10 {
///             let guard = buf.lock().await;
///             let mut guard = not_empty.wait_for(guard, |b| !b.is_empty()).await;
///             got.push(guard.pop_front().unwrap());
///             not_full.notify_one();
///         }
///         got
///     };
///     let ((), got) = join!(producer, consumer);
///     assert_eq!(got, (0..10).collect::<Vec<_>>());
/// });
/// ```
///
/// # Cancel safety
/// In Rust a cancelled future is dropped together with the guard it holds, so asyncio's
/// "the lock is re-acquired before `CancelledError` propagates" becomes rule 4: the lock
/// is released cleanly and the code after `wait` never runs without it; and rule 3: a
/// notification taken by a cancelled waiter goes to the next one.
pub struct Condvar {
    waiters: StateLock<WaitList<Option<Waker>>>,
}

impl Condvar {
    /// A condition variable with no waiters.
    pub fn new() -> Self {
        Condvar {
            waiters: StateLock::new(WaitList::new()),
        }
    }

    /// Releases the lock, waits for a notification, and takes the lock back.
    ///
    /// Spurious wake-ups do not happen, but another task may change the data between
    /// the notification and the re-acquire: prefer [`wait_for`](Self::wait_for).
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future releases the lock (if held again), leaves the
    /// wait queue, and passes on a notification it had already received (rules 3-4).
    pub async fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = MutexGuard::mutex(&guard);
        let mut waiter = self.waiter();
        drop(guard); // rule 1: `waiter` is registered
        (&mut waiter).await;
        let guard = mutex.lock().await;
        waiter.consume();
        guard
    }

    /// [`wait`](Self::wait) with an [`OwnedMutexGuard`].
    ///
    /// # Cancel safety
    /// As [`wait`](Self::wait).
    pub async fn wait_owned<T: ?Sized>(&self, guard: OwnedMutexGuard<T>) -> OwnedMutexGuard<T> {
        let mutex = Arc::clone(OwnedMutexGuard::mutex(&guard));
        let mut waiter = self.waiter();
        drop(guard); // rule 1
        (&mut waiter).await;
        let guard = mutex.lock_owned().await;
        waiter.consume();
        guard
    }

    /// Waits until `predicate` holds, checking it under the lock first and after each
    /// notification (asyncio's `wait_for`). Returns the guard with the predicate true.
    ///
    /// # Cancel safety
    /// As [`wait`](Self::wait).
    pub async fn wait_for<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut predicate: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while !predicate(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// [`wait_for`](Self::wait_for) with an [`OwnedMutexGuard`].
    ///
    /// # Cancel safety
    /// As [`wait`](Self::wait).
    pub async fn wait_for_owned<T: ?Sized>(
        &self,
        mut guard: OwnedMutexGuard<T>,
        mut predicate: impl FnMut(&mut T) -> bool,
    ) -> OwnedMutexGuard<T> {
        while !predicate(&mut guard) {
            guard = self.wait_owned(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiters, longest-waiting first; returns how many were woken.
    /// Unlike asyncio, the lock need not be held (as with `std::sync::Condvar`).
    ///
    /// # Panics
    /// With the first panic of a waiter's waker, re-raised once all the chosen waiters
    /// are notified and woken (each completes when polled again).
    pub fn notify(&self, n: usize) -> usize {
        let mut wakers = WakeList::new();
        let list = self.waiters.lock();
        let mut woken = 0;
        let list = wakers.fill_in_batches(&self.waiters, list, |list, wakers| {
            while woken < n && !list.is_empty() {
                if !wakers.can_push() {
                    return true;
                }
                woken += 1;
                if let Some(w) = list.pop_front().expect("the list is not empty") {
                    wakers.push(w);
                }
            }
            false
        });
        drop(list);
        wakers.wake_all();
        woken
    }

    /// Wakes the longest-waiting waiter; returns whether there was one.
    pub fn notify_one(&self) -> bool {
        self.notify(1) == 1
    }

    /// Wakes every waiter; returns how many were woken.
    pub fn notify_all(&self) -> usize {
        self.notify(usize::MAX)
    }

    /// How many tasks are waiting to be notified.
    pub fn waiters(&self) -> usize {
        self.waiters.lock().len()
    }

    fn waiter(&self) -> CondWaiter<'_> {
        CondWaiter {
            cond: self,
            key: Some(self.waiters.lock().push_back(None)),
            notified: false,
        }
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("waiters", &self.waiters())
            .finish()
    }
}

/// One waiter's place in the queue; completes when popped by a `notify`.
struct CondWaiter<'a> {
    cond: &'a Condvar,
    key: Option<WaitKey>,
    /// Popped by a notify, and the notification not yet consumed.
    notified: bool,
}

impl CondWaiter<'_> {
    /// The lock is back: the notification is used, nothing to pass on.
    fn consume(&mut self) {
        self.notified = false;
    }
}

impl Future for CondWaiter<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(key) = this.key else {
            return Poll::Ready(());
        };
        let mut list = this.cond.waiters.lock();
        match list.get_mut(key) {
            None => {
                drop(list);
                this.key = None;
                this.notified = true;
                Poll::Ready(())
            }
            Some(slot) => {
                match slot {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for CondWaiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut list = self.cond.waiters.lock();
            if list.remove(key).is_some() {
                return;
            }
            // Popped by a notify we never saw: we were notified.
            self.notified = true;
        }
        if self.notified {
            self.cond.notify(1); // rule 3
        }
    }
}

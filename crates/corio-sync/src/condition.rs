//! `Condition<T>`: asyncio's `Condition`: a [`Mutex`] plus a queue of tasks waiting
//! to be notified while they do not hold it.
//!
//! # Rules
//! 1. `wait` joins the wait queue *before* it releases the lock, so a `notify` made by
//!    whoever takes the lock next is never missed.
//! 2. `notify(n)` pops up to `n` waiters in FIFO order; a popped waiter is notified.
//! 3. A notified waiter that is dropped before it got the lock back passes one
//!    notification on (CPython 3.13 does the same), so cancellation never swallows a
//!    `notify`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use corio_core::{WaitKey, WaitList};

use crate::loom::Mutex as StateLock;
use crate::mutex::{Mutex, MutexGuard};
use crate::wake_list::WakeList;

/// A condition variable that owns its lock, like asyncio's `Condition()`.
///
/// Take the lock with [`lock`](Self::lock); [`wait`](Self::wait) gives the guard up
/// until notified and returns it re-acquired; [`notify`](Self::notify) /
/// [`notify_all`](Self::notify_all) wake waiters in FIFO order.
///
/// In Rust a cancelled future is dropped together with the guard it holds, so "the lock
/// is re-acquired even when cancelled" becomes: the lock is always released cleanly, the
/// caller's scope never continues without the lock, and a notification taken by a
/// cancelled waiter is passed on to the next one.
///
/// # Examples
///
/// ```
/// use corio_sync::Condition;
/// use futures::join;
///
/// futures::executor::block_on(async {
///     let cond = Condition::new(Vec::<u32>::new());
///     let consumer = async {
///         let guard = cond.lock().await;
///         let mut guard = cond.wait_for(guard, |items| !items.is_empty()).await;
///         guard.pop()
///     };
///     let producer = async {
///         cond.lock().await.push(7);
///         cond.notify(1);
///     };
///     let (item, ()) = join!(consumer, producer);
///     assert_eq!(item, Some(7));
/// });
/// ```
pub struct Condition<T: ?Sized> {
    waiters: StateLock<WaitList<Option<Waker>>>,
    mutex: Mutex<T>,
}

impl<T> Condition<T> {
    /// A condition whose lock guards `value`.
    pub fn new(value: T) -> Self {
        Condition {
            waiters: StateLock::new(WaitList::new()),
            mutex: Mutex::new(value),
        }
    }
}

impl<T: ?Sized> Condition<T> {
    /// Waits for the lock (asyncio's `async with cond`).
    ///
    /// # Cancel safety
    /// As [`Mutex::lock`].
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.mutex.lock().await
    }

    /// The underlying mutex.
    pub fn mutex(&self) -> &Mutex<T> {
        &self.mutex
    }

    /// Releases the lock, waits for a notification, and takes the lock back.
    ///
    /// # Panics
    /// If `guard` is not a guard of this condition's own lock.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future releases the lock (if held again), leaves the
    /// wait queue, and passes on a notification it had already received (rule 3).
    pub async fn wait<'a>(&'a self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        assert!(
            std::ptr::addr_eq(MutexGuard::mutex(&guard), &self.mutex),
            "`Condition::wait` called with the guard of another mutex"
        );
        let mut waiter = CondWaiter {
            cond: self,
            key: None,
            notified: false,
        };
        waiter.register(); // rule 1: before the lock is released
        drop(guard);
        (&mut waiter).await;
        let guard = self.mutex.lock().await;
        waiter.notified = false; // consumed: nothing to pass on
        guard
    }

    /// Waits until `predicate` holds, checking it under the lock first and after each
    /// notification (asyncio's `wait_for`). Returns the guard with the predicate true.
    ///
    /// # Panics
    /// If `guard` is not a guard of this condition's own lock.
    ///
    /// # Cancel safety
    /// As [`wait`](Self::wait).
    pub async fn wait_for<'a>(
        &'a self,
        mut guard: MutexGuard<'a, T>,
        mut predicate: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while !predicate(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiters, longest-waiting first; returns how many were woken.
    ///
    /// # Panics
    /// With the first panic of a waiter's waker, re-raised once all the chosen waiters
    /// are notified and woken (each completes when polled again).
    pub fn notify(&self, n: usize) -> usize {
        let mut wakers = WakeList::new();
        let mut list = self.waiters.lock();
        let mut woken = 0;
        while woken < n {
            let Some(w) = list.pop_front() else { break };
            woken += 1;
            if let Some(w) = w {
                wakers.push(w);
            }
            if !wakers.can_push() {
                drop(list);
                wakers.wake_batch(); // never unwinds: the loop always finishes
                list = self.waiters.lock();
            }
        }
        drop(list);
        wakers.wake_all();
        woken
    }

    /// Wakes every waiter; returns how many were woken.
    pub fn notify_all(&self) -> usize {
        self.notify(usize::MAX)
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Condition::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("mutex", &&self.mutex)
            .field("waiters", &self.waiters.lock().len())
            .finish()
    }
}

/// One waiter's place in the queue; completes when popped by a `notify`.
struct CondWaiter<'a, T: ?Sized> {
    cond: &'a Condition<T>,
    key: Option<WaitKey>,
    /// Popped by a notify, and the notification not yet consumed.
    notified: bool,
}

impl<T: ?Sized> CondWaiter<'_, T> {
    fn register(&mut self) {
        self.key = Some(self.cond.waiters.lock().push_back(None));
    }
}

impl<T: ?Sized> Future for CondWaiter<'_, T> {
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

impl<T: ?Sized> Drop for CondWaiter<'_, T> {
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

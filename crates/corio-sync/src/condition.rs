//! `Condition<T>`: asyncio's `Condition()`: a [`Mutex`] and the [`Condvar`] that waits
//! on it, in one value. The queue's rules are [`Condvar`]'s (crate::condvar).

use std::fmt;

use crate::condvar::Condvar;
use crate::mutex::{Mutex, MutexGuard};

/// A condition variable that owns its lock, like asyncio's `Condition()`.
///
/// Take the lock with [`lock`](Self::lock); [`wait`](Self::wait) gives the guard up
/// until notified and returns it re-acquired; [`notify`](Self::notify) /
/// [`notify_all`](Self::notify_all) wake waiters in FIFO order.
///
/// Several conditions sharing one lock (asyncio's `Condition(lock)`) are several
/// [`Condvar`]s used with one [`Mutex`]; a `Condition`'s own lock can be shared that way
/// too, through [`mutex`](Self::mutex).
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
    condvar: Condvar,
    mutex: Mutex<T>,
}

impl<T> Condition<T> {
    /// A condition whose lock guards `value`.
    pub fn new(value: T) -> Self {
        Condition {
            condvar: Condvar::new(),
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

    /// The condition variable waiting on [`mutex`](Self::mutex).
    pub fn condvar(&self) -> &Condvar {
        &self.condvar
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
        self.condvar.wait(guard).await
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
        self.condvar.notify(n)
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
            .field("waiters", &self.condvar.waiters())
            .finish()
    }
}

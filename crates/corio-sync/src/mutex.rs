//! `Mutex<T>`: an async, FIFO-fair mutual-exclusion lock (asyncio's `Lock`, with data).
//!
//! # Implementation
//! A [`RawSemaphore`] with one permit guards an `UnsafeCell<T>`. Holding the permit is
//! holding the lock, so an uncontended `lock`/`try_lock` and unlock are one CAS each,
//! and waiters are served in arrival order.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::error::TryLockError;
use crate::semaphore::raw::RawSemaphore;

/// An async mutex: `lock().await` waits (without blocking the thread) until the lock is
/// free, in FIFO order, and returns a guard giving access to the data.
///
/// # Examples
///
/// ```
/// use corio_sync::Mutex;
/// use std::sync::Arc;
///
/// futures::executor::block_on(async {
///     let counter = Arc::new(Mutex::new(0));
///     {
///         let mut n = counter.lock().await;
///         *n += 1;
///         assert!(counter.try_lock().is_err()); // held
///     }
///     let owned = counter.clone().lock_owned().await; // 'static guard for tasks
///     assert_eq!(*owned, 1);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    sem: RawSemaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to `T` to one guard at a time, possibly on another
// thread, so `T: Send` suffices for both (as for `std::sync::Mutex`).
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: `&Mutex<T>` only gives exclusive access through the permit.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Mutex {
            sem: RawSemaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock.
    ///
    /// # Cancel safety
    /// Cancel-safe and fair: a dropped `lock()` leaves the queue; if the lock had
    /// already been handed to it, it passes straight to the next waiter.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        // The semaphore is never closed, so this cannot fail.
        let _ = self.sem.acquire(1).await;
        MutexGuard { lock: self }
    }

    /// Waits for the lock through an `Arc`, returning a `'static` guard.
    ///
    /// # Cancel safety
    /// As [`lock`](Self::lock).
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        let _ = self.sem.acquire(1).await;
        OwnedMutexGuard { lock: self }
    }

    /// Takes the lock if it is free and nobody is queued for it.
    ///
    /// # Errors
    /// [`TryLockError`] if it is held or contended.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.sem
            .try_acquire(1)
            .map(|()| MutexGuard { lock: self })
            .map_err(|_| TryLockError(()))
    }

    /// Takes the lock through an `Arc` if it is free now.
    ///
    /// # Errors
    /// [`TryLockError`] if it is held or contended.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Whether the lock is held right now (asyncio's `locked()`).
    pub fn is_locked(&self) -> bool {
        self.sem.available_permits() == 0
    }

    /// The data, through a unique borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Access to a [`Mutex`]'s data; the lock is released when this is dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

// SAFETY: sharing the guard shares `&T` across threads, which needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the only permit, so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the only permit and is borrowed uniquely.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A `'static` guard of an `Arc<Mutex<T>>` (from [`Mutex::lock_owned`]).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }
}

// SAFETY: sharing the guard shares `&T` across threads, which needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the only permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the only permit and is borrowed uniquely.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

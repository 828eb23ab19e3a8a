//! `RwLock<T>`: an async, FIFO-fair reader-writer lock.
//!
//! # Implementation
//! A [`RawSemaphore`] with [`MAX_READS`] permits: a reader takes one, a writer takes
//! all of them. FIFO order of the semaphore makes the lock fair both ways: a writer
//! queued behind readers waits for them, readers arriving after a queued writer wait
//! behind it (no writer starvation).

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::error::TryLockError;
use crate::semaphore::raw::RawSemaphore;

/// How many readers may hold the lock at once.
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// An async reader-writer lock: many readers or one writer, served in arrival order.
///
/// # Examples
///
/// ```
/// use corio_sync::RwLock;
///
/// futures::executor::block_on(async {
///     let lock = RwLock::new(vec![1, 2]);
///     {
///         let a = lock.read().await;
///         let b = lock.read().await; // readers share
///         assert_eq!(a.len() + b.len(), 4);
///         assert!(lock.try_write().is_err());
///     }
///     lock.write().await.push(3);
///     assert_eq!(*lock.read().await, [1, 2, 3]);
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    sem: RawSemaphore,
    /// Read slots: a reader takes 1, a writer all of them.
    max_reads: u32,
    data: UnsafeCell<T>,
}

// SAFETY: a write guard moves `&mut T` to whichever thread holds it: `T: Send`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: read guards share `&T` across threads (`T: Sync`), a write guard hands out
// `&mut T` to one thread at a time (`T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        RwLock {
            sem: RawSemaphore::new(MAX_READS),
            max_reads: MAX_READS as u32,
            data: UnsafeCell::new(value),
        }
    }

    /// A new, unlocked lock that lets at most `max_reads` readers in at once (a
    /// further reader waits, in FIFO order, for one to leave).
    ///
    /// # Panics
    /// If `max_reads` is 0 or above `u32::MAX >> 3` (tokio's limit).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::RwLock;
    ///
    /// let lock = RwLock::with_max_readers(0, 2);
    /// let a = lock.try_read().unwrap();
    /// let b = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_err()); // a third reader has to wait
    /// drop((a, b));
    /// assert!(lock.try_write().is_ok());
    /// ```
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> Self {
        assert!(
            max_reads > 0 && max_reads as usize <= MAX_READS,
            "RwLock::with_max_readers needs 1 to {MAX_READS} readers, {max_reads} were given"
        );
        RwLock {
            sem: RawSemaphore::new(max_reads as usize),
            max_reads,
            data: UnsafeCell::new(value),
        }
    }

    /// The data, consuming the lock.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared read access.
    ///
    /// # Cancel safety
    /// Cancel-safe and fair: a dropped `read()` leaves the queue, passing on anything it
    /// was granted.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        let _ = self.sem.acquire(1).await;
        RwLockReadGuard { lock: self }
    }

    /// Waits for exclusive write access.
    ///
    /// # Cancel safety
    /// Cancel-safe and fair: a dropped `write()` gives back the read slots it had
    /// collected so far, and leaves the queue.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        let _ = self.sem.acquire(self.max_reads as usize).await;
        RwLockWriteGuard { lock: self }
    }

    /// Waits for read access through an `Arc`, returning a `'static` guard.
    ///
    /// # Cancel safety
    /// As [`read`](Self::read).
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        let _ = self.sem.acquire(1).await;
        OwnedRwLockReadGuard { lock: self }
    }

    /// Waits for write access through an `Arc`, returning a `'static` guard.
    ///
    /// # Cancel safety
    /// As [`write`](Self::write).
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        let _ = self.sem.acquire(self.max_reads as usize).await;
        OwnedRwLockWriteGuard { lock: self }
    }

    /// Takes read access if no writer holds or waits for the lock.
    ///
    /// # Errors
    /// [`TryLockError`] if a writer holds it or anyone is queued.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(RwLockReadGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Takes write access if the lock is entirely free.
    ///
    /// # Errors
    /// [`TryLockError`] if anyone holds it or is queued.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire(self.max_reads as usize) {
            Ok(()) => Ok(RwLockWriteGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The data, through a unique borrow.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Slots a read guard gives back.
fn read_permits<T: ?Sized>(_: &RwLock<T>) -> usize {
    1
}

/// Slots a write guard gives back: all of them.
fn write_permits<T: ?Sized>(lock: &RwLock<T>) -> usize {
    lock.max_reads as usize
}

macro_rules! guard {
    ($(#[$m:meta])* $name:ident [$($lt:lifetime)?] $lock:ty, $permits:ident, $write:tt) => {
        $(#[$m])*
        pub struct $name<$($lt,)? T: ?Sized> {
            lock: $lock,
        }

        impl<$($lt,)? T: ?Sized> Deref for $name<$($lt,)? T> {
            type Target = T;
            fn deref(&self) -> &T {
                // SAFETY: a read guard holds a read slot (no writer exists); a write
                // guard holds every slot (nobody else exists).
                unsafe { &*self.lock.data.get() }
            }
        }

        impl<$($lt,)? T: ?Sized> Drop for $name<$($lt,)? T> {
            fn drop(&mut self) {
                self.lock.sem.release($permits(&self.lock));
            }
        }

        impl<$($lt,)? T: ?Sized + fmt::Debug> fmt::Debug for $name<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        guard!(@write $write $name [$($lt)?]);
    };
    (@write true $name:ident [$($lt:lifetime)?]) => {
        impl<$($lt,)? T: ?Sized> DerefMut for $name<$($lt,)? T> {
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: a write guard holds every slot and is borrowed uniquely.
                unsafe { &mut *self.lock.data.get() }
            }
        }
    };
    (@write false $name:ident [$($lt:lifetime)?]) => {};
}

guard!(
    /// Shared access to a [`RwLock`]'s data; released on drop.
    #[must_use = "the read lock is released as soon as the guard is dropped"]
    RwLockReadGuard ['a] &'a RwLock<T>, read_permits, false
);
guard!(
    /// Exclusive access to a [`RwLock`]'s data; released on drop.
    #[must_use = "the write lock is released as soon as the guard is dropped"]
    RwLockWriteGuard ['a] &'a RwLock<T>, write_permits, true
);
guard!(
    /// A `'static` read guard of an `Arc<RwLock<T>>`.
    #[must_use = "the read lock is released as soon as the guard is dropped"]
    OwnedRwLockReadGuard [] Arc<RwLock<T>>, read_permits, false
);
guard!(
    /// A `'static` write guard of an `Arc<RwLock<T>>`.
    #[must_use = "the write lock is released as soon as the guard is dropped"]
    OwnedRwLockWriteGuard [] Arc<RwLock<T>>, write_permits, true
);

// The guards' auto `Send`/`Sync` follow from `RwLock<T>: Sync` (`T: Send + Sync`),
// which is what sharing `&T` and moving `&mut T` across threads needs.

//! `BoundedSemaphore`: a semaphore that refuses to be released above its initial count.

use std::fmt;

use crate::error::{AcquireError, BoundedReleaseError, TryAcquireError};
use crate::semaphore::Semaphore;

/// asyncio's `BoundedSemaphore`: like [`Semaphore`] (one permit at a time, FIFO-fair),
/// but [`release`](Self::release) fails instead of raising the count above the initial
/// value, which catches a release without a matching acquire.
///
/// Use the guard returned by [`acquire`](Self::acquire), or asyncio's manual style:
/// `acquire().await?.forget()` then, later, `release()?`.
///
/// # Examples
///
/// ```
/// use corio_sync::BoundedSemaphore;
///
/// futures::executor::block_on(async {
///     let sem = BoundedSemaphore::new(1);
///     sem.acquire().await.unwrap().forget(); // asyncio: `await sem.acquire()`
///     assert_eq!(sem.available_permits(), 0);
///     sem.release().unwrap(); // asyncio: `sem.release()`
///     assert!(sem.release().is_err()); // one release too many: asyncio's ValueError
/// });
/// ```
pub struct BoundedSemaphore {
    sem: Semaphore,
    bound: usize,
}

impl BoundedSemaphore {
    /// A semaphore with `permits` permits, never more.
    ///
    /// # Panics
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn new(permits: usize) -> Self {
        BoundedSemaphore {
            sem: Semaphore::new(permits),
            bound: permits,
        }
    }

    /// Waits for a permit; dropping the guard releases it (within the bound).
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is (or gets) closed.
    ///
    /// # Cancel safety
    /// Cancel-safe and fair, as [`Semaphore::acquire`].
    pub async fn acquire(&self) -> Result<BoundedPermit<'_>, AcquireError> {
        self.sem.acquire().await?.forget();
        Ok(BoundedPermit { sem: Some(self) })
    }

    /// Takes a permit if one is available now.
    ///
    /// # Errors
    /// As [`Semaphore::try_acquire`].
    pub fn try_acquire(&self) -> Result<BoundedPermit<'_>, TryAcquireError> {
        self.sem.try_acquire()?.forget();
        Ok(BoundedPermit { sem: Some(self) })
    }

    /// Gives one permit back, waking the next waiter.
    ///
    /// # Errors
    /// [`BoundedReleaseError`] if that would make more permits available than the
    /// semaphore started with.
    pub fn release(&self) -> Result<(), BoundedReleaseError> {
        if self.sem.raw().release_one_bounded(self.bound) {
            Ok(())
        } else {
            Err(BoundedReleaseError(()))
        }
    }

    /// Permits available right now.
    pub fn available_permits(&self) -> usize {
        self.sem.available_permits()
    }

    /// The initial (and maximum) number of permits.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Whether no permit is available (asyncio's `locked()`).
    pub fn locked(&self) -> bool {
        self.available_permits() == 0
    }

    /// Closes the semaphore: waiting and later acquires fail.
    pub fn close(&self) {
        self.sem.close();
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("permits", &self.available_permits())
            .field("bound", &self.bound)
            .finish()
    }
}

/// A permit of a [`BoundedSemaphore`]; dropping it releases it.
#[must_use = "the permit is released as soon as this is dropped"]
pub struct BoundedPermit<'a> {
    sem: Option<&'a BoundedSemaphore>,
}

impl BoundedPermit<'_> {
    /// Keeps the permit taken; give it back later with [`BoundedSemaphore::release`].
    pub fn forget(mut self) {
        self.sem = None;
    }
}

impl Drop for BoundedPermit<'_> {
    fn drop(&mut self) {
        if let Some(sem) = self.sem {
            // The bound holds even if a stray `release` already refilled the count:
            // then this release is the one too many, and it is refused.
            let _ = sem.release();
        }
    }
}

impl fmt::Debug for BoundedPermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedPermit").finish_non_exhaustive()
    }
}

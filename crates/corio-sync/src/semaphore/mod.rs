//! `Semaphore`: a FIFO-fair counting semaphore (asyncio's `Semaphore`, tokio's API).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub(crate) mod raw;

use raw::{RawAcquire, RawSemaphore, TryAcquireRaw};

use crate::error::{AcquireError, TryAcquireError};

/// A counting semaphore: `acquire` waits for a permit, dropping the permit gives it
/// back. Waiters are served strictly first come, first served, also when they ask for
/// several permits at once.
///
/// An uncontended `acquire`/`try_acquire` and an uncontended release are one atomic
/// compare-and-swap each; the wait list is only locked when somebody has to wait.
///
/// # Examples
///
/// ```
/// use corio_sync::Semaphore;
/// use std::sync::Arc;
///
/// futures::executor::block_on(async {
///     let sem = Arc::new(Semaphore::new(2));
///     let a = sem.acquire().await.unwrap();
///     let _b = sem.acquire().await.unwrap();
///     assert_eq!(sem.available_permits(), 0);
///     assert!(sem.try_acquire().is_err());
///     drop(a);
///     let owned = sem.clone().acquire_owned().await.unwrap(); // 'static, for tasks
///     assert_eq!(owned.num_permits(), 1);
/// });
/// ```
pub struct Semaphore {
    raw: RawSemaphore,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold (`usize::MAX >> 3`).
    pub const MAX_PERMITS: usize = raw::MAX_PERMITS;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn new(permits: usize) -> Self {
        Semaphore {
            raw: RawSemaphore::new(permits),
        }
    }

    /// Permits available right now.
    pub fn available_permits(&self) -> usize {
        self.raw.available_permits()
    }

    /// Waits for one permit.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is (or gets) closed.
    ///
    /// # Cancel safety
    /// Cancel-safe and fair: a dropped `acquire` leaves the queue in O(1); if it had
    /// already been granted its permit (or part of a multi-permit request), the permits
    /// go to the next waiter in line.
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits, taken together (FIFO: a large request at the head is not
    /// overtaken by smaller ones behind it).
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is (or gets) closed.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire): permits partially assigned to a dropped request go
    /// back to the queue.
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        Acquire {
            sem: self,
            n,
            inner: self.raw.acquire(n as usize),
        }
    }

    /// Takes one permit if one is available now.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] if none is available (or others are queued
    /// first), [`TryAcquireError::Closed`] if the semaphore is closed.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are all available now.
    ///
    /// # Errors
    /// As [`try_acquire`](Self::try_acquire).
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        match self.raw.try_acquire(n as usize) {
            Ok(()) => Ok(SemaphorePermit { sem: self, n }),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits for one permit held through an `Arc`, so the permit is `'static`.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is (or gets) closed.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire).
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits held through an `Arc`.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is (or gets) closed.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire).
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.raw
            .acquire(n as usize)
            .await
            .map_err(|()| AcquireError::new())?;
        Ok(OwnedSemaphorePermit { sem: self, n })
    }

    /// Takes one permit now, held through an `Arc`.
    ///
    /// # Errors
    /// As [`try_acquire`](Self::try_acquire).
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` permits now, held through an `Arc`.
    ///
    /// # Errors
    /// As [`try_acquire`](Self::try_acquire).
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        match self.raw.try_acquire(n as usize) {
            Ok(()) => Ok(OwnedSemaphorePermit { sem: self, n }),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds `n` permits, handing them to the waiters first, in order.
    ///
    /// # Panics
    /// If the total would exceed [`Semaphore::MAX_PERMITS`]. With the first panic of a
    /// waiter's waker, re-raised once all `n` permits are handed out or counted and
    /// every waiter they complete is woken (see the crate docs, "Panicking wakers").
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.raw.release(n);
    }

    /// Removes up to `n` available permits for good and returns how many were removed.
    pub fn forget_permits(&self, n: usize) -> usize {
        self.raw.forget_permits(n)
    }

    /// Closes the semaphore: every waiting and later `acquire` fails with
    /// [`AcquireError`]. Permits already held stay valid and still come back on drop.
    pub fn close(&self) {
        self.raw.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.raw.is_closed()
    }

    pub(crate) fn raw(&self) -> &RawSemaphore {
        &self.raw
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("waiters", &self.raw.waiters())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl From<TryAcquireRaw> for TryAcquireError {
    fn from(e: TryAcquireRaw) -> Self {
        match e {
            TryAcquireRaw::NoPermits => TryAcquireError::NoPermits,
            TryAcquireRaw::Closed => TryAcquireError::Closed,
        }
    }
}

/// Future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Acquire<'a> {
    sem: &'a Semaphore,
    n: u32,
    inner: RawAcquire<'a>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (sem, n) = (self.sem, self.n);
        // `RawAcquire` is `Unpin`.
        Pin::new(&mut self.inner).poll(cx).map(|r| match r {
            Ok(()) => Ok(SemaphorePermit { sem, n }),
            Err(()) => Err(AcquireError::new()),
        })
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("n", &self.n).finish()
    }
}

/// Permits borrowed from a [`Semaphore`]; dropping it gives them back.
#[must_use = "the permits are released as soon as this is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    n: u32,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits taken for good (the semaphore's count shrinks).
    pub fn forget(mut self) {
        self.n = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.n as usize
    }

    /// Moves `other`'s permits into this one.
    ///
    /// # Panics
    /// If the permits belong to different semaphores.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(3);
    /// let mut a = sem.try_acquire().unwrap();
    /// a.merge(sem.try_acquire_many(2).unwrap());
    /// assert_eq!(a.num_permits(), 3);
    /// drop(a);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            std::ptr::eq(self.sem, other.sem),
            "merging permits of different semaphores"
        );
        self.n = self
            .n
            .checked_add(std::mem::take(&mut other.n))
            .expect("a permit holds at most u32::MAX permits");
    }

    /// Splits `n` permits off into a new permit; `None` (and nothing changes) if this
    /// holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let n = u32::try_from(n).ok().filter(|n| *n <= self.n)?;
        self.n -= n;
        Some(SemaphorePermit { sem: self.sem, n })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.raw.release(self.n as usize);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}

/// Permits of an `Arc<Semaphore>`; `'static`, so it can move into a task.
#[must_use = "the permits are released as soon as this is dropped"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    n: u32,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits taken for good.
    pub fn forget(mut self) {
        self.n = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.n as usize
    }

    /// The semaphore the permits belong to.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }

    /// Moves `other`'s permits into this one.
    ///
    /// # Panics
    /// If the permits belong to different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            Arc::ptr_eq(&self.sem, &other.sem),
            "merging permits of different semaphores"
        );
        self.n = self
            .n
            .checked_add(std::mem::take(&mut other.n))
            .expect("a permit holds at most u32::MAX permits");
    }

    /// Splits `n` permits off into a new permit; `None` (and nothing changes) if this
    /// holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let n = u32::try_from(n).ok().filter(|n| *n <= self.n)?;
        self.n -= n;
        Some(OwnedSemaphorePermit {
            sem: self.sem.clone(),
            n,
        })
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.raw.release(self.n as usize);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}

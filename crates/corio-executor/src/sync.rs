//! The crate's locks: std's `Mutex` and `Condvar` (futex-based on Linux) behind a
//! poison-free API.
//!
//! std rather than `parking_lot`: a contended `parking_lot` lock parks through
//! integer-to-pointer casts that Miri's strict provenance rejects, and std's
//! uncontended paths cost the same (one atomic to lock, one to unlock).
//!
//! # Poisoning
//! Ignored: every critical section in this crate leaves its data consistent before it
//! can panic (they only move task handles and counters), so a panic elsewhere under a
//! lock must not take the whole runtime down with `PoisonError`s.

use std::sync::TryLockError;
use std::time::Duration;

pub(crate) use std::sync::MutexGuard;

/// A mutex whose `lock` never reports poisoning.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Mutex(std::sync::Mutex::new(value))
    }

    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The guard, or `None` if another thread holds the lock.
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(g) => Some(g),
            Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }
}

/// A condition variable paired with [`Mutex`].
#[derive(Debug, Default)]
pub(crate) struct Condvar(std::sync::Condvar);

impl Condvar {
    pub(crate) const fn new() -> Self {
        Condvar(std::sync::Condvar::new())
    }

    /// Releases `guard`, sleeps until notified (or spuriously), re-locks.
    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.0.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    /// As [`wait`](Self::wait), for at most `timeout`; also reports whether it timed out.
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        let (g, res) = self
            .0
            .wait_timeout(guard, timeout)
            .unwrap_or_else(|e| e.into_inner());
        (g, res.timed_out())
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one()
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all()
    }
}

/// Aligns `T` to 128 bytes (two cache lines: adjacent-line prefetchers pair lines), so
/// state written by different threads never shares a line (no false sharing).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

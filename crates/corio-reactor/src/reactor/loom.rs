//! Synchronization shim: std atomics and `parking_lot`'s mutex normally, loom's under
//! `cfg(loom)`, so the lock-free readiness word of [`scheduled_io`](crate::reactor::scheduled_io)
//! can be model-checked (`RUSTFLAGS="--cfg loom"`, see `tests/loom_scheduled_io.rs`).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};

#[cfg(not(loom))]
pub(crate) use parking_lot::Mutex;

/// loom's mutex with `parking_lot`'s API (`lock` returns the guard; no poisoning).
#[cfg(loom)]
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

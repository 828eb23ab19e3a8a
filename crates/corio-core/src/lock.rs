//! A std mutex without poisoning, so this crate needs no lock crate and stays clean under
//! Miri's strict provenance. A panic while a lock is held cannot break the small
//! invariants these locks guard (each critical section is a single assignment or read),
//! so a poisoned lock is simply taken over.

use std::sync::MutexGuard;

#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Mutex(std::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

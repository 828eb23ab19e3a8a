//! The readiness word of [`ScheduledIo`](crate::reactor::scheduled_io), exposed to the loom models
//! in `tests/loom_scheduled_io.rs` only (compiled under `cfg(loom)`).

use std::task::{Context, Poll, Waker};

use crate::reactor::scheduled_io::{self, Direction, ReadyEvent};

/// The descriptor can be read.
pub const READABLE: usize = scheduled_io::READABLE;
/// The peer closed its writing side. Never cleared.
pub const READ_CLOSED: usize = scheduled_io::READ_CLOSED;

/// One descriptor's readiness state (see `scheduled_io`'s rules).
pub struct ScheduledIo(scheduled_io::ScheduledIo);

/// A readiness snapshot taken before an I/O attempt.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot(ReadyEvent);

impl Snapshot {
    /// The readiness bits seen.
    pub fn ready(&self) -> usize {
        self.0.ready
    }
}

fn dir(read: bool) -> Direction {
    if read {
        Direction::Read
    } else {
        Direction::Write
    }
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledIo").finish_non_exhaustive()
    }
}

impl ScheduledIo {
    /// A fresh registration (optimistically readable and writable).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        ScheduledIo(scheduled_io::ScheduledIo::new())
    }

    /// The reactor's side: adds `bits`, returns the wakers to wake.
    pub fn set_readiness(&self, bits: usize) -> Vec<Waker> {
        let mut wake = Vec::new();
        self.0.set_readiness(bits, &mut wake);
        wake
    }

    /// The single-waiter `poll_*` path, reading (`read`) or writing.
    pub fn poll_ready(&self, read: bool, cx: &mut Context<'_>) -> Poll<Snapshot> {
        self.0.poll_ready(dir(read), cx).map(Snapshot)
    }

    /// The multi-waiter path; `id` is the waiter's list entry.
    pub fn poll_ready_listed(
        &self,
        read: bool,
        id: &mut Option<u64>,
        cx: &mut Context<'_>,
    ) -> Poll<Snapshot> {
        self.0.poll_ready_listed(dir(read), id, cx).map(Snapshot)
    }

    /// Removes a listed waiter.
    pub fn remove_waiter(&self, id: &mut Option<u64>) {
        self.0.remove_waiter(id)
    }

    /// The I/O object's side after `WouldBlock` (or a short stream transfer).
    pub fn clear_readiness(&self, seen: Snapshot) {
        self.0.clear_readiness(seen.0)
    }
}

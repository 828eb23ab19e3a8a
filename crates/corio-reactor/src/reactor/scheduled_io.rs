//! The readiness state of one registered file descriptor, shared by the reactor (which
//! sets it from epoll events) and the I/O objects (which wait on it and clear it).
//!
//! # State word
//! One `AtomicUsize` packs the readiness bits (low [`TICK_SHIFT`] bits) and a *tick*
//! (the rest), a counter bumped by every dispatch of an event for this descriptor.
//!
//! # Rules
//! 1. The reactor only ever *adds* readiness ([`ScheduledIo::set_readiness`]) and bumps
//!    the tick in the same atomic update, then wakes the waiters of the affected
//!    directions.
//! 2. Readiness is cleared only by an I/O object that got `WouldBlock`, or a short
//!    transfer on a stream socket, which proves the same thing
//!    ([`ScheduledIo::clear_readiness`]), and only if the tick still equals the one it
//!    observed before its attempt. If an event arrived in between, the clear is skipped,
//!    so edge-triggered readiness is never lost.
//! 3. `READ_CLOSED`, `WRITE_CLOSED`, `ERROR` and `SHUTDOWN` are never cleared.
//! 4. A waiter registers its waker under the `waiters` lock and re-reads the state
//!    while holding it; the reactor sets the state *before* taking that lock. Either the
//!    waiter sees the new state or the reactor sees the waker: no lost wake-up.
//! 5. A new registration starts readable and writable: the first operation simply tries
//!    the syscall (saving a park round trip for fresh connections); a `WouldBlock`
//!    clears that, and from then on only epoll events set readiness. So readiness may
//!    be spurious but is never missing.
//!
//! Rules 2 and 4 are model-checked with loom (`tests/loom_scheduled_io.rs`, through
//! the `__loom` re-exports and the [`loom`](crate::reactor::loom) shim).

use std::task::{Context, Poll, Waker};

use crate::reactor::loom::{AtomicUsize, Mutex, Ordering};

/// The descriptor can be read.
pub(crate) const READABLE: usize = 1 << 0;
/// The descriptor can be written.
pub(crate) const WRITABLE: usize = 1 << 1;
/// The peer closed its writing side (reads will return 0 / EOF). Never cleared.
pub(crate) const READ_CLOSED: usize = 1 << 2;
/// The descriptor hung up for writing. Never cleared.
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
/// An error is pending on the descriptor (`EPOLLERR`). Never cleared.
pub(crate) const ERROR: usize = 1 << 4;
/// The reactor is gone: every wait fails from now on. Never cleared.
pub(crate) const SHUTDOWN: usize = 1 << 5;

const READY_MASK: usize = (1 << TICK_SHIFT) - 1;
/// Where the tick starts in the state word.
const TICK_SHIFT: usize = 8;

/// A direction of interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The readiness bits that complete a wait in this direction.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR | SHUTDOWN,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR | SHUTDOWN,
        }
    }
}

/// A snapshot of readiness taken before an I/O attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyEvent {
    tick: usize,
    pub(crate) ready: usize,
}

#[derive(Default)]
struct Waiters {
    /// The one task using the `poll_*` path for reading (`AsyncRead`, a read half).
    reader: Option<Waker>,
    /// The one task using the `poll_*` path for writing.
    writer: Option<Waker>,
    /// Any number of `readable()`/`writable()`-style futures: (id, direction, waker).
    list: Vec<(u64, Direction, Option<Waker>)>,
    next_id: u64,
}

/// See the module docs.
pub(crate) struct ScheduledIo {
    state: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl ScheduledIo {
    pub(crate) fn new() -> Self {
        ScheduledIo {
            // Optimistically ready both ways (rule 5): the first operation just tries.
            state: AtomicUsize::new(READABLE | WRITABLE),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Adds `bits` and bumps the tick (rule 1), then collects the wakers to wake into
    /// `wake` (the caller wakes them after releasing its own locks).
    pub(crate) fn set_readiness(&self, bits: usize, wake: &mut Vec<Waker>) {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let tick = (cur >> TICK_SHIFT).wrapping_add(1) & (usize::MAX >> TICK_SHIFT);
            let new = (tick << TICK_SHIFT) | (cur & READY_MASK) | bits;
            match self
                .state
                .compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        let read = bits & Direction::Read.mask() != 0;
        let write = bits & Direction::Write.mask() != 0;
        let mut w = self.waiters.lock();
        if read {
            wake.extend(w.reader.take());
        }
        if write {
            wake.extend(w.writer.take());
        }
        for (_, dir, waker) in w.list.iter_mut() {
            if (*dir == Direction::Read && read) || (*dir == Direction::Write && write) {
                wake.extend(waker.take());
            }
        }
    }

    /// The readiness bits set now (both directions, no tick).
    pub(crate) fn readiness(&self) -> usize {
        self.state.load(Ordering::Acquire) & READY_MASK
    }

    /// The current readiness in `dir`, if any.
    pub(crate) fn ready_in(&self, dir: Direction) -> Option<ReadyEvent> {
        let cur = self.state.load(Ordering::Acquire);
        let ready = cur & dir.mask();
        (ready != 0).then_some(ReadyEvent {
            tick: cur >> TICK_SHIFT,
            ready,
        })
    }

    /// The `poll_*` path: ready now, or the task's waker is stored in the direction's
    /// single slot (replacing the previous one).
    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        if let Some(ev) = self.ready_in(dir) {
            return Poll::Ready(ev);
        }
        let mut w = self.waiters.lock();
        let slot = match dir {
            Direction::Read => &mut w.reader,
            Direction::Write => &mut w.writer,
        };
        match slot {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        // Rule 4: re-check under the lock.
        match self.ready_in(dir) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        }
    }

    /// The multi-waiter path used by readiness futures; `id` is the future's entry in
    /// the waiter list (allocated on first use, removed by [`remove_waiter`](Self::remove_waiter)).
    pub(crate) fn poll_ready_listed(
        &self,
        dir: Direction,
        id: &mut Option<u64>,
        cx: &mut Context<'_>,
    ) -> Poll<ReadyEvent> {
        if let Some(ev) = self.ready_in(dir) {
            self.remove_waiter(id);
            return Poll::Ready(ev);
        }
        let mut w = self.waiters.lock();
        let key = match *id {
            Some(k) => k,
            None => {
                let k = w.next_id;
                w.next_id += 1;
                w.list.push((k, dir, None));
                *id = Some(k);
                k
            }
        };
        if let Some(entry) = w.list.iter_mut().find(|e| e.0 == key) {
            match &entry.2 {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => entry.2 = Some(cx.waker().clone()),
            }
        }
        match self.ready_in(dir) {
            Some(ev) => {
                w.list.retain(|e| e.0 != key);
                *id = None;
                Poll::Ready(ev)
            }
            None => Poll::Pending,
        }
    }

    /// Removes a readiness future's entry (on completion or drop).
    pub(crate) fn remove_waiter(&self, id: &mut Option<u64>) {
        if let Some(key) = id.take() {
            self.waiters.lock().list.retain(|e| e.0 != key);
        }
    }

    /// Clears the readable/writable bits seen in `ev`, unless a newer event arrived
    /// since (rule 2). Called only after an operation returned `WouldBlock`.
    pub(crate) fn clear_readiness(&self, ev: ReadyEvent) {
        let clear = ev.ready & (READABLE | WRITABLE);
        let mut cur = self.state.load(Ordering::Acquire);
        while cur >> TICK_SHIFT == ev.tick {
            let new = cur & !clear;
            match self
                .state
                .compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corio_test_util::count_waker;

    fn ready(io: &ScheduledIo, dir: Direction) -> Option<ReadyEvent> {
        match io.poll_ready(dir, &mut Context::from_waker(Waker::noop())) {
            Poll::Ready(ev) => Some(ev),
            Poll::Pending => None,
        }
    }

    #[test]
    fn starts_ready_and_clears_on_would_block() {
        let io = ScheduledIo::new();
        let ev = ready(&io, Direction::Read).unwrap();
        io.clear_readiness(ev);
        assert!(ready(&io, Direction::Read).is_none());
        // Writing readiness is independent.
        assert!(ready(&io, Direction::Write).is_some());
    }

    #[test]
    fn clear_is_skipped_when_a_newer_event_arrived() {
        let io = ScheduledIo::new();
        let stale = ready(&io, Direction::Read).unwrap();
        // An event lands between the attempt and the clear.
        io.set_readiness(READABLE, &mut Vec::new());
        io.clear_readiness(stale);
        assert!(ready(&io, Direction::Read).is_some(), "readiness lost");
    }

    #[test]
    fn events_wake_only_their_direction_and_closed_bits_stick() {
        let io = ScheduledIo::new();
        for dir in [Direction::Read, Direction::Write] {
            let ev = ready(&io, dir).unwrap();
            io.clear_readiness(ev);
        }
        let (reader, rw) = count_waker();
        let (writer, ww) = count_waker();
        let (listed, lw) = count_waker();
        assert!(io
            .poll_ready(Direction::Read, &mut Context::from_waker(&rw))
            .is_pending());
        assert!(io
            .poll_ready(Direction::Write, &mut Context::from_waker(&ww))
            .is_pending());
        let mut id = None;
        assert!(io
            .poll_ready_listed(Direction::Read, &mut id, &mut Context::from_waker(&lw))
            .is_pending());
        let mut wake = Vec::new();
        io.set_readiness(READ_CLOSED, &mut wake);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(reader.count(), 1);
        assert_eq!(listed.count(), 1);
        assert_eq!(writer.count(), 0);
        let ev = ready(&io, Direction::Read).unwrap();
        io.clear_readiness(ev);
        assert!(
            ready(&io, Direction::Read).is_some(),
            "READ_CLOSED is never cleared"
        );
        io.remove_waiter(&mut id);
        assert!(io.waiters.lock().list.is_empty());
    }
}

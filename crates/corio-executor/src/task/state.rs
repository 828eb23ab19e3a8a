//! The task state word: lifecycle flags and the reference count in one `AtomicUsize`.
//!
//! ```text
//!  spawn ──► NOTIFIED ──pop──► RUNNING ──Ready/panic/cancel──► COMPLETE
//!               ▲                 │
//!               │   wake          │ Pending
//!               └──── idle ◄──────┘   (NOTIFIED during the poll → re-queued at once)
//! ```
//!
//! # Bits
//! See the documented constants below. The reference count lives in the bits above
//! [`REF_ONE`]'s shift.
//!
//! # Rules
//! 1. Only the party that set `RUNNING` (a worker popping the task, or shutdown) may touch
//!    the future (the *stage*), until it clears `RUNNING`.
//! 2. `COMPLETE` is set exactly once, by the holder of `RUNNING`, in the same atomic step
//!    that clears `RUNNING`; `RUNNING` and `COMPLETE` are never both set. After it, the
//!    stage holds the output (or the error) and the task side touches it again only if
//!    `JOIN_INTEREST` was already clear at that step (then it drops the output itself).
//! 3. `NOTIFIED` set on an idle (not running, not complete) task means exactly one
//!    `Notified` reference sits in some run queue. Set while `RUNNING`, it means "poll
//!    again": the runner re-queues the task when the poll returns `Pending`.
//! 4. `JOIN_INTEREST` is set at spawn and cleared once, when the `JoinHandle` is dropped.
//!    While it is set and `COMPLETE` is set, only the `JoinHandle` reads the output.
//! 5. `CANCELLED` is sticky. A task seen cancelled when it is claimed (or after a poll)
//!    has its future dropped instead of polled, and completes with a cancelled error.
//! 6. Every `Notified` in a queue, every `Waker`, the `JoinHandle`, every `AbortHandle`
//!    and the scheduler's owned-task list each hold one reference; the party that brings
//!    the count to zero frees the allocation.
//! 7. `JOIN_WAKER` is set by the `JoinHandle` after it stored its waker and before it
//!    re-checks `COMPLETE`. The completer wakes the join waker only if the state it
//!    replaced had `JOIN_WAKER`; both are read-modify-writes of this word, so either the
//!    completer sees the bit (and wakes) or the handle's re-check sees `COMPLETE`.
//! 8. `CANCEL_REQUESTED` is a *cooperative* cancel (`JoinHandle::cancel`, asyncio's
//!    `Task.cancel()`): the canceller sets it together with `NOTIFIED` (queueing an idle
//!    task, as an abort does), so the task is polled or claimed after the request. Only
//!    the holder of `RUNNING` clears it (a cancel handler consuming it, or `uncancel`) or
//!    sets it again (a `finally` cleanup that ended re-raises it). It never touches the
//!    future by itself: `transition_to_running` and `transition_to_idle` report it, and
//!    the runner, which alone knows whether the task has cancel handlers alive, either
//!    cancels the task as rule 5 does (no handler) or polls it / lets it go idle with the
//!    bit still set (`transition_to_idle_shielded`), for a handler to take.
//! 9. `CANCELLED` wins over `CANCEL_REQUESTED`: a task with both is cancelled at once.
//!    Neither bit is set on a `COMPLETE` task by a canceller.

// Items are `pub` only so the loom models can reach them through `__loom`; the
// module itself is private.
#![allow(unreachable_pub)]
#![cfg_attr(loom, allow(missing_docs, missing_debug_implementations))]

use crate::loom::{AtomicUsize, Ordering};

/// The task is being polled (or cancelled) by the party that set the bit. Never
/// together with [`COMPLETE`].
pub const RUNNING: usize = 0b00_0001;
/// The future is gone and the stage holds the output. Never together with [`RUNNING`].
pub const COMPLETE: usize = 0b00_0010;
/// The task was woken: queued once (idle) or to be re-queued after its poll (running).
pub const NOTIFIED: usize = 0b00_0100;
/// Cancellation was requested (abort or shutdown). Sticky.
pub const CANCELLED: usize = 0b00_1000;
/// The `JoinHandle` still exists and will read the output.
pub const JOIN_INTEREST: usize = 0b01_0000;
/// The `JoinHandle` stored a waker in the header's join-waker slot (rule 7). Sticky.
pub const JOIN_WAKER: usize = 0b10_0000;
/// A cooperative cancel is pending (rule 8). Cleared only by the holder of `RUNNING`.
pub const CANCEL_REQUESTED: usize = 0b100_0000;
/// One reference; the count is `state / REF_ONE`.
pub const REF_ONE: usize = 0b1000_0000;
const FLAGS: usize = REF_ONE - 1;

/// The atomic state word of one task.
pub struct State(AtomicUsize);

/// A loaded value of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Snapshot(pub usize);

impl Snapshot {
    pub fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub fn is_cancel_requested(self) -> bool {
        self.0 & CANCEL_REQUESTED != 0
    }
    pub fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub fn has_join_waker(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub fn ref_count(self) -> usize {
        self.0 / REF_ONE
    }
    fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("cancel_requested", &self.is_cancel_requested())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.has_join_waker())
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// Outcome of [`State::transition_to_running`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToRunning {
    /// Claimed: poll the future.
    Success,
    /// Claimed, but cancellation was requested: drop the future and complete.
    Cancelled,
    /// Claimed with a cooperative cancel pending (rule 8): cancel the task if it has no
    /// cancel handler alive, else poll it.
    CancelRequested,
    /// Someone else runs or completed it; the `Notified` reference was released.
    Failed,
    /// As `Failed`, and that was the last reference: free the task.
    Dealloc,
}

/// Outcome of [`State::transition_to_idle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToIdle {
    /// Idle; the running reference was released.
    Ok,
    /// Woken during the poll: re-queue it (the running reference becomes the `Notified`).
    OkNotified,
    /// Idle and that was the last reference: free the task.
    OkDealloc,
    /// Cancelled during the poll: still `RUNNING`; drop the future and complete.
    Cancelled,
    /// A cooperative cancel is pending (rule 8): still `RUNNING`. With no cancel handler
    /// alive, cancel the task; else call [`State::transition_to_idle_shielded`].
    CancelRequested,
}

/// Outcome of a wake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToNotified {
    /// Nothing to do (already queued, running or complete).
    DoNothing,
    /// Submit a `Notified` (it owns one reference, already counted).
    Submit,
    /// The waker's reference was the last one: free the task.
    Dealloc,
}

impl State {
    /// A new task: queued once, a `JoinHandle`, and `refs` references.
    pub fn new(refs: usize) -> State {
        State(AtomicUsize::new(
            NOTIFIED | JOIN_INTEREST | (refs * REF_ONE),
        ))
    }

    pub fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Ordering::Acquire))
    }

    fn fetch_update<T>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, T)) -> T {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let (next, out) = f(Snapshot(cur));
            let Some(next) = next else { return out };
            match self
                .0
                .compare_exchange_weak(cur, next.0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return out,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A worker popped a `Notified`: claim the task (rule 1).
    pub fn transition_to_running(&self) -> ToRunning {
        self.fetch_update(|s| {
            debug_assert!(s.is_notified(), "popped a task that was not notified");
            if !s.is_idle() {
                // Shutdown claimed it (or it completed); release the queue's reference.
                debug_assert!(s.ref_count() > 0);
                let next = Snapshot(s.0 - REF_ONE);
                let out = if next.ref_count() == 0 {
                    ToRunning::Dealloc
                } else {
                    ToRunning::Failed
                };
                return (Some(next), out);
            }
            let next = Snapshot((s.0 | RUNNING) & !NOTIFIED);
            let out = if s.0 & (CANCELLED | CANCEL_REQUESTED) == 0 {
                ToRunning::Success
            } else if s.is_cancelled() {
                ToRunning::Cancelled
            } else {
                ToRunning::CancelRequested
            };
            (Some(next), out)
        })
    }

    /// The poll returned `Pending`: release `RUNNING` (rules 1 and 3), unless a cancel
    /// (rule 5) or a cooperative cancel (rule 8) is pending.
    #[inline]
    pub fn transition_to_idle(&self) -> ToIdle {
        self.idle(false)
    }

    /// As [`transition_to_idle`](Self::transition_to_idle) for a task whose cancel
    /// handlers will take a pending cooperative cancel: `CANCEL_REQUESTED` stays set and
    /// does not stop the release (rule 8).
    pub fn transition_to_idle_shielded(&self) -> ToIdle {
        self.idle(true)
    }

    #[inline]
    fn idle(&self, shielded: bool) -> ToIdle {
        self.fetch_update(|s| {
            debug_assert!(s.is_running());
            if s.0 & (CANCELLED | CANCEL_REQUESTED) != 0 {
                if s.is_cancelled() {
                    return (None, ToIdle::Cancelled);
                }
                if !shielded {
                    return (None, ToIdle::CancelRequested);
                }
            }
            let mut next = s.0 & !RUNNING;
            if s.is_notified() {
                return (Some(Snapshot(next)), ToIdle::OkNotified);
            }
            debug_assert!(s.ref_count() > 0);
            next -= REF_ONE;
            let out = if next / REF_ONE == 0 {
                ToIdle::OkDealloc
            } else {
                ToIdle::Ok
            };
            (Some(Snapshot(next)), out)
        })
    }

    /// The future is gone and the output stored: `RUNNING` → `COMPLETE` (rule 2).
    /// Returns the state before the change.
    pub fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, Ordering::AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// A wake that consumes a reference (`Waker::wake`).
    pub fn transition_to_notified_by_val(&self) -> ToNotified {
        self.fetch_update(|s| {
            debug_assert!(s.ref_count() > 0);
            if s.is_running() {
                // The runner re-queues it; drop the waker's reference (never the last:
                // the runner holds one).
                let next = Snapshot((s.0 | NOTIFIED) - REF_ONE);
                (Some(next), ToNotified::DoNothing)
            } else if s.is_complete() || s.is_notified() {
                let next = Snapshot(s.0 - REF_ONE);
                let out = if next.ref_count() == 0 {
                    ToNotified::Dealloc
                } else {
                    ToNotified::DoNothing
                };
                (Some(next), out)
            } else {
                // The waker's reference moves to the `Notified`.
                (Some(Snapshot(s.0 | NOTIFIED)), ToNotified::Submit)
            }
        })
    }

    /// A wake that keeps the caller's reference (`Waker::wake_by_ref`).
    pub fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_notified() {
                (None, ToNotified::DoNothing)
            } else if s.is_running() {
                (Some(Snapshot(s.0 | NOTIFIED)), ToNotified::DoNothing)
            } else {
                let next = Snapshot((s.0 | NOTIFIED) + REF_ONE);
                (Some(next), ToNotified::Submit)
            }
        })
    }

    /// `abort()`: mark cancelled; returns `Submit` if the caller must queue the task so a
    /// worker cancels it (rule 5).
    pub fn transition_to_notified_and_cancel(&self) -> ToNotified {
        self.fetch_update(|s| {
            if s.is_cancelled() || s.is_complete() {
                (None, ToNotified::DoNothing)
            } else if s.is_running() || s.is_notified() {
                (
                    Some(Snapshot(s.0 | CANCELLED | NOTIFIED)),
                    ToNotified::DoNothing,
                )
            } else {
                let next = Snapshot((s.0 | CANCELLED | NOTIFIED) + REF_ONE);
                (Some(next), ToNotified::Submit)
            }
        })
    }

    /// `cancel()`: request a cooperative cancel (rule 8). Returns `Submit` if the caller
    /// must queue the task (it was idle and not queued), `DoNothing` otherwise, and
    /// `None` if the task is complete or already hard-cancelled (nothing requested).
    pub fn request_cancel(&self) -> Option<ToNotified> {
        self.fetch_update(|s| {
            if s.is_cancelled() || s.is_complete() {
                (None, None)
            } else if s.is_running() || s.is_notified() {
                let next = Snapshot(s.0 | CANCEL_REQUESTED | NOTIFIED);
                (Some(next), Some(ToNotified::DoNothing))
            } else {
                let next = Snapshot((s.0 | CANCEL_REQUESTED | NOTIFIED) + REF_ONE);
                (Some(next), Some(ToNotified::Submit))
            }
        })
    }

    /// The holder of `RUNNING` takes a pending cooperative cancel (rule 8): clears the
    /// bit and returns whether it was set.
    pub fn take_cancel_request(&self) -> bool {
        let prev = Snapshot(self.0.fetch_and(!CANCEL_REQUESTED, Ordering::AcqRel));
        debug_assert!(prev.is_running(), "only the runner takes a cancel request");
        prev.is_cancel_requested()
    }

    /// The holder of `RUNNING` sets the cooperative-cancel bit again (rule 8): a cancel
    /// that a cleanup had held back goes on to the next handler, or ends the task.
    pub fn rearm_cancel_request(&self) {
        let prev = Snapshot(self.0.fetch_or(CANCEL_REQUESTED, Ordering::AcqRel));
        debug_assert!(
            prev.is_running(),
            "only the runner re-arms a cancel request"
        );
    }

    /// Shutdown: mark cancelled and, if the task is idle (even if queued), claim it.
    /// Returns `true` if the caller now holds `RUNNING` and must cancel the task.
    pub fn transition_to_shutdown(&self) -> bool {
        self.fetch_update(|s| {
            if s.is_idle() {
                (Some(Snapshot(s.0 | RUNNING | CANCELLED)), true)
            } else {
                (Some(Snapshot(s.0 | CANCELLED)), false)
            }
        })
    }

    /// Marks the task cancelled without claiming it (used for queued blocking jobs).
    pub fn set_cancelled(&self) {
        self.0.fetch_or(CANCELLED, Ordering::AcqRel);
    }

    /// The `JoinHandle` stored its waker: set `JOIN_WAKER` (rule 7) unless already set.
    /// Returns the state before (the caller re-checks `COMPLETE` after this).
    pub fn set_join_waker(&self) -> Snapshot {
        let cur = Snapshot(self.0.load(Ordering::Acquire));
        if cur.has_join_waker() {
            return cur;
        }
        Snapshot(self.0.fetch_or(JOIN_WAKER, Ordering::AcqRel))
    }

    /// The `JoinHandle` is dropped: clear `JOIN_INTEREST` (rule 4). Returns the state
    /// before; if it was `COMPLETE`, the caller must drop the output.
    pub fn unset_join_interest(&self) -> Snapshot {
        Snapshot(self.0.fetch_and(!JOIN_INTEREST, Ordering::AcqRel))
    }

    pub fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        // Guard against overflow (mem::forget of wakers in a loop): abort like Arc does.
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one reference; `true` if it was the last.
    pub fn ref_dec(&self) -> bool {
        self.ref_dec_n(1)
    }

    /// Drops `n` references; `true` if they were the last.
    pub fn ref_dec_n(&self, n: usize) -> bool {
        let prev = Snapshot(self.0.fetch_sub(n * REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= n, "task reference count underflow");
        prev.ref_count() == n
    }

    /// The flag bits (without the reference count), for tests and `Debug`.
    #[allow(dead_code)]
    pub fn flags(&self) -> usize {
        self.0.load(Ordering::Acquire) & FLAGS
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A spawned task claimed by a worker: refs = owned + running + join.
    fn running() -> State {
        let s = State::new(3);
        assert_eq!(s.transition_to_running(), ToRunning::Success);
        s
    }

    #[test]
    fn new_task_is_queued_once_with_join_interest() {
        let s = State::new(3);
        let snap = s.load();
        assert!(snap.is_notified() && snap.is_join_interested());
        assert!(!snap.is_running() && !snap.is_complete() && !snap.is_cancelled());
        assert!(!snap.has_join_waker());
        assert_eq!(snap.ref_count(), 3);
    }

    #[test]
    fn run_idle_wake_queues_exactly_once() {
        let s = running();
        assert!(s.load().is_running() && !s.load().is_notified());
        assert_eq!(s.transition_to_idle(), ToIdle::Ok);
        assert_eq!(s.load().ref_count(), 2);
        // First wake queues (new reference), second sees NOTIFIED and does nothing.
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::Submit);
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert_eq!(s.load().ref_count(), 3);
        assert_eq!(s.transition_to_running(), ToRunning::Success);
    }

    #[test]
    fn wake_during_poll_requeues_after_it() {
        let s = running();
        s.ref_inc(); // a waker
        assert_eq!(s.transition_to_notified_by_val(), ToNotified::DoNothing);
        assert!(s.load().is_notified() && s.load().is_running());
        assert_eq!(s.transition_to_idle(), ToIdle::OkNotified);
        // The running reference became the Notified's; the waker's was released.
        assert_eq!(s.load().ref_count(), 3);
    }

    #[test]
    fn complete_sets_complete_once_and_clears_running() {
        let s = running();
        let prev = s.transition_to_complete();
        assert!(prev.is_running() && !prev.is_complete() && prev.is_join_interested());
        let now = s.load();
        assert!(now.is_complete() && !now.is_running());
        // Wakes after completion do nothing; a by-value wake releases its reference.
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::DoNothing);
        s.ref_inc();
        assert_eq!(s.transition_to_notified_by_val(), ToNotified::DoNothing);
        assert_eq!(s.load().ref_count(), 3);
    }

    #[test]
    fn join_waker_bit_is_seen_by_the_completer() {
        let s = running();
        assert!(!s.set_join_waker().has_join_waker());
        assert!(s.set_join_waker().has_join_waker(), "sticky");
        assert!(s.transition_to_complete().has_join_waker());
        // Registered after completion: the handle's re-check sees COMPLETE.
        let s = running();
        s.transition_to_complete();
        assert!(s.set_join_waker().is_complete());
    }

    #[test]
    fn abort_queues_idle_task_and_marks_running_one() {
        let s = running();
        assert_eq!(s.transition_to_idle(), ToIdle::Ok);
        assert_eq!(s.transition_to_notified_and_cancel(), ToNotified::Submit);
        assert_eq!(s.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert_eq!(s.transition_to_running(), ToRunning::Cancelled);

        let s = running();
        assert_eq!(s.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert_eq!(s.transition_to_idle(), ToIdle::Cancelled);
        assert!(
            s.load().is_running(),
            "still claimed: the runner cancels it"
        );

        let s = running();
        s.transition_to_complete();
        assert_eq!(s.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert!(!s.load().is_cancelled());
    }

    #[test]
    fn cancel_request_queues_idle_task_and_is_reported_not_acted_on() {
        // Idle: queued once, then the claim reports it.
        let s = running();
        assert_eq!(s.transition_to_idle(), ToIdle::Ok);
        assert_eq!(s.request_cancel(), Some(ToNotified::Submit));
        assert_eq!(s.request_cancel(), Some(ToNotified::DoNothing));
        assert_eq!(s.transition_to_running(), ToRunning::CancelRequested);
        // A handler takes it; the poll then releases normally.
        assert!(s.take_cancel_request());
        assert!(!s.take_cancel_request());
        assert_eq!(s.transition_to_idle(), ToIdle::Ok);

        // Running: marked and re-queued, and the release reports it.
        let s = running();
        assert_eq!(s.request_cancel(), Some(ToNotified::DoNothing));
        assert_eq!(s.transition_to_idle(), ToIdle::CancelRequested);
        assert!(s.load().is_running(), "still claimed");
        // With handlers alive the runner releases anyway; the bit stays for them.
        assert_eq!(s.transition_to_idle_shielded(), ToIdle::OkNotified);
        assert!(s.load().is_cancel_requested() && !s.load().is_running());

        // A hard cancel wins.
        let s = running();
        assert_eq!(s.request_cancel(), Some(ToNotified::DoNothing));
        assert_eq!(s.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert_eq!(s.transition_to_idle_shielded(), ToIdle::Cancelled);
        assert_eq!(
            s.request_cancel(),
            None,
            "nothing to request on an aborted task"
        );

        // Complete: nothing requested.
        let s = running();
        s.transition_to_complete();
        assert_eq!(s.request_cancel(), None);
        assert!(!s.load().is_cancel_requested());

        // Re-arming by the runner.
        let s = running();
        s.rearm_cancel_request();
        assert_eq!(s.transition_to_idle(), ToIdle::CancelRequested);
    }

    #[test]
    fn shutdown_claims_only_idle_tasks() {
        let s = State::new(3); // queued, idle
        assert!(s.transition_to_shutdown());
        assert!(s.load().is_running() && s.load().is_cancelled());
        // The queued Notified later finds it claimed and releases its reference.
        assert_eq!(s.transition_to_running(), ToRunning::Failed);
        assert_eq!(s.load().ref_count(), 2);

        let s = running();
        assert!(!s.transition_to_shutdown());
        assert!(s.load().is_cancelled());
    }

    #[test]
    fn last_reference_reports_dealloc() {
        let s = State::new(1);
        s.unset_join_interest();
        assert_eq!(s.transition_to_running(), ToRunning::Success);
        assert_eq!(s.transition_to_idle(), ToIdle::OkDealloc);

        let s = State::new(2);
        assert!(s.transition_to_shutdown());
        assert_eq!(s.transition_to_running(), ToRunning::Failed);
        assert!(s.ref_dec());

        let s = State::new(1);
        assert_eq!(s.transition_to_running(), ToRunning::Success);
        s.transition_to_complete();
        s.ref_inc();
        assert!(!s.ref_dec_n(1));
        assert!(s.ref_dec_n(1));
    }

    #[test]
    fn join_interest_drop_reports_completion() {
        let s = running();
        assert!(!s.unset_join_interest().is_complete());
        let s = running();
        s.transition_to_complete();
        let prev = s.unset_join_interest();
        assert!(prev.is_complete() && prev.is_join_interested());
        assert!(!s.load().is_join_interested());
    }

    #[test]
    fn flags_and_count_do_not_overlap() {
        for bit in [
            RUNNING,
            COMPLETE,
            NOTIFIED,
            CANCELLED,
            JOIN_INTEREST,
            JOIN_WAKER,
            CANCEL_REQUESTED,
        ] {
            assert_eq!(bit & FLAGS, bit);
            assert_eq!(bit.count_ones(), 1);
        }
        assert_eq!(
            RUNNING
                | COMPLETE
                | NOTIFIED
                | CANCELLED
                | JOIN_INTEREST
                | JOIN_WAKER
                | CANCEL_REQUESTED,
            FLAGS
        );
    }
}

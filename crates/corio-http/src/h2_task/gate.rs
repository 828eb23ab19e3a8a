//! The wake gate of the HTTP/2 connection task (rule 2 of `h2_task`): a wake-up during
//! the task's poll makes the poll loop again instead of scheduling the task once more;
//! outside a poll it tells the waker to wake the task. Its atomics come from the parent
//! module's `sync` (std's here; loom's in `tests/loom_h2_gate.rs`, which includes this
//! very file and model-checks it).
//!
//! # Rules
//! 1. [`WakeGate::notify`] stores `repoll` before it reads `polling`; [`WakeGate::end_pass`]
//!    clears `polling` before it reads `repoll`. All four are `SeqCst`, so of a notify
//!    racing the end of a pass at least one side sees the other: the pass loops again,
//!    or the notifier wakes the task (both may happen: one spurious wake-up).
//! 2. [`WakeGate::begin_pass`] clears `repoll` before the pass looks at anything that
//!    can wake it, so a wake-up cleared there is one the pass itself handles.

use super::sync::{AtomicBool, Ordering};

/// See the module docs.
#[derive(Debug)]
pub(crate) struct WakeGate {
    /// Set while a pass of the task's poll runs.
    polling: AtomicBool,
    /// Something was woken since the current pass began.
    repoll: AtomicBool,
}

impl WakeGate {
    pub(crate) fn new() -> WakeGate {
        WakeGate {
            polling: AtomicBool::new(false),
            repoll: AtomicBool::new(false),
        }
    }

    /// Records a wake-up; `true` when the caller must wake the task (no pass is running
    /// that would see it, rule 1).
    pub(crate) fn notify(&self) -> bool {
        self.repoll.store(true, Ordering::SeqCst);
        !self.polling.load(Ordering::SeqCst)
    }

    /// A pass of the task's poll begins (rule 2).
    pub(crate) fn begin_pass(&self) {
        self.polling.store(true, Ordering::SeqCst);
        self.repoll.store(false, Ordering::SeqCst);
    }

    /// The pass is over and found nothing more to do; `true` when something was woken
    /// meanwhile and the poll must run another pass (rule 1).
    pub(crate) fn end_pass(&self) -> bool {
        self.polling.store(false, Ordering::SeqCst);
        self.repoll.load(Ordering::SeqCst)
    }

    /// The poll returns without another pass (finished, or yielding to the scheduler
    /// after its last allowed pass, which then wakes the task itself).
    pub(crate) fn leave(&self) {
        self.polling.store(false, Ordering::SeqCst);
    }
}

//! Cooperative scheduling budget, shared by the executor and every leaf resource.
//!
//! The executor runs each task poll inside [`budget`], which grants [`INITIAL_BUDGET`]
//! units. Resources (channel receives, socket reads, timers) call [`poll_proceed`]
//! before doing work: each call spends one unit, and once the budget is spent they
//! return `Pending` after waking the task, so a task whose resources are always ready
//! still yields to the scheduler and cannot starve timers and I/O.
//!
//! Outside [`budget`] (under a foreign executor) the budget is unconstrained.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units granted to one task poll.
pub const INITIAL_BUDGET: u8 = 128;

thread_local! {
    // None = unconstrained.
    static BUDGET: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous one after.
#[inline]
pub fn budget<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(Option<u8>);
    impl Drop for Reset {
        fn drop(&mut self) {
            BUDGET.with(|b| b.set(self.0));
        }
    }
    let prev = BUDGET.with(|b| b.replace(Some(INITIAL_BUDGET)));
    let _reset = Reset(prev);
    f()
}

/// Spends one unit of the current task's budget.
///
/// Returns `Ready` with a guard when the caller may proceed. When the budget is spent
/// it wakes the task and returns `Pending`. If the resource then turns out not to be
/// ready after all, dropping the guard without [`RestoreOnPending::made_progress`]
/// refunds the unit.
///
/// # Examples
///
/// ```
/// use corio_core::coop;
/// use std::task::{Context, Poll, Waker};
///
/// let mut cx = Context::from_waker(Waker::noop());
/// coop::budget(|| {
///     let mut ready = 0;
///     while let Poll::Ready(guard) = coop::poll_proceed(&mut cx) {
///         guard.made_progress();
///         ready += 1;
///     }
///     assert_eq!(ready, coop::INITIAL_BUDGET as usize);
/// });
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    BUDGET.with(|b| match b.get() {
        None => Poll::Ready(RestoreOnPending(None)),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            b.set(Some(n - 1));
            Poll::Ready(RestoreOnPending(Some(n)))
        }
    })
}

/// Whether the current task still has budget left (always true outside [`budget`]).
#[inline]
pub fn has_budget_remaining() -> bool {
    BUDGET.with(|b| b.get() != Some(0))
}

/// Whether this thread is polling a runtime task right now (inside [`budget`]): the
/// executor's task polls and `block_on`'s future are; a blocking-pool job, a plain
/// thread or a foreign executor is not. The sync primitives' `blocking_*` methods
/// panic when it is true, since blocking there would stall the runtime's thread.
#[inline]
pub fn in_task_poll() -> bool {
    BUDGET.with(|b| b.get().is_some())
}

/// Refunds a spent budget unit on drop unless [`made_progress`](Self::made_progress)
/// was called.
#[derive(Debug)]
#[must_use = "drop it after the operation; call `made_progress` if it completed"]
pub struct RestoreOnPending(Option<u8>);

impl RestoreOnPending {
    /// Keeps the unit spent: the operation completed.
    #[inline]
    pub fn made_progress(mut self) {
        self.0 = None;
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        if let Some(prev) = self.0 {
            BUDGET.with(|b| {
                if b.get().is_some() {
                    b.set(Some(prev));
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn in_task_poll_only_inside_budget() {
        assert!(!in_task_poll());
        budget(|| assert!(in_task_poll()));
        assert!(!in_task_poll());
    }

    #[test]
    fn unconstrained_outside_budget() {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
            assert!(poll_proceed(&mut cx).is_ready());
        }
    }

    #[test]
    fn refund_when_no_progress() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            for _ in 0..1000 {
                match poll_proceed(&mut cx) {
                    Poll::Ready(g) => drop(g),
                    Poll::Pending => panic!("refunded units must not run out"),
                }
            }
        });
    }

    #[test]
    fn nested_budget_restores_outer() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            poll_proceed(&mut cx).map(|g| g.made_progress()).is_ready();
            budget(|| {});
            assert!(has_budget_remaining());
        });
        assert!(BUDGET.with(|b| b.get()).is_none());
    }
}

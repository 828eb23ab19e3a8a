//! Cooperative cancellation: the per-task cancel record, the current-task pointer, and
//! the request side (`JoinHandle::cancel`).
//!
//! `abort()` drops a task's future at once. `cancel()` instead *asks*: it sets the
//! state word's `CANCEL_REQUESTED` bit (state rule 8) and wakes the task. At the task's
//! next scheduling point the runner looks at the task's cancel record:
//!
//! ```text
//!  cancel(msg) ──► CANCEL_REQUESTED ──► runner claims the task / the poll returns
//!                                          │
//!                 no handler alive ◄───────┴───────► a handler is alive
//!                 drop the future,                   poll; the innermost handler
//!                 complete cancelled(msg)            not under a shield takes it
//! ```
//!
//! Handlers are the futures of [`super::handlers`] (`finally`, `catch_cancel`,
//! `cancelled`, `shielded`, and the core seam's handler that task groups hold). While
//! one exists on the task, the runner never drops the future for a cooperative cancel;
//! the handler takes the request when polled (see the rules there).
//!
//! # Rules
//! 1. A task's [`CancelInfo`] lives in the task's out-of-line metadata (`raw::TaskMeta`),
//!    allocated on first need (a `cancel()` call or a handler's first poll) and installed
//!    by CAS, and freed with the task. The CAS expects the word its caller read, so two
//!    first needs racing on two threads share one record (`TaskMeta` rule 5). A task that never meets either pays nothing: the
//!    header does not grow.
//! 2. `requests` (asyncio's `cancelling()`) and the message are written *before* the
//!    state bit is set, so whoever sees the bit sees them.
//! 3. `handlers` and `shields` are changed only by futures running inside the task's
//!    poll (they check that they run in the task they registered with), and read by the
//!    runner after the poll; relaxed ordering suffices since both are on the runner's
//!    thread or ordered by the state word's RUNNING hand-off.
//! 4. Every `cancel()` that set the bit wakes the task and every parked handler, so a
//!    handler polled only when its own waker fires (inside a `FuturesUnordered`, say)
//!    still sees the request.

use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::Waker;

use crate::sync::Mutex;

use super::raw::Header;
use super::state::ToNotified;
use super::Notified;

/// The lazily allocated cancel record of one task (rule 1).
pub(crate) struct CancelInfo {
    /// asyncio's `cancelling()`: cancel requests not withdrawn by `uncancel`.
    pub(crate) requests: AtomicU32,
    /// The message of the latest `cancel_with`.
    pub(crate) message: Mutex<Option<Arc<str>>>,
    /// Cancel handlers alive in the task (rule 3).
    pub(crate) handlers: AtomicU32,
    /// Handlers that hold requests back (cleanups and `shielded` bodies).
    pub(crate) shields: AtomicU32,
    /// Parked handlers' wakers (rule 4): a slab, keys handed to the handlers.
    pub(crate) wakers: Mutex<Vec<Option<Waker>>>,
    /// Shutdown's grace sent this task its cancel (owned-list rule 6): once per task.
    pub(crate) shutdown: AtomicBool,
}

impl CancelInfo {
    pub(crate) fn new() -> CancelInfo {
        CancelInfo {
            requests: AtomicU32::new(0),
            message: Mutex::new(None),
            handlers: AtomicU32::new(0),
            shields: AtomicU32::new(0),
            wakers: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
        }
    }

    pub(crate) fn message(&self) -> Option<Arc<str>> {
        self.message.lock().clone()
    }

    /// Wakes every parked handler (rule 4), outside the lock.
    pub(crate) fn wake_handlers(&self) {
        let wakers: Vec<Waker> = self.wakers.lock().iter().flatten().cloned().collect();
        for w in wakers {
            w.wake();
        }
    }
}

/// Requests a cooperative cancel of the task at `ptr` (asyncio's `Task.cancel(msg)`).
/// Returns `false` if the task already finished or was aborted.
pub(crate) fn request(header: &Header, ptr: NonNull<Header>, message: Option<Arc<str>>) -> bool {
    let snap = header.state.load();
    if snap.is_complete() || snap.is_cancelled() {
        return false;
    }
    let info = header.meta.cancel_or_init();
    // Rule 2: the count and the message before the bit.
    info.requests.fetch_add(1, Ordering::AcqRel);
    if message.is_some() {
        *info.message.lock() = message;
    }
    match header.state.request_cancel() {
        None => {
            info.requests.fetch_sub(1, Ordering::AcqRel);
            false
        }
        Some(n) => {
            if n == ToNotified::Submit {
                // SAFETY: the transition counted a new reference for this `Notified`.
                let task = unsafe { Notified::from_raw(ptr) };
                header.scheduler.schedule(task, false);
            }
            info.wake_handlers();
            true
        }
    }
}

thread_local! {
    /// The task being polled on this thread (null outside a task's poll).
    static CURRENT: Cell<*const Header> = const { Cell::new(ptr::null()) };
}

/// Marks `ptr` as the task being polled until dropped (restores the previous one, so a
/// `block_on` nested in a task's poll keeps the outer task afterwards).
pub(crate) struct CurrentGuard(*const Header);

impl CurrentGuard {
    #[inline]
    pub(crate) fn enter(ptr: NonNull<Header>) -> CurrentGuard {
        CurrentGuard(CURRENT.with(|c| c.replace(ptr.as_ptr())))
    }
}

impl Drop for CurrentGuard {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// The task being polled on this thread, if any. Valid (one reference held by the
/// runner) for the duration of the poll.
pub(crate) fn current() -> Option<NonNull<Header>> {
    NonNull::new(CURRENT.with(Cell::get).cast_mut())
}

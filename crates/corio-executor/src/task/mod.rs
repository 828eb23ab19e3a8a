//! Tasks: one heap allocation per spawned future, scheduled through a lock-free state
//! word, observed through [`JoinHandle`] and [`AbortHandle`].
//!
//! # Protocol
//! 1. `spawn` allocates the cell with three references (the owned-task list, the first
//!    `Notified`, the `JoinHandle`), registers it with the scheduler's owned list, and
//!    queues the `Notified`.
//! 2. A worker pops a `Notified` and calls `run`: it claims `RUNNING`, polls the future
//!    inside a cooperative budget, and either completes the task or releases it to idle
//!    (re-queueing it at once if it was woken during the poll).
//! 3. A waker holds one reference. Waking an idle task queues one `Notified`; waking a
//!    queued, running or complete task only sets a bit or does nothing.
//! 4. Completion (output, panic or cancellation) stores the result, wakes the join
//!    waker, removes the task from the owned list and releases the runner's reference.
//! 5. Shutdown empties the owned list and cancels each task it can claim; tasks it cannot
//!    claim are running (they see `CANCELLED` after their poll) or already complete.
//!
//! The state word and its numbered rules are in the (private) `state` module.

mod builder;
pub(crate) mod cancel;
mod context_var;
mod current;
mod dump;
mod handlers;
pub(crate) use handlers::SeamHandler;
mod join;
mod join_set;
pub(crate) mod owned;
pub(crate) mod raw;
pub(crate) mod sched;
pub(crate) mod state;
mod task_local;
mod waker;

#[cfg(all(test, not(loom)))]
mod tests;

pub use builder::Builder;
pub use context_var::{ContextVar, LookupError, ResetError, Token};
pub use current::{current, id, try_current, try_id, CurrentTask};
pub use dump::{TaskDump, TaskInfo, TaskState};
pub use handlers::{
    cancelled, cancelling, catch_cancel, finally, shielded, uncancel, Cancelled, CatchCancel,
    Finally, Shielded, WaitCancelled,
};
pub use join::{AbortHandle, JoinHandle};
pub use join_set::JoinSet;
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};

pub(crate) use context_var::enter_root as enter_root_context;
pub(crate) use dump::dump as dump_owned;

use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;

use corio_core::TaskId;

use raw::{Header, RawTask};
use sched::TaskScheduler;

/// A queued task: owns one reference and the right to run the task once.
pub(crate) struct Notified(NonNull<Header>);

// SAFETY: a `Notified` is a counted pointer to a task whose shared parts are synchronised
// by its state word; the future inside is `Send` (enforced at spawn).
unsafe impl Send for Notified {}

impl Notified {
    /// # Safety
    /// - `ptr` is a live task and the caller transfers one reference to the `Notified`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified {
        Notified(ptr)
    }

    /// Gives up the reference to the caller, who must turn it back with `from_raw`.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let ptr = self.0;
        std::mem::forget(self);
        ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: we hold a reference.
        unsafe { self.0.as_ref() }
    }

    /// Polls (or cancels) the task once, consuming this reference.
    pub(crate) fn run(self) {
        let ptr = self.into_raw();
        // SAFETY: we own one reference, which `run` consumes.
        unsafe { ((*ptr.as_ptr()).vtable.run)(ptr) }
    }

    /// Cancels a queued task that will never be polled (blocking-pool shutdown).
    pub(crate) fn cancel(self) {
        self.header().state.set_cancelled();
        self.run();
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        // SAFETY: the `Notified` owns one reference, released exactly once here.
        unsafe { RawTask(self.0).drop_ref() }
    }
}

/// Lists the live tasks of the current runtime (asyncio's `all_tasks()`), ordered by
/// id; see [`Handle::dump`](crate::Handle::dump). Blocking-pool jobs are not listed.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let a = task::Builder::new().name("a").spawn(async {});
///     let b = task::Builder::new().name("b").spawn(async {});
///     let names: Vec<_> = task::dump().iter().map(|t| t.name().unwrap().to_owned()).collect();
///     assert_eq!(names, ["a", "b"]);
///     a.await.unwrap();
///     b.await.unwrap();
///     assert!(task::dump().is_empty(), "finished tasks leave the list");
/// });
/// ```
///
/// # Panics
/// Outside a runtime; the message names the fix.
#[track_caller]
pub fn dump() -> TaskDump {
    match crate::Handle::try_current_for("corio::task::dump") {
        Ok(h) => h.dump(),
        Err(e) => panic!("{e}"),
    }
}

/// What a spawn call carries besides the future.
pub(crate) struct SpawnMeta {
    pub(crate) name: Option<Box<str>>,
    pub(crate) location: &'static Location<'static>,
}

/// Allocates a task: returns the owned-list reference, the first `Notified` and the
/// `JoinHandle`.
pub(crate) fn new_task<F>(
    future: F,
    scheduler: TaskScheduler,
    meta: SpawnMeta,
) -> (RawTask, Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: the future and its output are `Send`: any thread may run or drop them.
    unsafe { new_local_task(future, scheduler, meta) }
}

/// [`new_task`] for a future that may be `!Send` (a local task).
///
/// # Safety
/// - Unless `F` and its output are `Send`, `scheduler` must run the task (poll, cancel,
///   drop its future and unjoined output) only on the thread that calls this (the local
///   set's rules), and the caller hands the `JoinHandle` only to code on this thread
///   when the output is `!Send` (the handle is then `!Send` itself).
pub(crate) unsafe fn new_local_task<F>(
    future: F,
    scheduler: TaskScheduler,
    meta: SpawnMeta,
) -> (RawTask, Notified, JoinHandle<F::Output>)
where
    F: Future + 'static,
{
    let ptr = raw::allocate(
        future,
        scheduler,
        TaskId::next(),
        meta.location,
        meta.name,
        3,
    );
    // SAFETY: three references were counted at allocation, one for each handle.
    unsafe { (RawTask(ptr), Notified(ptr), JoinHandle::from_raw(ptr)) }
}

/// Allocates a task that is not tracked by an owned list (blocking jobs): returns the
/// `Notified` and the `JoinHandle`.
pub(crate) fn new_untracked_task<F>(
    future: F,
    scheduler: TaskScheduler,
    meta: SpawnMeta,
) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let ptr = raw::allocate(
        future,
        scheduler,
        TaskId::next(),
        meta.location,
        meta.name,
        2,
    );
    // SAFETY: two references were counted at allocation, one for each handle.
    unsafe { (Notified(ptr), JoinHandle::from_raw(ptr)) }
}

/// Requests cancellation of the task at `ptr` (shared by both handle kinds).
pub(crate) fn abort_task(header: &Header, ptr: NonNull<Header>) {
    if header.state.transition_to_notified_and_cancel() == state::ToNotified::Submit {
        // SAFETY: the transition counted a new reference for this `Notified`.
        let task = unsafe { Notified::from_raw(ptr) };
        header.scheduler.schedule(task, false);
    }
}

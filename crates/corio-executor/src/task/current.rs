//! The current task (asyncio's `current_task()`): the thread-local pointer to the header
//! of the task being polled on this thread (the one `cancel`'s handlers use too).
//!
//! # Rules
//! 1. The pointer is set only by the holder of a task's `RUNNING` bit, for the duration
//!    of one poll (or one cancellation), and restored to its previous value afterwards
//!    (a nested `block_on` is refused, so the previous value is normally `None`).
//! 2. While the pointer names a task, that task is alive (its runner holds a reference)
//!    and its `RUNNING` bit is held by this thread: the header's context slot may be
//!    accessed without synchronisation (see `context_var`).

use std::fmt;
use std::panic::Location;
use std::ptr::NonNull;

use corio_core::TaskId;

use super::raw::Header;
use super::AbortHandle;

/// Runs `f` with the header of the task being polled on this thread, if any.
#[inline]
pub(crate) fn with_header<R>(f: impl FnOnce(Option<&Header>) -> R) -> R {
    let ptr = super::cancel::current();
    // SAFETY: rule 2: a set pointer names a live task whose runner is this thread.
    f(ptr.map(|p| unsafe { &*p.as_ptr() }))
}

/// The task being polled on this thread, from [`current`] or [`try_current`]
/// (asyncio's `current_task()`).
///
/// It holds a reference to the task, so it stays valid after the task finished; it can
/// cancel the task through [`abort_handle`](Self::abort_handle).
pub struct CurrentTask {
    handle: AbortHandle,
}

impl CurrentTask {
    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.handle.header().id
    }

    /// The task's name, if it was spawned with one.
    pub fn name(&self) -> Option<&str> {
        self.handle.header().name()
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.handle.header().location()
    }

    /// A handle that cancels this task (asyncio's `current_task().cancel()`).
    pub fn abort_handle(&self) -> AbortHandle {
        self.handle.clone()
    }
}

impl fmt::Debug for CurrentTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentTask")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("spawned_at", &format_args!("{}", self.location()))
            .finish()
    }
}

impl fmt::Display for CurrentTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id())?;
        if let Some(name) = self.name() {
            write!(f, " {name:?}")?;
        }
        write!(f, " spawned at {}", self.location())
    }
}

/// The task being polled on this thread (asyncio's `current_task()`), or `None` outside
/// a task: on a thread that runs no task, or in the future given to `block_on` /
/// `corio::run` itself (which is not a spawned task). A blocking-pool job is a task too.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     assert!(task::try_current().is_none(), "the block_on future is not a task");
///     let h = task::Builder::new().name("worker").spawn(async {
///         let me = task::current();
///         (me.id(), me.name().map(str::to_owned))
///     });
///     let id = h.id();
///     assert_eq!(h.await.unwrap(), (id, Some("worker".to_owned())));
/// });
/// assert!(task::try_current().is_none());
/// ```
pub fn try_current() -> Option<CurrentTask> {
    with_header(|h| {
        h.map(|h| {
            h.state.ref_inc();
            // SAFETY: we just counted a reference for the new handle; `h` is live
            // (rule 2).
            let handle = unsafe { AbortHandle::from_raw(NonNull::from(h)) };
            CurrentTask { handle }
        })
    })
}

/// The task being polled on this thread.
///
/// # Panics
/// Outside a task (see [`try_current`]); the message says what to use instead.
#[track_caller]
pub fn current() -> CurrentTask {
    try_current().unwrap_or_else(|| panic!("{NOT_IN_TASK}"))
}

/// The id of the task being polled on this thread, or `None` outside a task.
pub fn try_id() -> Option<TaskId> {
    with_header(|h| h.map(|h| h.id))
}

/// The id of the task being polled on this thread (tokio's `task::id()`).
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// let (inside, handle_id) = rt.block_on(async {
///     let h = corio_executor::spawn(async { task::id() });
///     let id = h.id();
///     (h.await.unwrap(), id)
/// });
/// assert_eq!(inside, handle_id);
/// ```
///
/// # Panics
/// Outside a task (see [`try_id`]).
#[track_caller]
pub fn id() -> TaskId {
    try_id().unwrap_or_else(|| panic!("{NOT_IN_TASK}"))
}

const NOT_IN_TASK: &str = "corio::task::current() called outside a task: the future given \
     to `block_on`/`corio::run` and plain threads are not spawned tasks; use \
     `corio::task::try_current()` (or `try_id()`) where there may be no task";

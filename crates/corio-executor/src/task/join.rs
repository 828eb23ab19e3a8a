//! [`JoinHandle`] and [`AbortHandle`]: the owner's and the canceller's views of a task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll};

use corio_core::{coop, JoinError, TaskId};

use super::raw::Header;

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or a [`JoinError`] if the task panicked or was
/// cancelled. Dropping it *detaches* the task: the task keeps running and its output is
/// dropped when it finishes. This is asyncio's `Task` object.
///
/// # Examples
///
/// ```
/// use corio_executor::Executor;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// let answer = rt.block_on(async {
///     let handle = corio_executor::spawn(async { 6 * 7 });
///     handle.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
///
/// # Cancel safety
/// Dropping a `JoinHandle` future mid-await loses nothing: the task keeps running.
#[must_use = "dropping a JoinHandle detaches the task; await it to get its output"]
pub struct JoinHandle<T> {
    raw: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the output `T` out of the task, so it may travel
// between threads when `T: Send`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only exposes the state word (atomic) and the id.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// - `raw` is a live task whose output type is `T`, and the caller transfers the
    ///   join handle's reference and `JOIN_INTEREST` to the new handle.
    pub(crate) unsafe fn from_raw(raw: NonNull<Header>) -> Self {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: the handle holds a reference.
        unsafe { self.raw.as_ref() }
    }

    /// Requests cancellation (asyncio's `Task.cancel()`): the task's future is dropped
    /// at its next scheduling point, and awaiting this handle yields a cancelled
    /// [`JoinError`] — unless the task already finished, in which case nothing changes.
    pub fn abort(&self) {
        super::abort_task(self.header(), self.raw);
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.header().id
    }

    /// The task's name, if it was spawned with one (see [`Builder`](super::Builder)).
    pub fn name(&self) -> Option<&str> {
        self.header().name()
    }

    /// A handle that can cancel the task without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(coop::poll_proceed(cx));
        let header = self.header();
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the task's output type; we are its join handle.
        unsafe { (header.vtable.try_read_output)(self.raw, &mut out as *mut _ as *mut ()) };
        if out.is_pending() {
            header.join_waker.register(cx.waker());
            // Publish the waker (state rule 7), then re-check: the task may have
            // completed before the completer could see it.
            header.state.set_join_waker();
            // SAFETY: as above.
            unsafe { (header.vtable.try_read_output)(self.raw, &mut out as *mut _ as *mut ()) };
        }
        if out.is_ready() {
            coop.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let header = self.header();
        let prev = header.state.unset_join_interest();
        let mut panic = None;
        if prev.is_complete() {
            // State rule 4: the output is ours to drop.
            // SAFETY: complete and we just gave up join interest as the join handle.
            let res = panic::catch_unwind(panic::AssertUnwindSafe(|| unsafe {
                (header.vtable.drop_output)(self.raw)
            }));
            panic = res.err();
        }
        if header.state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { (header.vtable.dealloc)(self.raw) };
        }
        if let Some(p) = panic {
            panic::resume_unwind(p);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("spawned_at", &format_args!("{}", self.header().location()))
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Cancels a task without owning its output; cloneable, and dropping it does nothing.
///
/// # Examples
///
/// ```
/// use corio_executor::Executor;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let handle = corio_executor::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     abort.abort();
///     assert!(handle.await.unwrap_err().is_cancelled());
///     assert!(abort.is_finished());
/// });
/// ```
pub struct AbortHandle {
    raw: NonNull<Header>,
}

// SAFETY: only the atomic state word and immutable header fields are touched.
unsafe impl Send for AbortHandle {}
// SAFETY: as above.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    fn header(&self) -> &Header {
        // SAFETY: the handle holds a reference.
        unsafe { self.raw.as_ref() }
    }

    /// Requests cancellation of the task (see [`JoinHandle::abort`]).
    pub fn abort(&self) {
        super::abort_task(self.header(), self.raw);
    }

    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.header().id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> Self {
        self.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        let header = self.header();
        if header.state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { (header.vtable.dealloc)(self.raw) };
        }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl corio_core::task::Abort for AbortHandle {
    fn abort(&self) {
        AbortHandle::abort(self)
    }
    fn id(&self) -> TaskId {
        AbortHandle::id(self)
    }
    fn is_finished(&self) -> bool {
        AbortHandle::is_finished(self)
    }
}

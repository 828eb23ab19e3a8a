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
/// cancelled. This is asyncio's `Task` object.
///
/// # Dropping a handle
/// - A handle that was never awaited *detaches* its task when dropped: the task keeps
///   running and its output is dropped when it finishes (`spawn(...)` and forget).
/// - A handle that was awaited (polled at least once while the task was running) and is
///   dropped before the task finished *cancels* it ([`cancel`](Self::cancel)): that is
///   what happens when `timeout`, `select!`, `race`, `gather`, `try_gather` or an
///   `as_completed` stream gives up on a spawned task, so no combinator leaks a task
///   (asyncio's `wait_for` and `gather` cancel what they give up on).
/// - [`detach`](Self::detach) lets the task run on in every case.
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

    pub(super) fn raw(&self) -> NonNull<Header> {
        self.raw
    }

    /// Hard cancel: the task's future is dropped at its next scheduling point, whatever
    /// it is doing (no cleanup can run, cancel handlers included), and awaiting this
    /// handle yields a cancelled [`JoinError`] — unless the task already finished, in
    /// which case nothing changes. See [`cancel`](Self::cancel) for asyncio's cancel.
    pub fn abort(&self) {
        super::abort_task(self.header(), self.raw);
    }

    /// Requests a cooperative cancel (asyncio's `Task.cancel()`): the task is woken and,
    /// at its next await, its future is dropped and it ends with a cancelled
    /// [`JoinError`] — unless the task has a cancel handler
    /// ([`task::finally`](super::finally), [`task::catch_cancel`](super::catch_cancel),
    /// [`task::cancelled`](super::cancelled), [`task::shielded`](super::shielded)) alive,
    /// which takes the cancel: a `finally` runs its async cleanup to the end first, a
    /// `catch_cancel` lets the task go on. Await the handle to wait for the end.
    ///
    /// Returns `false` (and does nothing) if the task already finished or was aborted,
    /// as asyncio's `cancel()` returns `False` for a done task. Cancelling twice counts
    /// two requests ([`cancelling`](Self::cancelling)) but delivers one cancel.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_executor::Executor;
    ///
    /// let rt = Executor::builder_current_thread().build().unwrap();
    /// rt.block_on(async {
    ///     let h = corio_executor::spawn(std::future::pending::<()>());
    ///     assert!(h.cancel());
    ///     assert_eq!(h.cancelling(), 1);
    ///     let err = h.await.unwrap_err();
    ///     assert!(err.is_cancelled() && err.cancel_message().is_none());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        super::cancel::request(self.header(), self.raw, None)
    }

    /// [`cancel`](Self::cancel) with a message, carried by the cancelled [`JoinError`]
    /// ([`JoinError::cancel_message`]) and by the [`Cancelled`](super::Cancelled) a
    /// handler receives (asyncio's `Task.cancel(msg)`). A later message replaces an
    /// earlier one.
    pub fn cancel_with(&self, message: impl Into<std::sync::Arc<str>>) -> bool {
        super::cancel::request(self.header(), self.raw, Some(message.into()))
    }

    /// How many cancel requests the task has that it did not withdraw with
    /// [`task::uncancel`](super::uncancel) (asyncio's `Task.cancelling()`).
    pub fn cancelling(&self) -> u32 {
        self.header()
            .meta
            .cancel()
            .map_or(0, |i| i.requests.load(std::sync::atomic::Ordering::Acquire))
    }

    /// Lets the task run on without this handle, even if the handle was awaited: the
    /// opt-out of the cancel-on-drop rule (see [Dropping a handle](Self#dropping-a-handle)).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_executor::Executor;
    /// use std::time::Duration;
    ///
    /// let rt = Executor::builder_current_thread().build().unwrap();
    /// rt.block_on(async {
    ///     let (tx, rx) = std::sync::mpsc::channel();
    ///     let mut h = corio_executor::spawn(async move {
    ///         corio_executor::yield_now().await;
    ///         tx.send("still ran").unwrap();
    ///     });
    ///     // Polled once (so dropping it would cancel it), then detached.
    ///     assert!(futures::poll!(&mut h).is_pending());
    ///     h.detach();
    ///     corio_executor::yield_now().await;
    ///     corio_executor::yield_now().await;
    ///     assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "still ran");
    /// });
    /// ```
    pub fn detach(self) {
        let mut this = std::mem::ManuallyDrop::new(self);
        this.release();
    }

    /// Gives up join interest and the handle's reference (state rule 4 and 6).
    fn release(&mut self) {
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
        // Awaited (JOIN_WAKER is set by a pending poll, state rule 7) and unfinished:
        // whoever awaited it gave up on it, so cancel the task (no combinator leaks one).
        let snap = self.header().state.load();
        if snap.has_join_waker() && !snap.is_complete() {
            super::cancel::request(self.header(), self.raw, None);
        }
        self.release();
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
    /// # Safety
    /// - `raw` is a live task and the caller transfers one counted reference.
    pub(crate) unsafe fn from_raw(raw: NonNull<Header>) -> Self {
        AbortHandle { raw }
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: the handle holds a reference.
        unsafe { self.raw.as_ref() }
    }

    /// Requests cancellation of the task (see [`JoinHandle::abort`]).
    pub fn abort(&self) {
        super::abort_task(self.header(), self.raw);
    }

    /// Requests a cooperative cancel (see [`JoinHandle::cancel`]).
    pub fn cancel(&self) -> bool {
        super::cancel::request(self.header(), self.raw, None)
    }

    /// Requests a cooperative cancel with a message (see [`JoinHandle::cancel_with`]).
    pub fn cancel_with(&self, message: impl Into<std::sync::Arc<str>>) -> bool {
        super::cancel::request(self.header(), self.raw, Some(message.into()))
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

/// The spawn seam's view of a task spawned through `corio_core::task::spawn`.
impl corio_core::task::RawJoin for JoinHandle<corio_core::task::AnyOutput> {
    fn poll_join(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<corio_core::task::AnyOutput, JoinError>> {
        Pin::new(self).poll(cx)
    }
    fn abort(&self) {
        JoinHandle::abort(self)
    }
    /// The soft cancel (`JoinHandle::cancel`): the task's cancel handlers run. A blocking
    /// job takes it as an abort (it has no await to run a handler at).
    fn cancel(&self) {
        JoinHandle::cancel(self);
    }
    fn id(&self) -> TaskId {
        JoinHandle::id(self)
    }
    fn is_finished(&self) -> bool {
        JoinHandle::is_finished(self)
    }
}

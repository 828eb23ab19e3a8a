//! Cancel handlers: how a task answers a cooperative cancel (`JoinHandle::cancel`).
//!
//! | asyncio | corio |
//! |---|---|
//! | `try: await body` / `finally: await cleanup()` | [`finally`]`(body, cleanup)` |
//! | `try: ...` / `except CancelledError:` | [`catch_cancel`]`(body)` |
//! | waiting for the cancel itself | [`cancelled`]`()` |
//! | `asyncio.shield` inside the task (trio: `CancelScope(shield=True)`) | [`shielded`]`(body)` |
//! | `Task.cancelling()` / `Task.uncancel()` | [`cancelling`]`()` / [`uncancel`]`()` |
//!
//! # Rules
//! 1. A handler registers with the task polling it on its first poll (a counted
//!    reference and one in the task's handler count) and leaves when it completes or is
//!    dropped. While any handler is registered, the runner never drops the task's future
//!    for a cooperative cancel (it still does for `abort()`, and runtime shutdown does
//!    once its grace is over: shutdown sends the cooperative cancel first).
//! 2. A handler polls its body first and looks for a request only when the body is
//!    pending, so the innermost handler (polled deepest, returning first) takes a request
//!    before the ones around it.
//! 3. Taking a request clears the state bit; no handler takes one while a shield is up
//!    (a `finally` cleanup running, or a [`shielded`] body): the request waits for the
//!    shield to come down.
//! 4. A `finally` whose cleanup ran after a cancel sets the request again when the cleanup
//!    ends: the cancel goes on to the next handler out, or ends the task, as a
//!    `CancelledError` goes on after a `finally:` block. The `finally` future then stays
//!    pending for good (the cancel is "unwinding" through it).
//!    A `finally` dropped during that cleanup (a task group or timeout drops it) sets
//!    the request again in its `Drop`, when dropped inside its task's poll and the task
//!    is not being cancelled: a cancel a handler took is never lost.
//! 5. A handler polled outside any corio task (a `block_on` root future, another
//!    executor) is inert: it just runs its body, since nothing can cancel it that way.
//!    A handler moved to another task after its first poll panics with a clear message.
//!
//! Crates that do not know the executor get a handler through `corio_core::cancel`
//! (`Spawner::cancel_handler`): a [`SeamHandler`], the same registration under the same
//! rules, which task groups use to take the cancel of the task awaiting them.
//!
//! An example is on [`finally`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::cancel::{self, CancelInfo};
use super::raw::RawTask;

/// A cooperative cancel taken by a handler: asyncio's `CancelledError`.
///
/// # Examples
///
/// ```
/// use corio_executor::task::Cancelled;
///
/// let c = Cancelled::new(Some("shutting down".into()));
/// assert_eq!(c.message(), Some("shutting down"));
/// assert_eq!(c.to_string(), "task was cancelled: shutting down");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cancelled {
    message: Option<Arc<str>>,
}

impl Cancelled {
    /// A cancel with an optional message (the one given to `cancel_with`).
    pub fn new(message: Option<Arc<str>>) -> Cancelled {
        Cancelled { message }
    }

    /// The message given to `JoinHandle::cancel_with`, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "task was cancelled: {m}"),
            None => f.write_str("task was cancelled"),
        }
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cancelled").field(&self.message).finish()
    }
}

impl std::error::Error for Cancelled {}

/// One handler's registration with its task (rule 1).
struct Registration {
    /// `None` before the first poll, or when polled outside a task (rule 5).
    task: Option<RawTask>,
    entered: bool,
    /// This handler's slot in the task's parked-waker slab.
    waker_key: Option<usize>,
    /// Whether this handler currently counts in `shields`.
    shielding: bool,
    /// `finally` took a cancel and its cleanup has not passed it on yet: dropped in that
    /// state (its owner dropped it mid-cleanup), it re-arms the cancel (rule 4), so a
    /// cancel taken by a handler is never lost.
    holds_cancel: bool,
}

// SAFETY: `RawTask` is `Send + Sync`; the other fields are plain data.
unsafe impl Send for Registration {}
// SAFETY: as above; `&Registration` exposes nothing.
unsafe impl Sync for Registration {}

impl Registration {
    const fn new() -> Registration {
        Registration {
            task: None,
            entered: false,
            waker_key: None,
            shielding: false,
            holds_cancel: false,
        }
    }

    /// Registers on the first poll; checks the task on later ones (rules 1 and 5).
    fn enter(&mut self) -> Option<&CancelInfo> {
        let current = cancel::current();
        if !self.entered {
            self.entered = true;
            let ptr = current?;
            let task = RawTask(ptr);
            task.header().state.ref_inc();
            let info = task.header().meta.cancel_or_init();
            info.handlers.fetch_add(1, Ordering::Relaxed);
            self.task = Some(task);
        }
        let task = self.task.as_ref()?;
        assert!(
            current == Some(task.0),
            "a corio cancel handler (task::finally, catch_cancel, cancelled, shielded, a task \
             group's join) was moved to another task after it was first polled"
        );
        task.header().meta.cancel()
    }

    fn info(&self) -> Option<&CancelInfo> {
        self.task.as_ref().and_then(|t| t.header().meta.cancel())
    }

    /// Takes a pending request (rule 3). Only call after `enter` returned `Some`.
    fn take_request(&self) -> Option<Cancelled> {
        let task = self.task.as_ref()?;
        let header = task.header();
        let info = header.meta.cancel()?;
        if info.shields.load(Ordering::Relaxed) > 0 {
            return None;
        }
        if !header.state.load().is_cancel_requested() {
            return None;
        }
        // We run inside the task's poll (checked by `enter`), so we hold RUNNING.
        header
            .state
            .take_cancel_request()
            .then(|| Cancelled::new(info.message()))
    }

    /// Rule 2: once what this handler guards is pending, takes a pending request, or
    /// keeps the waker for `cancel()` to wake. Only call after `enter` in the same poll;
    /// outside a task (rule 5) there is nothing to take or park: `None`.
    fn poll_take(&mut self, cx: &Context<'_>) -> Option<Cancelled> {
        let taken = self.take_request();
        if taken.is_none() {
            self.park(cx);
        }
        taken
    }

    /// Keeps this handler's waker for `cancel()` to wake (cancel rule 4).
    fn park(&mut self, cx: &Context<'_>) {
        let Some(info) = self.task.as_ref().and_then(|t| t.header().meta.cancel()) else {
            return;
        };
        let mut wakers = info.wakers.lock();
        match self.waker_key {
            Some(k) => match &mut wakers[k] {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            },
            None => {
                let k = match wakers.iter().position(Option::is_none) {
                    Some(k) => {
                        wakers[k] = Some(cx.waker().clone());
                        k
                    }
                    None => {
                        wakers.push(Some(cx.waker().clone()));
                        wakers.len() - 1
                    }
                };
                self.waker_key = Some(k);
            }
        }
    }

    fn set_shield(&mut self, on: bool) {
        if self.shielding == on {
            return;
        }
        if let Some(info) = self.info() {
            if on {
                info.shields.fetch_add(1, Ordering::Relaxed);
            } else {
                info.shields.fetch_sub(1, Ordering::Relaxed);
            }
            self.shielding = on;
        }
    }

    /// Rule 4: send a held-back cancel on.
    fn rearm(&self) {
        if let Some(task) = &self.task {
            task.header().state.rearm_cancel_request();
            if let Some(info) = task.header().meta.cancel() {
                info.wake_handlers();
            }
        }
    }

    /// Rule 4: lowers the shield, sends on the cancel this handler took (if it holds
    /// one) to the next handler out or the task's end, and leaves the task.
    fn pass_on(&mut self) {
        self.set_shield(false);
        if self.holds_cancel {
            self.holds_cancel = false;
            self.rearm();
        }
        self.exit();
    }

    /// Leaves the task (rule 1); idempotent.
    fn exit(&mut self) {
        self.set_shield(false);
        let Some(task) = self.task.take() else {
            return;
        };
        if let Some(info) = task.header().meta.cancel() {
            if let Some(k) = self.waker_key.take() {
                info.wakers.lock()[k] = None;
            }
            let before = info.handlers.fetch_sub(1, Ordering::Relaxed);
            debug_assert!(before > 0, "cancel handler count underflow");
        }
        // SAFETY: we took one reference in `enter` and release it once, here.
        unsafe { task.drop_ref() };
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.holds_cancel {
            if let Some(task) = &self.task {
                // Only inside this task's own poll (we then hold RUNNING) and while the
                // task is not being cancelled or aborted (its future is going anyway).
                let header = task.header();
                if cancel::current() == Some(task.0) && !header.state.load().is_cancelled() {
                    self.rearm();
                }
            }
        }
        self.exit();
    }
}

/// Runs `body`, then `cleanup()` — and if the task is cancelled (`JoinHandle::cancel`)
/// while `body` runs, drops `body`, runs `cleanup()` to its end, and then lets the cancel
/// go on: asyncio's `try: await body` / `finally: await cleanup()`.
///
/// The cleanup may await. While it runs, further cancel requests are held back (they
/// apply after it); only `abort()` or the end of the runtime's shutdown grace stop it.
/// After a cancel, the cleanup's end passes the cancel on (handlers rule 4): the task
/// ends cancelled unless an outer [`catch_cancel`] takes it.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let flushed = Arc::new(AtomicBool::new(false));
///     let f = flushed.clone();
///     let conn = corio_executor::spawn(task::finally(
///         std::future::pending::<()>(), // serve forever
///         move || async move {
///             corio_executor::yield_now().await; // async cleanup: it may await
///             f.store(true, Ordering::SeqCst);
///         },
///     ));
///     corio_executor::yield_now().await;
///     assert!(conn.cancel_with("server closing"));
///     let err = conn.await.unwrap_err();
///     assert!(err.is_cancelled());
///     assert_eq!(err.cancel_message(), Some("server closing"));
///     assert!(flushed.load(Ordering::SeqCst), "the cleanup ran to its end");
/// });
/// ```
///
/// # Panics
/// If polled in a different task than the one it was first polled in.
///
/// # Cancel safety
/// Dropping the `Finally` (the task aborted, or an outer combinator giving up) drops the
/// body or the cleanup where it stands, as any Rust future.
pub fn finally<B, F, C>(body: B, cleanup: F) -> Finally<B::IntoFuture, F, C::IntoFuture>
where
    B: IntoFuture,
    F: FnOnce() -> C,
    C: IntoFuture<Output = ()>,
{
    Finally {
        reg: Registration::new(),
        stage: Stage::Body {
            body: body.into_future(),
            cleanup: Some(cleanup),
        },
    }
}

/// The future of [`finally`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Finally<B: Future, F, C> {
    reg: Registration,
    stage: Stage<B, F, C>,
}

enum Stage<B: Future, F, C> {
    Body {
        body: B,
        cleanup: Option<F>,
    },
    /// `out`: `None` after a cancel.
    Cleanup {
        cleanup: C,
        out: Option<B::Output>,
    },
    /// The cleanup after a cancel ended; the cancel went on (rule 4).
    Unwound,
    Done,
}

impl<B, F, C> Future for Finally<B, F, C>
where
    B: Future,
    F: FnOnce() -> C,
    C: Future<Output = ()>,
{
    type Output = B::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
        // Pinning: `stage` is structurally pinned (its `body` and `cleanup` futures are
        // never moved, only dropped in place through `Pin::set`); `reg` and the `F`
        // closure are never pinned, and `Finally` has no `Drop` impl of its own.
        // SAFETY: by the pinning rule above, nothing pinned moves out of `this`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut stage = unsafe { Pin::new_unchecked(&mut this.stage) };
        this.reg.enter();
        loop {
            // SAFETY: projections of the pinned stage; nothing is moved out of a pinned
            // field (the closure and the output are not pinned).
            match unsafe { stage.as_mut().get_unchecked_mut() } {
                Stage::Body { body, cleanup } => {
                    // SAFETY: `body` is pinned with the stage.
                    let body = unsafe { Pin::new_unchecked(body) };
                    let (out, f) = match body.poll(cx) {
                        Poll::Ready(v) => (Some(v), cleanup.take()),
                        Poll::Pending => match this.reg.poll_take(cx) {
                            Some(_) => (None, cleanup.take()),
                            None => return Poll::Pending,
                        },
                    };
                    let f = f.expect("finally: the cleanup closure is taken once");
                    if out.is_none() {
                        // Hold later requests back while the cleanup runs (rule 3).
                        this.reg.set_shield(true);
                        this.reg.holds_cancel = true;
                    }
                    // Drops the body in place (it is pinned), then starts the cleanup.
                    stage.set(Stage::Cleanup {
                        cleanup: f().into_future(),
                        out,
                    });
                }
                Stage::Cleanup { cleanup, out } => {
                    // SAFETY: `cleanup` is pinned with the stage.
                    let c = unsafe { Pin::new_unchecked(cleanup) };
                    if c.poll(cx).is_pending() {
                        this.reg.park(cx);
                        return Poll::Pending;
                    }
                    match out.take() {
                        Some(v) => {
                            stage.set(Stage::Done);
                            this.reg.exit();
                            return Poll::Ready(v);
                        }
                        None => {
                            stage.set(Stage::Unwound);
                            this.reg.pass_on();
                            return Poll::Pending;
                        }
                    }
                }
                Stage::Unwound => return Poll::Pending,
                Stage::Done => panic!("`Finally` polled after it completed"),
            }
        }
    }
}

impl<B: Future, F, C> fmt::Debug for Finally<B, F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Body { .. } => "body",
            Stage::Cleanup { out: Some(_), .. } => "cleanup",
            Stage::Cleanup { out: None, .. } => "cleanup after cancel",
            Stage::Unwound => "unwound",
            Stage::Done => "done",
        };
        f.debug_struct("Finally").field("stage", &stage).finish()
    }
}

/// Runs `body`; if the task is cancelled (`JoinHandle::cancel`) while `body` runs, drops
/// `body` and returns `Err(Cancelled)` instead of ending the task: asyncio's
/// `except CancelledError:`. The task goes on from there; [`cancelling`] still counts the
/// request until [`uncancel`] withdraws it.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let h = corio_executor::spawn(async {
///         let r = task::catch_cancel(std::future::pending::<()>()).await;
///         let cancelled = r.unwrap_err();
///         assert_eq!(task::cancelling(), 1);
///         assert_eq!(task::uncancel(), 0);
///         format!("stopped: {}", cancelled.message().unwrap_or("-"))
///     });
///     corio_executor::yield_now().await;
///     h.cancel_with("bye");
///     assert_eq!(h.await.unwrap(), "stopped: bye"); // the task caught it and returned
/// });
/// ```
///
/// # Panics
/// If polled in a different task than the one it was first polled in.
pub fn catch_cancel<B: IntoFuture>(body: B) -> CatchCancel<B::IntoFuture> {
    CatchCancel {
        reg: Registration::new(),
        body: Some(body.into_future()),
    }
}

/// The future of [`catch_cancel`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct CatchCancel<B> {
    reg: Registration,
    body: Option<B>,
}

impl<B: Future> Future for CatchCancel<B> {
    type Output = Result<B::Output, Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `body` is structurally pinned (only dropped in place via `Pin::set`);
        // `reg` is not pinned; no `Drop` impl on this type.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut body = unsafe { Pin::new_unchecked(&mut this.body) };
        this.reg.enter();
        let fut = body
            .as_mut()
            .as_pin_mut()
            .expect("`CatchCancel` polled after it completed");
        if let Poll::Ready(v) = fut.poll(cx) {
            body.set(None);
            this.reg.exit();
            return Poll::Ready(Ok(v));
        }
        match this.reg.poll_take(cx) {
            Some(c) => {
                body.set(None);
                this.reg.exit();
                Poll::Ready(Err(c))
            }
            None => Poll::Pending,
        }
    }
}

impl<B> fmt::Debug for CatchCancel<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatchCancel")
            .field("finished", &self.body.is_none())
            .finish()
    }
}

/// Waits until the current task is cancelled (`JoinHandle::cancel`) and takes the cancel:
/// `catch_cancel(pending())`. Handy as a `select!` branch that turns a cancel into an
/// orderly stop. Outside a corio task it never completes.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let h = corio_executor::spawn(async {
///         let c = task::cancelled().await;
///         c.message().map(str::to_owned)
///     });
///     corio_executor::yield_now().await;
///     h.cancel_with("stop");
///     assert_eq!(h.await.unwrap().as_deref(), Some("stop"));
/// });
/// ```
pub fn cancelled() -> WaitCancelled {
    WaitCancelled {
        inner: catch_cancel(std::future::pending()),
    }
}

/// The future of [`cancelled`].
#[must_use = "futures do nothing unless you .await or poll them"]
#[derive(Debug)]
pub struct WaitCancelled {
    inner: CatchCancel<std::future::Pending<()>>,
}

impl Future for WaitCancelled {
    type Output = Cancelled;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Cancelled> {
        // `CatchCancel<Pending<()>>` is `Unpin`.
        Pin::new(&mut self.get_mut().inner)
            .poll(cx)
            .map(|r| match r {
                Err(c) => c,
                Ok(()) => unreachable!("pending() never completes"),
            })
    }
}

/// Runs `body` to its end even if the task is cancelled meanwhile (trio's shielded
/// `CancelScope`; the in-task form of asyncio's `shield`). A cancel requested while the
/// body runs waits: it is delivered at the task's next await after the body (or to an
/// outer handler). `abort()` and the end of a shutdown grace still stop it.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
/// use futures::channel::oneshot;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let (started_tx, started) = oneshot::channel();
///     let (release, release_rx) = oneshot::channel::<()>();
///     let h = corio_executor::spawn(async move {
///         let saved = task::shielded(async move {
///             started_tx.send(()).unwrap();
///             release_rx.await.unwrap(); // the cancel lands here: held back
///             "saved"
///         })
///         .await;
///         assert_eq!(task::cancelling(), 1);
///         // The held-back cancel is delivered at the next await.
///         std::future::pending::<()>().await;
///         saved
///     });
///     started.await.unwrap();
///     h.cancel();
///     release.send(()).unwrap();
///     assert!(h.await.unwrap_err().is_cancelled());
/// });
/// ```
pub fn shielded<B: IntoFuture>(body: B) -> Shielded<B::IntoFuture> {
    Shielded {
        reg: Registration::new(),
        body: body.into_future(),
    }
}

/// The future of [`shielded`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Shielded<B> {
    reg: Registration,
    body: B,
}

impl<B: Future> Future for Shielded<B> {
    type Output = B::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
        // SAFETY: `body` is structurally pinned (never moved); `reg` is not pinned; no
        // `Drop` impl on this type.
        let this = unsafe { self.get_unchecked_mut() };
        if this.reg.enter().is_some() {
            this.reg.set_shield(true);
        }
        // SAFETY: see above.
        let body = unsafe { Pin::new_unchecked(&mut this.body) };
        match body.poll(cx) {
            Poll::Ready(v) => {
                this.reg.exit();
                Poll::Ready(v)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<B> fmt::Debug for Shielded<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shielded").finish()
    }
}

/// How many cancel requests the current task has that were not withdrawn by
/// [`uncancel`] (asyncio's `Task.cancelling()`); 0 outside a corio task.
pub fn cancelling() -> u32 {
    let Some(ptr) = cancel::current() else {
        return 0;
    };
    // SAFETY: the runner holds a reference for the duration of the poll we are in.
    let header = unsafe { ptr.as_ref() };
    header
        .meta
        .cancel()
        .map_or(0, |i| i.requests.load(Ordering::Acquire))
}

/// Withdraws one cancel request of the current task and returns how many remain
/// (asyncio's `Task.uncancel()`). When none remain, a request not yet delivered is
/// dropped too. Returns 0 (and does nothing) outside a corio task or with no request.
pub fn uncancel() -> u32 {
    let Some(ptr) = cancel::current() else {
        return 0;
    };
    // SAFETY: the runner holds a reference for the duration of the poll we are in.
    let header = unsafe { ptr.as_ref() };
    let Some(info) = header.meta.cancel() else {
        return 0;
    };
    let left = info
        .requests
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .map_or(0, |prev| prev - 1);
    if left == 0 {
        // We run inside the task's poll, so we hold RUNNING.
        header.state.take_cancel_request();
    }
    left
}

/// The executor's side of `corio_core::cancel`'s seam: a [`Registration`] for a handler
/// written in a crate that does not know the executor (a task group waiting for its
/// children). It follows this module's rules as `finally` does: it takes a request only
/// when its owner asks after polling what it guards (rule 2), and one it took and
/// neither passed on nor released is re-armed when it is dropped (rule 4).
pub(crate) struct SeamHandler {
    reg: Registration,
}

impl SeamHandler {
    /// A handler for the task being polled on this thread; `None` outside a task (it
    /// would be inert, rule 5: no allocation for a group in a `block_on` root future).
    pub(crate) fn for_current_task() -> Option<SeamHandler> {
        cancel::current().map(|_| SeamHandler {
            reg: Registration::new(),
        })
    }
}

impl corio_core::cancel::RawCancelHandler for SeamHandler {
    fn poll_take(&mut self, cx: &Context<'_>) -> bool {
        if self.reg.enter().is_none() {
            return false; // rule 5: outside a task, inert
        }
        if self.reg.poll_take(cx).is_none() {
            return false;
        }
        self.reg.holds_cancel = true;
        true
    }

    fn pass_on(&mut self) {
        self.reg.pass_on();
    }

    fn release(&mut self) {
        self.reg.holds_cancel = false;
        self.reg.exit();
    }
}

//! [`TaskGroup`] and [`task_group`]: structured concurrency over spawned tasks (asyncio
//! 3.11's `TaskGroup`, trio's nursery).
//!
//! # Implementation
//! Every child runs as its own task (through the spawn seam, or the local-spawn seam for
//! `!Send` children), wrapped in a [`Child`] that catches its panic and reports its
//! outcome to the group's shared state. Rules:
//! 1. `running` counts children spawned and not yet finished; each child decrements it
//!    exactly once: when it completes, fails, panics, or is dropped unfinished — and
//!    only after the child's future has been dropped, so the group never completes while
//!    a cancelled child's destructor is still running on another worker.
//! 2. The first failure (a child's `Err` or panic, or the body's `Err`) sets
//!    `cancelling`, sends every other child a *cooperative* cancel
//!    ([`ErasedJoin::cancel`], asyncio's `Task.cancel()`) and wakes the group's awaiter,
//!    which drops the body (a body is part of the group). A child's cancel handlers run:
//!    an async `task::finally` cleanup runs to its end, a `catch_cancel` may go on (and
//!    return `Ok`: its output is kept, the group still fails). Cancels are sent after
//!    the state lock is released, because an executor may drop the cancelled future (and
//!    run its `Drop`, which takes the lock) right away; the join handles go back into
//!    their slots, so [`ChildHandle::abort`] can still hard-stop a child whose cleanup
//!    hangs.
//! 3. While `cancelling`, and once `finished`, a spawn is refused with a
//!    [`GroupSpawnError`] that gives the child back: it is never dropped silently.
//! 4. While `cancelling`, dropped children are not failures; a child that ends
//!    cancelled through its own [`ChildHandle`] (`cancel` or `abort`) is never a failure
//!    (and has no output); one that catches that cancel and returns counts as returned.
//! 5. The group completes when its body (if any) finished and `running` is 0: it returns
//!    the outputs in spawn order, or every failure. Since a cancelled child counts in
//!    `running` until its future is dropped, the group's end waits for every cleanup a
//!    cancel started (asyncio's `__aexit__` waits for its cancelled tasks). A cleanup that
//!    never ends keeps the group waiting, as in asyncio; only `ChildHandle::abort` or the
//!    runtime's shutdown grace (which aborts what its cancel did not end) stops it.
//!    Dropping an unjoined group, an unfinished `join` or an unfinished `task_group`
//!    future sends every child the same cooperative cancel: their cleanups run, but
//!    nothing is left to wait for them.
//! 6. The group's awaiter (the `task_group` or `join` future) is a cancel handler of the
//!    task awaiting it (`corio_core::cancel`): a cooperative cancel of that task that no
//!    handler inside the body took is taken by the group, which cancels its children
//!    as in rule 2 (the body is dropped) and waits for them. Then, as asyncio's
//!    `__aexit__`, the cancel goes on: with no failure the future stays pending (the task
//!    ends cancelled unless a handler further out takes it); with failures the group
//!    returns them, and the task's next await sees the cancel.
//! 7. [`ChildHandle::abort`] is the one hard cancel: the user's explicit request to drop
//!    that child's future at its next scheduling point, handlers and cleanups skipped
//!    (`JoinHandle::abort`).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use corio_core::cancel::CancelHandler;
use corio_core::task::{AnyOutput, BoxFuture, ErasedJoin};
use corio_core::{context, JoinError, NoRuntime, SpawnError, TaskId};
use parking_lot::{Mutex, MutexGuard};

use crate::group_error::{ChildFailure, TaskGroupError};

/// A group of spawned tasks that finish together: [`join`](TaskGroup::join) returns only
/// after every child has finished; the first child to fail (return `Err` or panic)
/// cancels its siblings; all failures come back together in one [`TaskGroupError`].
/// Dropping a group that was not joined cancels its children.
///
/// The cancel is asyncio's `Task.cancel()` (`JoinHandle::cancel`), not an abort: a
/// cancelled child's `task::finally` cleanup runs to its end, even if it awaits, and
/// `join` returns only after it (module rule 5).
///
/// Children return `Result<T, E>`; `join` gives the `T`s in spawn order. Each spawn
/// returns a [`ChildHandle`] that cancels that child alone; [`handle`](Self::handle)
/// gives a cloneable [`GroupHandle`] through which children spawn siblings. For a group
/// whose body is part of it (cancelled with the children when one fails), use
/// [`task_group`]; for children that borrow from the caller's stack, [`scope`](crate::scope).
///
/// # Examples
///
/// Needs a corio runtime to spawn on (`no_run`: this crate has none; through the facade
/// it is `corio::TaskGroup`):
///
/// ```no_run
/// use corio_combinators::TaskGroup;
///
/// async fn download(id: u32) -> Result<String, std::io::Error> {
///     Ok(format!("page {id}"))
/// }
///
/// async fn download_all() -> Result<Vec<String>, corio_combinators::TaskGroupError<std::io::Error>> {
///     let group = TaskGroup::new();
///     for id in 0..3 {
///         group.spawn(download(id));
///     }
///     group.join().await // ["page 0", "page 1", "page 2"], or every failure
/// }
/// ```
#[must_use = "dropping a TaskGroup cancels its children; call `join().await`"]
pub struct TaskGroup<T, E> {
    shared: Arc<Shared<T, E>>,
}

/// A cloneable handle that spawns into a group (asyncio's `tg` inside `async with`):
/// give clones to children so they can spawn siblings. Dropping it does nothing.
pub struct GroupHandle<T, E> {
    shared: Arc<Shared<T, E>>,
}

/// One child of a group: cancel it alone with [`cancel`](Self::cancel) (cooperative) or
/// [`abort`](Self::abort) (hard; the group counts neither as a failure), or ask whether
/// it finished.
pub struct ChildHandle<T, E> {
    shared: Arc<Shared<T, E>>,
    index: usize,
}

impl<T, E> TaskGroup<T, E>
where
    T: 'static,
    E: 'static,
{
    /// An empty group.
    pub fn new() -> Self {
        TaskGroup {
            shared: Shared::new(),
        }
    }

    /// A handle that spawns into this group, to clone into children.
    pub fn handle(&self) -> GroupHandle<T, E> {
        GroupHandle {
            shared: self.shared.clone(),
        }
    }

    /// Spawns `child` into the group (asyncio's `TaskGroup.create_task`).
    ///
    /// # Panics
    /// When the group is cancelling or finished, outside a corio runtime, or after it
    /// shut down (see [`try_spawn`](Self::try_spawn)); the message says which.
    #[track_caller]
    pub fn spawn<F>(&self, child: F) -> ChildHandle<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
        E: Send,
    {
        self.shared.spawn_or_panic(child)
    }

    /// Like [`spawn`](Self::spawn), but returns the refusal instead of panicking.
    ///
    /// # Errors
    /// A [`GroupSpawnError`] that gives `child` back: the group is cancelling (a child
    /// failed) or finished, or there is no runtime (or it shut down).
    #[track_caller]
    pub fn try_spawn<F>(&self, child: F) -> Result<ChildHandle<T, E>, GroupSpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
        E: Send,
    {
        self.shared.try_spawn(child)
    }

    /// Spawns the `!Send` `child` as a local task (on this thread's local set: inside
    /// `corio::run` / `block_on`, or a `LocalSet`).
    ///
    /// # Panics
    /// As [`spawn`](Self::spawn), and outside a local context.
    #[track_caller]
    pub fn spawn_local<F>(&self, child: F) -> ChildHandle<T, E>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.shared.spawn_local_or_panic(child)
    }

    /// Like [`spawn_local`](Self::spawn_local), but returns the refusal.
    ///
    /// # Errors
    /// As [`try_spawn`](Self::try_spawn), and [`GroupSpawnErrorKind::NoLocalSet`].
    #[track_caller]
    pub fn try_spawn_local<F>(&self, child: F) -> Result<ChildHandle<T, E>, GroupSpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.shared.try_spawn_local(child)
    }

    /// How many children are still running.
    pub fn running(&self) -> usize {
        self.shared.lock().running
    }

    /// Cancels every child cooperatively (their cleanups run; they are not failures);
    /// later spawns are refused. `join` still waits for the children to end.
    pub fn cancel(&self) {
        self.shared.cancel_all();
    }

    /// Waits for every child to finish; returns their outputs in spawn order (children
    /// cancelled through their [`ChildHandle`] left out), or every failure.
    ///
    /// # Errors
    /// A [`TaskGroupError`] listing each child that returned `Err`, panicked, or was
    /// cancelled from outside the group.
    ///
    /// # Cancel safety
    /// Dropping the `Join` before it completes cancels every child still running.
    pub fn join(self) -> Join<T, E> {
        // Mark the group as joined first, so dropping `self` does not cancel (rule 5).
        self.shared.lock().joiner = Some(Joiner::Waiting(None));
        Join {
            shared: Some(self.shared.clone()),
            outer: CancelHandler::new(),
            unwound: false,
        }
    }
}

impl<T: 'static, E: 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        // A joined group hands the cancel-on-drop duty to its `Join` (rule 5).
        if !self.shared.lock().joining() {
            self.shared.cancel_all();
        }
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.debug("TaskGroup", f)
    }
}

impl<T: 'static, E: 'static> GroupHandle<T, E> {
    /// Spawns `child` into the group (see [`TaskGroup::spawn`]).
    ///
    /// # Panics
    /// When the group is cancelling or finished, or outside a runtime.
    #[track_caller]
    pub fn spawn<F>(&self, child: F) -> ChildHandle<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
        E: Send,
    {
        self.shared.spawn_or_panic(child)
    }

    /// Spawns `child` into the group, or gives it back (see [`TaskGroup::try_spawn`]).
    ///
    /// # Errors
    /// A [`GroupSpawnError`] holding `child`.
    #[track_caller]
    pub fn try_spawn<F>(&self, child: F) -> Result<ChildHandle<T, E>, GroupSpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
        E: Send,
    {
        self.shared.try_spawn(child)
    }

    /// Spawns the `!Send` `child` as a local task (see [`TaskGroup::spawn_local`]).
    ///
    /// # Panics
    /// When the group is cancelling or finished, or outside a local context.
    #[track_caller]
    pub fn spawn_local<F>(&self, child: F) -> ChildHandle<T, E>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.shared.spawn_local_or_panic(child)
    }

    /// Spawns the `!Send` `child` as a local task, or gives it back.
    ///
    /// # Errors
    /// A [`GroupSpawnError`] holding `child`.
    #[track_caller]
    pub fn try_spawn_local<F>(&self, child: F) -> Result<ChildHandle<T, E>, GroupSpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.shared.try_spawn_local(child)
    }

    /// Whether the group is cancelling (a child or the body failed, or it was cancelled).
    pub fn is_cancelling(&self) -> bool {
        self.shared.lock().cancelling
    }

    /// Cancels the group: every child (cooperatively: their cleanups run, and the group
    /// waits for them), and the body of a [`task_group`] (dropped).
    pub fn cancel(&self) {
        self.shared.cancel_all();
    }
}

impl<T, E> Clone for GroupHandle<T, E> {
    fn clone(&self) -> Self {
        GroupHandle {
            shared: self.shared.clone(),
        }
    }
}

impl<T, E> fmt::Debug for GroupHandle<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.debug("GroupHandle", f)
    }
}

impl<T, E> ChildHandle<T, E> {
    /// Aborts this child alone: its future is dropped at its next scheduling point, its
    /// cancel handlers skipped (`JoinHandle::abort`, a hard cancel; rule 7), even while
    /// it runs the cleanup of a cancel the group sent it. The group does not count it as
    /// a failure and [`TaskGroup::join`] leaves its output out. No effect once it
    /// finished.
    pub fn abort(&self) {
        if let Some(h) = self.take_for_cancel(true) {
            h.abort();
        }
    }

    /// Cancels this child alone, cooperatively (asyncio's `task.cancel()` on a group's
    /// task): its cancel handlers run, so a `task::finally` cleanup runs to its end, and
    /// the group waits for it. Ending cancelled, it is not a failure and
    /// [`TaskGroup::join`] leaves its output out; a child that catches the cancel and
    /// returns is counted as it returned (`Ok` kept, `Err` a failure). No effect once it
    /// finished.
    pub fn cancel(&self) {
        if let Some(h) = self.take_for_cancel(false) {
            h.cancel();
            self.shared.put_back([(self.index, h)]);
        }
    }

    /// Marks a running child as cancelled (and aborted, if `abort`) and takes its join
    /// handle out of the slot, so the cancel is sent outside the group's lock; `None`
    /// once the child finished (or while another cancel holds the handle).
    fn take_for_cancel(&self, abort: bool) -> Option<ErasedJoin> {
        let mut state = self.shared.lock();
        let slot = &mut state.slots[self.index];
        if !matches!(slot.status, Status::Running) {
            return None;
        }
        slot.cancel_requested = true;
        slot.abort_requested |= abort;
        slot.handle.take()
    }

    /// The child's task id (`None` only while its spawn is still in progress).
    pub fn id(&self) -> Option<TaskId> {
        self.shared.lock().slots[self.index].id
    }

    /// The child's position in spawn order (as in [`ChildFailure::index`]).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether the child finished (completed, failed or was cancelled).
    pub fn is_finished(&self) -> bool {
        !matches!(self.shared.lock().slots[self.index].status, Status::Running)
    }
}

impl<T, E> fmt::Debug for ChildHandle<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildHandle")
            .field("index", &self.index)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Why a group refused a child; the child comes back with [`into_inner`](Self::into_inner).
pub struct GroupSpawnError<F> {
    kind: GroupSpawnErrorKind,
    child: Option<F>,
}

/// What [`GroupSpawnError`] refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupSpawnErrorKind {
    /// A child (or the body) failed, or the group was cancelled: it takes no new
    /// children (asyncio: "TaskGroup is shutting down").
    Cancelling,
    /// The group completed (its `join` or `task_group` future returned).
    Finished,
    /// There is no runtime on this thread.
    NoRuntime(NoRuntime),
    /// The runtime shut down (the child was dropped unrun; the group reports it
    /// cancelled).
    Shutdown,
    /// `spawn_local` outside a local context.
    NoLocalSet,
}

impl<F> GroupSpawnError<F> {
    fn new(kind: GroupSpawnErrorKind, child: F) -> Self {
        GroupSpawnError {
            kind,
            child: Some(child),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &GroupSpawnErrorKind {
        &self.kind
    }

    /// The child, unrun (`None` only for [`GroupSpawnErrorKind::Shutdown`], when the
    /// runtime dropped it).
    pub fn into_inner(self) -> Option<F> {
        self.child
    }
}

impl fmt::Display for GroupSpawnErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupSpawnErrorKind::Cancelling => f.write_str(
                "the task group is cancelling (a child failed): it takes no new children",
            ),
            GroupSpawnErrorKind::Finished => {
                f.write_str("the task group has finished (joined): it takes no new children")
            }
            GroupSpawnErrorKind::NoRuntime(e) => e.fmt(f),
            GroupSpawnErrorKind::Shutdown => f.write_str("the runtime has shut down"),
            GroupSpawnErrorKind::NoLocalSet => corio_core::local::NoLocalSet::new().fmt(f),
        }
    }
}

impl<F> fmt::Display for GroupSpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl<F> fmt::Debug for GroupSpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupSpawnError")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<F> std::error::Error for GroupSpawnError<F> {}

/// The future returned by [`TaskGroup::join`].
#[must_use = "futures do nothing unless you .await or poll them; dropping this cancels the children"]
pub struct Join<T, E> {
    shared: Option<Arc<Shared<T, E>>>,
    /// Rule 6: the cancel of the task awaiting the group.
    outer: CancelHandler,
    /// Rule 6: the group ended after taking a cancel, which went on.
    unwound: bool,
}

impl<T, E> Future for Join<T, E> {
    type Output = Result<Vec<T>, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.unwound {
            return Poll::Pending; // rule 6: the cancel went on
        }
        let shared = this
            .shared
            .as_ref()
            .expect("`Join` polled after it completed");
        let mut state = shared.lock();
        if state.running > 0 {
            // Registered before the lock is released: a child ending after the check
            // above wakes this poll.
            state.set_waker(cx.waker());
            drop(state);
            // Rule 6: the task awaiting the group is cancelled: cancel the children.
            if !this.outer.poll_take(cx) {
                return Poll::Pending;
            }
            shared.cancel_all();
            state = shared.lock();
            if state.running > 0 {
                return Poll::Pending;
            }
        }
        let result = state.finish_group();
        drop(state);
        this.shared = None;
        end_group(&mut this.outer, &mut this.unwound, result)
    }
}

impl<T, E> Drop for Join<T, E> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.cancel_all();
            shared.lock().finished = true;
        }
    }
}

impl<T, E> fmt::Debug for Join<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("finished", &self.shared.is_none())
            .finish()
    }
}

/// Runs `body` as part of a new task group (asyncio's `async with TaskGroup() as tg:`):
/// `body` gets a [`GroupHandle`] to spawn children with; the group completes when the
/// body and every child have finished, and returns the body's output and the children's
/// outputs in spawn order.
///
/// The first failure — a child returning `Err` or panicking, or the body returning
/// `Err` — cancels the body *and* every other child, and every failure comes back
/// together in one [`TaskGroupError`]. Children may be `!Send` ([`GroupHandle::spawn_local`])
/// when the group runs on a local set (inside `corio::run` / `block_on`).
///
/// # Examples
///
/// Needs a corio runtime (`no_run` here; see `corio::task_group`'s runnable example):
///
/// ```no_run
/// use corio_combinators::task_group;
///
/// async fn fetch(id: u32) -> Result<u32, String> {
///     Ok(id * 10)
/// }
///
/// async fn crawl() -> Result<(), corio_combinators::TaskGroupError<String>> {
///     let (pages, outputs) = task_group(|tg| async move {
///         for id in 0..3 {
///             let sibling_spawner = tg.clone(); // children may spawn siblings
///             tg.spawn(async move {
///                 let _ = sibling_spawner;
///                 fetch(id).await
///             });
///         }
///         Ok::<_, String>(3)
///     })
///     .await?;
///     assert_eq!((pages, outputs), (3, vec![0, 10, 20]));
///     Ok(())
/// }
/// ```
///
/// # Errors
/// A [`TaskGroupError`] with every failure, in the order they happened.
///
/// # Panics
/// A panic in the body unwinds through the group future, which cancels every child.
///
/// # Cancel safety
/// Dropping the future drops the body and cancels every child (cooperatively: their
/// cleanups run, but nothing waits for them).
pub fn task_group<T, E, R, B, Fut>(body: B) -> TaskGroupRun<T, E, Fut>
where
    T: 'static,
    E: 'static,
    B: FnOnce(GroupHandle<T, E>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let shared = Shared::new();
    shared.lock().joiner = Some(Joiner::Waiting(None));
    let body = Box::pin(body(GroupHandle {
        shared: shared.clone(),
    }));
    TaskGroupRun {
        body: Some(body),
        output: None,
        shared: Some(shared),
        outer: CancelHandler::new(),
        unwound: false,
    }
}

/// The future returned by [`task_group`].
#[must_use = "futures do nothing unless you .await or poll them; dropping this cancels the group"]
pub struct TaskGroupRun<T, E, Fut: Future> {
    body: Option<Pin<Box<Fut>>>,
    output: Option<Fut::Output>,
    shared: Option<Arc<Shared<T, E>>>,
    /// Rule 6: the cancel of the task awaiting the group.
    outer: CancelHandler,
    /// Rule 6: the group ended after taking a cancel, which went on.
    unwound: bool,
}

// The body is boxed and the output is never pinned.
impl<T, E, Fut: Future> Unpin for TaskGroupRun<T, E, Fut> {}

impl<T, E, R, Fut> Future for TaskGroupRun<T, E, Fut>
where
    Fut: Future<Output = Result<R, E>>,
{
    type Output = Result<(R, Vec<T>), TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.unwound {
            return Poll::Pending; // rule 6: the cancel went on
        }
        let shared = this
            .shared
            .as_ref()
            .expect("`TaskGroupRun` polled after it completed");
        shared.lock().set_waker(cx.waker());
        if let Some(body) = this.body.as_mut() {
            if shared.lock().cancelling {
                // Rule 2: the body belongs to the group; a failure cancels it too.
                this.body = None;
            } else if let Poll::Ready(out) = body.as_mut().poll(cx) {
                this.body = None;
                match out {
                    Ok(v) => this.output = Some(Ok(v)),
                    Err(e) => shared.body_failed(e),
                }
            }
        }
        // Rule 6: the task awaiting the group is cancelled (and no handler in the body
        // took it): cancel the children and drop the body, as a failure does.
        let mut state = shared.lock();
        if this.body.is_some() || state.running > 0 {
            drop(state);
            if !this.outer.poll_take(cx) {
                return Poll::Pending;
            }
            shared.cancel_all();
            this.body = None;
            state = shared.lock();
            if state.running > 0 {
                return Poll::Pending;
            }
        }
        let result = state.finish_group();
        drop(state);
        this.shared = None;
        let output = this.output.take();
        end_group(&mut this.outer, &mut this.unwound, result).map(|r| {
            r.map(|children| {
                let body = match output {
                    Some(Ok(v)) => v,
                    _ => unreachable!("a group without failures has its body's output"),
                };
                (body, children)
            })
        })
    }
}

/// Rule 6: the group's result. If it took the cancel of the task awaiting it, the cancel
/// goes on; with no failure the awaiter stays pending (the task ends cancelled, as the
/// `CancelledError` out of asyncio's `async with`), with failures it returns them and
/// the task's next await sees the cancel (asyncio 3.13's `__aexit__` re-cancels its task
/// before raising the `ExceptionGroup`).
fn end_group<T, E>(
    outer: &mut CancelHandler,
    unwound: &mut bool,
    result: Result<Vec<T>, TaskGroupError<E>>,
) -> Poll<Result<Vec<T>, TaskGroupError<E>>> {
    let taken = outer.is_taken();
    outer.pass_on();
    if taken && result.is_ok() {
        *unwound = true;
        return Poll::Pending;
    }
    Poll::Ready(result)
}

impl<T, E, Fut: Future> Drop for TaskGroupRun<T, E, Fut> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            self.body = None;
            shared.cancel_all();
            shared.lock().finished = true;
        }
    }
}

impl<T, E, Fut: Future> fmt::Debug for TaskGroupRun<T, E, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupRun")
            .field("body_running", &self.body.is_some())
            .field("finished", &self.shared.is_none())
            .finish()
    }
}

struct Shared<T, E> {
    state: Mutex<State<T, E>>,
}

struct State<T, E> {
    slots: Vec<Slot<T>>,
    failures: Vec<(Option<usize>, Failure<E>)>,
    /// Rule 1.
    running: usize,
    /// Rules 2–4.
    cancelling: bool,
    /// Rule 3: the group completed (or its awaiter was dropped).
    finished: bool,
    /// `None`: not joined yet; `Waiting`: a `Join` / `TaskGroupRun` exists.
    joiner: Option<Joiner>,
}

enum Joiner {
    Waiting(Option<Waker>),
}

struct Slot<T> {
    id: Option<TaskId>,
    /// The child's join handle, kept to abort it (dropping it detaches, nothing more).
    handle: Option<ErasedJoin>,
    status: Status<T>,
    /// Rule 4: cancelled through its `ChildHandle` (`cancel` or `abort`).
    cancel_requested: bool,
    /// Rule 7: aborted through its `ChildHandle`.
    abort_requested: bool,
}

enum Status<T> {
    Running,
    Done(T),
    Failed,
    Cancelled,
    /// Its output went to the group's result.
    Taken,
}

enum Failure<E> {
    Error(E),
    Panic(Box<dyn Any + Send>),
    Cancelled,
}

enum Outcome<T, E> {
    Ok(T),
    Failed(Failure<E>),
    Dropped,
}

impl<T, E> State<T, E> {
    fn joining(&self) -> bool {
        self.joiner.is_some()
    }

    fn set_waker(&mut self, waker: &Waker) {
        match &mut self.joiner {
            Some(Joiner::Waiting(Some(w))) if w.will_wake(waker) => {}
            j => *j = Some(Joiner::Waiting(Some(waker.clone()))),
        }
    }

    fn take_waker(&mut self) -> Option<Waker> {
        match &mut self.joiner {
            Some(Joiner::Waiting(w)) => w.take(),
            None => None,
        }
    }

    /// Rule 5: the group is done; its result.
    fn finish_group(&mut self) -> Result<Vec<T>, TaskGroupError<E>> {
        self.finished = true;
        self.joiner = None;
        if !self.failures.is_empty() {
            let slots = &self.slots;
            let failures = std::mem::take(&mut self.failures)
                .into_iter()
                .map(|(index, failure)| {
                    let Some(index) = index else {
                        return match failure {
                            Failure::Error(error) => ChildFailure::Body { error },
                            _ => unreachable!("only a body error is recorded for the body"),
                        };
                    };
                    let id = slots[index].id.unwrap_or_else(TaskId::next);
                    match failure {
                        Failure::Error(error) => ChildFailure::Error { index, error },
                        Failure::Panic(p) => ChildFailure::Join {
                            index,
                            error: JoinError::panic(id, p),
                        },
                        Failure::Cancelled => ChildFailure::Join {
                            index,
                            error: JoinError::cancelled(id),
                        },
                    }
                })
                .collect();
            return Err(TaskGroupError::new(failures));
        }
        // The slots stay (a `ChildHandle` may still ask about its child); their
        // outputs move out.
        Ok(self
            .slots
            .iter_mut()
            .filter_map(
                |slot| match std::mem::replace(&mut slot.status, Status::Taken) {
                    Status::Done(v) => Some(v),
                    Status::Cancelled => None, // rule 4: cancelled through its handle
                    _ => unreachable!("a group without failures has every child done"),
                },
            )
            .collect())
    }
}

impl<T: 'static, E: 'static> Shared<T, E> {
    fn new() -> Arc<Self> {
        Arc::new(Shared {
            state: Mutex::new(State {
                slots: Vec::new(),
                failures: Vec::new(),
                running: 0,
                cancelling: false,
                finished: false,
                joiner: None,
            }),
        })
    }

    /// Rule 3: refuses a spawn into a cancelling or finished group; else reserves a slot.
    fn reserve(&self) -> Result<usize, GroupSpawnErrorKind> {
        let mut state = self.lock();
        if state.finished {
            return Err(GroupSpawnErrorKind::Finished);
        }
        if state.cancelling {
            return Err(GroupSpawnErrorKind::Cancelling);
        }
        state.running += 1;
        state.slots.push(Slot {
            id: None,
            handle: None,
            status: Status::Running,
            cancel_requested: false,
            abort_requested: false,
        });
        Ok(state.slots.len() - 1)
    }

    /// Stores a spawned child's join handle (and cancels the child if the group started
    /// cancelling meanwhile).
    fn spawned(self: &Arc<Self>, index: usize, handle: ErasedJoin) -> ChildHandle<T, E> {
        let mut state = self.lock();
        let slot = &mut state.slots[index];
        slot.id = Some(handle.id());
        // The child may already have finished (on another worker), or failed and made
        // the group cancel before its handle was stored (rule 2 could not reach it).
        if matches!(slot.status, Status::Running) {
            if state.cancelling {
                drop(state);
                handle.cancel();
                self.put_back([(index, handle)]);
            } else {
                state.slots[index].handle = Some(handle);
            }
        }
        ChildHandle {
            shared: self.clone(),
            index,
        }
    }

    #[track_caller]
    fn try_spawn<F>(self: &Arc<Self>, child: F) -> Result<ChildHandle<T, E>, GroupSpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
        E: Send,
    {
        let spawner = match context::spawner("corio::TaskGroup::spawn") {
            Ok(s) => s,
            Err(e) => {
                return Err(GroupSpawnError::new(
                    GroupSpawnErrorKind::NoRuntime(e),
                    child,
                ))
            }
        };
        let index = match self.reserve() {
            Ok(i) => i,
            Err(kind) => return Err(GroupSpawnError::new(kind, child)),
        };
        // Straight through the spawn seam: `Child` catches its own panics and reports its
        // own outcome, so it needs no result slot (one allocation less per child).
        let child = Child {
            future: Some(child),
            index,
            shared: Some(self.clone()),
        };
        // The task's output is `()` boxed (no allocation: a zero-sized box).
        let child: BoxFuture<AnyOutput> = Box::pin(async move {
            child.await;
            Box::new(()) as AnyOutput
        });
        match spawner.spawn(child, std::panic::Location::caller()) {
            Ok(handle) => Ok(self.spawned(index, handle)),
            // The child was dropped unrun, which reported it cancelled (rule 1).
            Err(SpawnError::Shutdown) | Err(SpawnError::NoRuntime(_)) => Err(GroupSpawnError {
                kind: GroupSpawnErrorKind::Shutdown,
                child: None,
            }),
        }
    }

    #[track_caller]
    fn try_spawn_local<F>(
        self: &Arc<Self>,
        child: F,
    ) -> Result<ChildHandle<T, E>, GroupSpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        if !corio_core::local::is_available() {
            return Err(GroupSpawnError::new(GroupSpawnErrorKind::NoLocalSet, child));
        }
        let index = match self.reserve() {
            Ok(i) => i,
            Err(kind) => return Err(GroupSpawnError::new(kind, child)),
        };
        let child = Child {
            future: Some(child),
            index,
            shared: Some(self.clone()),
        };
        let child: corio_core::local::LocalBoxFuture<AnyOutput> = Box::pin(async move {
            child.await;
            Box::new(()) as AnyOutput
        });
        match corio_core::local::try_spawn_local(child) {
            Ok(handle) => Ok(self.spawned(index, handle)),
            Err(_) => Err(GroupSpawnError {
                kind: GroupSpawnErrorKind::NoLocalSet,
                child: None,
            }),
        }
    }

    #[track_caller]
    fn spawn_or_panic<F>(self: &Arc<Self>, child: F) -> ChildHandle<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send,
        E: Send,
    {
        self.try_spawn(child).unwrap_or_else(|e| panic!("{e}"))
    }

    #[track_caller]
    fn spawn_local_or_panic<F>(self: &Arc<Self>, child: F) -> ChildHandle<T, E>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.try_spawn_local(child)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl<T, E> Shared<T, E> {
    fn lock(&self) -> MutexGuard<'_, State<T, E>> {
        self.state.lock()
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct(name)
            .field("children", &state.slots.len())
            .field("running", &state.running)
            .field("cancelling", &state.cancelling)
            .field("finished", &state.finished)
            .finish()
    }

    /// Rule 2: marks the group cancelling, sends every child still running a
    /// cooperative cancel and wakes the awaiter (which drops a body).
    fn cancel_all(&self) {
        let (handles, waker) = {
            let mut state = self.lock();
            state.cancelling = true;
            let handles: Vec<(usize, ErasedJoin)> = state
                .slots
                .iter_mut()
                .enumerate()
                .filter_map(|(i, s)| s.handle.take().map(|h| (i, h)))
                .collect();
            (handles, state.take_waker())
        };
        for (_, h) in &handles {
            h.cancel();
        }
        self.put_back(handles);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Rule 2: returns join handles taken out to cancel to the slots of the children
    /// still running (a child that finished meanwhile lets its handle go: detached). A
    /// child whose [`ChildHandle::abort`] came while its handle was out is aborted now.
    fn put_back(&self, handles: impl IntoIterator<Item = (usize, ErasedJoin)>) {
        let mut rest = Vec::new();
        {
            let mut state = self.lock();
            for (i, h) in handles {
                let slot = &mut state.slots[i];
                let running = matches!(slot.status, Status::Running);
                if running && !slot.abort_requested && slot.handle.is_none() {
                    slot.handle = Some(h);
                } else {
                    rest.push((running && slot.abort_requested, h));
                }
            }
        }
        for (abort, h) in rest {
            if abort {
                h.abort();
            }
        }
    }

    /// Rule 2: the body returned `Err`.
    fn body_failed(&self, error: E) {
        let first = {
            let mut state = self.lock();
            state.failures.push((None, Failure::Error(error)));
            !state.cancelling
        };
        if first {
            self.cancel_all();
        }
    }

    /// Rule 1: a child finished with `outcome`.
    fn finish(&self, index: usize, outcome: Outcome<T, E>) {
        let mut state = self.lock();
        state.running -= 1;
        let handle = state.slots[index].handle.take();
        let mut cancel = false;
        let cancelled_alone = state.slots[index].cancel_requested;
        state.slots[index].status = match outcome {
            Outcome::Ok(v) => Status::Done(v),
            Outcome::Failed(failure) => {
                cancel = !state.cancelling;
                state.failures.push((Some(index), failure));
                Status::Failed
            }
            Outcome::Dropped => {
                // Rule 4.
                if !state.cancelling && !cancelled_alone {
                    state.failures.push((Some(index), Failure::Cancelled));
                }
                Status::Cancelled
            }
        };
        let waker = if state.running == 0 {
            state.take_waker()
        } else {
            None
        };
        drop(state);
        drop(handle);
        if cancel {
            self.cancel_all();
        }
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The spawned side of a child: runs it, catches its panic, reports to the group.
struct Child<F, T, E> {
    /// `None` once it completed or was dropped: it is dropped (in place) *before* the
    /// outcome is reported, so when the group completes no child's destructor is still
    /// running on another worker (rule 1).
    future: Option<F>,
    index: usize,
    /// `None` once the outcome was reported.
    shared: Option<Arc<Shared<T, E>>>,
}

impl<F, T, E> Future for Child<F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `future` is structurally pinned: never moved out, only dropped in
        // place (`Pin::set` here, assignment in `Drop`); `index` and `shared` are not
        // pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        let Some(fut) = future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let mut outcome = match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(v))) => Outcome::Ok(v),
            Ok(Poll::Ready(Err(e))) => Outcome::Failed(Failure::Error(e)),
            Err(p) => Outcome::Failed(Failure::Panic(p)),
        };
        // Rule 1: the child's state is gone before the group hears of it; a panic from
        // its destructor counts as the child panicking (unless it already failed).
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| future.set(None))) {
            if !matches!(outcome, Outcome::Failed(_)) {
                outcome = Outcome::Failed(Failure::Panic(p));
            }
        }
        if let Some(shared) = this.shared.take() {
            shared.finish(this.index, outcome);
        }
        Poll::Ready(())
    }
}

impl<F, T, E> Drop for Child<F, T, E> {
    fn drop(&mut self) {
        // Drop the unfinished child in place first (rule 1): its guards are released
        // before the group can see that it finished. A panicking destructor is reported
        // as the child's panic rather than skipping the report (which would hang `join`).
        let dropped = catch_unwind(AssertUnwindSafe(|| self.future = None));
        if let Some(shared) = self.shared.take() {
            let outcome = match dropped {
                Ok(()) => Outcome::Dropped,
                Err(p) => Outcome::Failed(Failure::Panic(p)),
            };
            shared.finish(self.index, outcome);
        }
    }
}

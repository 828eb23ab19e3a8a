//! Local (`!Send`) tasks: [`LocalSet`], [`spawn_local`] and [`try_spawn_local`].
//!
//! An asyncio program is single-threaded: its tasks share `Rc<RefCell<…>>` state. A
//! local task is such a task: its future may be `!Send`, and it only ever runs on the
//! thread that drives its [`LocalSet`]. Every `block_on` (so `corio::run`, and
//! `#[corio::main]` / `#[corio::test]`) runs its future inside a local set of its own, so
//! `spawn_local` works in the main future and in the local tasks it spawns, on both
//! runtime flavors; a [`LocalSet`] gives the same on any thread (e.g. a blocking-pool
//! thread) or lets local tasks outlive one `run_until`.
//!
//! # Implementation
//! A local task is an ordinary task cell (one allocation, the same state word, wakers
//! and `JoinHandle`) whose scheduler is the set's [`LocalShared`]. Rules:
//! 1. A local task's future is polled, cancelled and dropped only on the set's thread:
//!    it is run only from the set's queues, which only the thread that drives the set
//!    pops; aborts and shutdown go through the same queues or the set's own `Drop`.
//! 2. A wake on the set's thread while the set is entered (inside `run_until`'s poll)
//!    pushes to the set's local queue; any other wake (another thread, or the set not
//!    entered) pushes to the remote queue under a lock and wakes the set's driver. The
//!    queue a task is in never matters for correctness, only for speed.
//! 3. The set's owned list holds every unfinished local task; dropping the set closes
//!    the remote queue and the list and cancels every task on the set's thread, so no
//!    local future outlives its set or is dropped elsewhere. A task spawned into a
//!    closed set resolves cancelled at once.
//! 4. A local task's output is dropped on the set's thread (by its runner, at
//!    completion, when nobody joins it) or by its `JoinHandle`, which is `!Send` when
//!    the output is.
//! 5. One poll of the set runs at most [`BATCH`] tasks, then yields to the scheduler
//!    that polls it (waking itself), so I/O and timers are not starved; the remote queue
//!    is served first every 31 ticks, so remote wakes are not starved either.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use corio_core::AtomicWaker;

use crate::sync::Mutex;
use crate::task::owned::OwnedTasks;
use crate::task::sched::TaskScheduler;
use crate::task::{self, JoinHandle, Notified, SpawnMeta};
use crate::Handle;

/// Local tasks run per poll of the set (rule 5).
const BATCH: u32 = 61;
/// Every this many ticks the remote queue goes first (rule 5).
const REMOTE_FIRST_INTERVAL: u32 = 31;

/// The part of a set that its tasks' headers point to (`Send + Sync`).
pub(crate) struct LocalShared {
    remote: Mutex<Remote>,
    /// Whether `remote.tasks` may be non-empty (read without the lock).
    has_remote: AtomicBool,
    /// The task (or `block_on`) that drives the set.
    waker: AtomicWaker,
    pub(crate) owned: OwnedTasks,
}

struct Remote {
    tasks: VecDeque<Notified>,
    /// Rule 3: after the set is dropped, wakes only release their reference.
    closed: bool,
}

/// The set's thread-bound part, pointed to by `CURRENT` while the set is entered.
struct Inner {
    shared: Arc<LocalShared>,
    queue: RefCell<VecDeque<Notified>>,
    tick: Cell<u32>,
    /// Inside `run_tasks`: a local wake needs no wake-up of the driver.
    running: Cell<bool>,
}

thread_local! {
    /// The set entered on this thread (inside its `run_until` poll), or null.
    static CURRENT: Cell<*const Inner> = const { Cell::new(ptr::null()) };
}

impl LocalShared {
    /// Queues a woken local task (rule 2).
    pub(crate) fn schedule(&self, task: Notified) {
        let task = CURRENT.with(|c| {
            let p = c.get();
            // SAFETY: `CURRENT` is non-null only while the `Enter` guard of a live set
            // on this thread exists (see `Inner::enter`).
            match unsafe { p.as_ref() } {
                Some(inner) if ptr::eq(Arc::as_ptr(&inner.shared), self) => {
                    match inner.queue.try_borrow_mut() {
                        Ok(mut q) => {
                            q.push_back(task);
                            drop(q);
                            if !inner.running.get() {
                                self.waker.wake();
                            }
                            None
                        }
                        Err(_) => Some(task),
                    }
                }
                _ => Some(task),
            }
        });
        if let Some(task) = task {
            let mut remote = self.remote.lock();
            if remote.closed {
                drop(remote);
                drop(task); // rule 3: only a reference is released
                return;
            }
            remote.tasks.push_back(task);
            self.has_remote.store(true, Ordering::Release);
            drop(remote);
            self.waker.wake();
        }
    }

    fn pop_remote(&self) -> Option<Notified> {
        if !self.has_remote.load(Ordering::Acquire) {
            return None;
        }
        let mut remote = self.remote.lock();
        let task = remote.tasks.pop_front();
        if remote.tasks.is_empty() {
            self.has_remote.store(false, Ordering::Release);
        }
        task
    }
}

/// Restores the previously entered set on drop.
struct Enter(*const Inner);

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

impl Inner {
    fn enter(&self) -> Enter {
        Enter(CURRENT.with(|c| c.replace(self)))
    }

    fn spawn<F>(&self, future: F, meta: SpawnMeta) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let sched = TaskScheduler::local(self.shared.clone());
        // SAFETY: rule 1: the task is scheduled only on this set, whose queues only
        // this thread runs; `spawn_local`'s callers are on this thread (`LocalSet` is
        // `!Send`, and `CURRENT` is thread-local).
        let (raw, notified, join) = unsafe { task::new_local_task(future, sched, meta) };
        if self.shared.owned.bind(raw) {
            self.queue.borrow_mut().push_back(notified);
            if !self.running.get() {
                self.shared.waker.wake();
            }
        } else {
            // Rule 3: the set is closed; the task never runs.
            drop(notified);
            // SAFETY: `bind` refused, so the owned-list reference is still ours.
            unsafe { raw.shutdown() };
        }
        join
    }

    fn pop(&self) -> Option<Notified> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        let local = || self.queue.borrow_mut().pop_front();
        if tick % REMOTE_FIRST_INTERVAL == 0 {
            self.shared.pop_remote().or_else(local)
        } else {
            local().or_else(|| self.shared.pop_remote())
        }
    }

    /// Runs up to `BATCH` tasks; `true` if work is left (rule 5).
    fn run_tasks(&self) -> bool {
        self.running.set(true);
        struct Reset<'a>(&'a Cell<bool>);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let _reset = Reset(&self.running);
        for _ in 0..BATCH {
            match self.pop() {
                Some(task) => task.run(),
                None => return false,
            }
        }
        !self.queue.borrow().is_empty() || self.shared.has_remote.load(Ordering::Acquire)
    }

    /// Polls `future` once with the set entered, then runs a batch of local tasks.
    fn poll_with<F: Future>(&self, future: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.shared.waker.register(cx.waker());
        let _enter = self.enter();
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(v);
        }
        if self.run_tasks() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// A set of local (`!Send`) tasks that all run on the thread that drives the set
/// (tokio's `LocalSet`).
///
/// Drive it with [`run_until`](Self::run_until) (a future that runs the set's tasks
/// while it waits for another future), [`block_on`](Self::block_on), or by awaiting the
/// set itself (which completes once every task in it finished). Dropping the set cancels
/// its unfinished tasks, on its own thread.
///
/// You rarely need one: every `block_on` / `corio::run` already runs its future in a
/// local set, so [`spawn_local`] works there directly.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use corio_executor::{Executor, LocalSet};
///
/// let rt = Executor::builder_multi_thread().worker_threads(2).build().unwrap();
/// let set = LocalSet::new();
/// let log = Rc::new(RefCell::new(Vec::new())); // !Send shared state
/// let out = set.block_on(rt.handle(), async {
///     let mut handles = Vec::new();
///     for i in 0..3 {
///         let log = log.clone();
///         handles.push(corio_executor::spawn_local(async move {
///             corio_executor::yield_now().await;
///             log.borrow_mut().push(i);
///             i * 10
///         }));
///     }
///     let mut sum = 0;
///     for h in handles {
///         sum += h.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(out, 30);
/// assert_eq!(*log.borrow(), [0, 1, 2]);
/// ```
pub struct LocalSet {
    inner: Inner,
    _not_send: PhantomData<*const ()>,
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> Self {
        // The local-spawn seam for crates that do not know the executor (task groups).
        corio_core::local::install(corio_core::local::LocalSpawnHook {
            spawn: spawn_local_boxed,
            available: || !CURRENT.with(Cell::get).is_null(),
        });
        LocalSet {
            inner: Inner {
                shared: Arc::new(LocalShared {
                    remote: Mutex::new(Remote {
                        tasks: VecDeque::new(),
                        closed: false,
                    }),
                    has_remote: AtomicBool::new(false),
                    waker: AtomicWaker::new(),
                    owned: OwnedTasks::new(1),
                }),
                queue: RefCell::new(VecDeque::new()),
                tick: Cell::new(0),
                running: Cell::new(false),
            },
            _not_send: PhantomData,
        }
    }

    /// Spawns `future` into this set; it runs when the set is next driven (from any
    /// context: this set need not be entered).
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.inner.spawn(
            future,
            SpawnMeta {
                name: None,
                location: Location::caller(),
            },
        )
    }

    /// A future that runs this set's tasks while it waits for `future`, and completes
    /// with `future`'s output (unfinished tasks stay in the set). Inside `future` and the
    /// set's tasks, [`spawn_local`] spawns into this set.
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil { set: self, future }
    }

    /// Runs `future` to completion on this thread with `handle`'s runtime entered,
    /// running this set's tasks meanwhile (tokio's `LocalSet::block_on`).
    ///
    /// # Panics
    /// From inside a runtime (a task or another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, handle: &Handle, future: F) -> F::Output {
        handle.block_on(self.run_until(future))
    }

    /// How many of this set's tasks have not finished.
    pub fn len(&self) -> usize {
        self.inner.shared.owned.len()
    }

    /// Whether every task of this set has finished.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for LocalSet {
    fn default() -> Self {
        LocalSet::new()
    }
}

/// Awaiting a set runs its tasks until every one of them has finished.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &self.inner;
        inner.shared.waker.register(cx.waker());
        let _enter = inner.enter();
        if inner.run_tasks() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if inner.shared.owned.len() == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        let shared = &self.inner.shared;
        // Rule 3: no more remote wakes; then cancel every task here, on our thread, with
        // the set entered (a destructor's `spawn_local` meets the closed list).
        let remote = {
            let mut r = shared.remote.lock();
            r.closed = true;
            std::mem::take(&mut r.tasks)
        };
        drop(remote);
        let _enter = self.inner.enter();
        shared.owned.close_and_shutdown_all();
        let queued = std::mem::take(&mut *self.inner.queue.borrow_mut());
        drop(queued);
        let remote = std::mem::take(&mut shared.remote.lock().tasks);
        drop(remote);
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.len())
            .finish()
    }
}

/// The future returned by [`LocalSet::run_until`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct RunUntil<'a, F> {
    set: &'a LocalSet,
    future: F,
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned (never moved out of `self`); `set` is a
        // plain reference.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        this.set.inner.poll_with(future, cx)
    }
}

impl<F> fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntil").finish_non_exhaustive()
    }
}

/// Why [`try_spawn_local`] could not spawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalSpawnError {
    /// No local set is entered on this thread.
    NoLocalSet,
}

impl fmt::Display for LocalSpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalSpawnError::NoLocalSet => f.write_str(NO_LOCAL_SET),
        }
    }
}

impl std::error::Error for LocalSpawnError {}

const NO_LOCAL_SET: &str = "`corio::spawn_local` was called outside a local context: call it \
     from the future given to `corio::run` / `Runtime::block_on` (or a local task it \
     spawned), or inside `LocalSet::run_until` / `LocalSet::block_on`; a task started with \
     `corio::spawn` runs on any worker and cannot spawn local tasks (spawn a `Send` future \
     with `corio::spawn` instead)";

/// Spawns a `!Send` future as a local task of the local set entered on this thread
/// (the one `corio::run` / `block_on` runs its future in, or a [`LocalSet`]); it runs
/// only on this thread. The handle's output may be `!Send` too.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use corio_executor::Executor;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// let total = rt.block_on(async {
///     let total = Rc::new(RefCell::new(0));
///     let t = total.clone();
///     corio_executor::spawn_local(async move { *t.borrow_mut() += 5 }).await.unwrap();
///     let n = *total.borrow();
///     n
/// });
/// assert_eq!(total, 5);
/// ```
///
/// # Panics
/// Outside a local context (see [`try_spawn_local`]), with a message naming the fix.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    try_spawn_local(future).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`spawn_local`], but returns an error instead of panicking.
///
/// # Errors
/// [`LocalSpawnError::NoLocalSet`] when no local set is entered on this thread (for
/// instance inside a task started with `spawn`, or outside any runtime).
#[track_caller]
pub fn try_spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, LocalSpawnError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = Location::caller();
    let p = CURRENT.with(Cell::get);
    // SAFETY: `CURRENT` is non-null only while the `Enter` guard of a live set on this
    // thread exists, and we are on this thread.
    let inner = unsafe { p.as_ref() }.ok_or(LocalSpawnError::NoLocalSet)?;
    Ok(inner.spawn(
        future,
        SpawnMeta {
            name: None,
            location,
        },
    ))
}

/// Spawns a local task named `name` (see [`task::Builder::spawn_local`](crate::task::Builder)).
pub(crate) fn try_spawn_local_with<F>(
    future: F,
    meta: SpawnMeta,
) -> Result<JoinHandle<F::Output>, LocalSpawnError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let p = CURRENT.with(Cell::get);
    // SAFETY: as in `try_spawn_local`.
    let inner = unsafe { p.as_ref() }.ok_or(LocalSpawnError::NoLocalSet)?;
    Ok(inner.spawn(future, meta))
}

/// The executor's side of `corio_core::local`'s seam.
fn spawn_local_boxed(
    future: corio_core::local::LocalBoxFuture<corio_core::task::AnyOutput>,
    location: &'static Location<'static>,
) -> Result<corio_core::task::ErasedJoin, corio_core::local::NoLocalSet> {
    let meta = SpawnMeta {
        name: None,
        location,
    };
    match try_spawn_local_with(future, meta) {
        Ok(join) => Ok(corio_core::task::ErasedJoin::new(join)),
        Err(LocalSpawnError::NoLocalSet) => Err(corio_core::local::NoLocalSet::new()),
    }
}

//! [`Handle`]: a cloneable reference to a running executor, and the free `spawn`
//! functions that use the current one.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Weak;

use corio_core::task::{AnyOutput, BoxFuture, ErasedJoin, Spawner};
use corio_core::{Clock, NoRuntime, SpawnError};

use crate::blocking::BlockingTask;
use crate::scheduler::{Common, Scheduler};
use crate::task::{self, JoinHandle, SpawnMeta};
use crate::{current_thread, multi_thread};

/// A handle to an executor: spawn on it, block on it, from any thread.
///
/// Inside a runtime (a task, a `block_on`, a blocking-pool job) the current handle is
/// [`Handle::current`].
///
/// # Examples
///
/// ```
/// use corio_executor::{Executor, Handle};
///
/// let rt = Executor::builder_multi_thread().worker_threads(2).build().unwrap();
/// let handle = rt.handle().clone();
/// let out = std::thread::spawn(move || handle.block_on(async { 5 })).join().unwrap();
/// assert_eq!(out, 5);
/// rt.block_on(async {
///     let h = Handle::current().spawn(async { 7 });
///     assert_eq!(h.await.unwrap(), 7);
/// });
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Scheduler,
}

impl Handle {
    /// The handle of the runtime running on this thread.
    ///
    /// # Panics
    /// Outside a runtime; the message names the fix.
    #[track_caller]
    pub fn current() -> Handle {
        Handle::try_current_for("corio::Handle::current").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The handle of the runtime running on this thread, if any.
    ///
    /// # Errors
    /// [`NoRuntime`] outside a runtime.
    pub fn try_current() -> Result<Handle, NoRuntime> {
        Handle::try_current_for("corio::Handle::try_current")
    }

    pub(crate) fn try_current_for(function: &'static str) -> Result<Handle, NoRuntime> {
        crate::context::with_handle(|h| h.cloned()).ok_or(NoRuntime::new(function))
    }

    pub(crate) fn common(&self) -> &Common {
        match &self.inner {
            Scheduler::CurrentThread(s) => &s.common,
            Scheduler::MultiThread(s) => &s.common,
        }
    }

    /// Spawns `future` on this runtime. After shutdown, the returned handle resolves
    /// to a cancelled [`JoinError`](corio_core::JoinError) at once.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(
            future,
            SpawnMeta {
                name: None,
                location: Location::caller(),
            },
        )
    }

    pub(crate) fn spawn_with<F>(&self, future: F, meta: SpawnMeta) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (raw, notified, join) = task::new_task(future, self.inner.clone().into(), meta);
        if self.common().owned.bind(raw) {
            match &self.inner {
                Scheduler::CurrentThread(s) => s.schedule(notified),
                Scheduler::MultiThread(s) => s.schedule(notified, false),
            }
        } else {
            // Shut down: the task never runs and resolves cancelled at once.
            drop(notified);
            // SAFETY: `bind` refused, so the owned-list reference is still ours.
            unsafe { raw.shutdown() };
        }
        join
    }

    /// Runs `f` on this runtime's blocking pool (asyncio's `to_thread`); the result or
    /// panic arrives through the handle. Aborting the handle cancels a job that has not
    /// started; a started job runs to completion.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_blocking_with(
            f,
            SpawnMeta {
                name: None,
                location: Location::caller(),
            },
        )
    }

    pub(crate) fn spawn_blocking_with<F, R>(&self, f: F, meta: SpawnMeta) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let common = self.common();
        let job = BlockingTask::new(f, Some(common.clock.busy()));
        let (notified, join) =
            task::new_untracked_task(job, task::sched::TaskScheduler::blocking(), meta);
        common.blocking.spawn(notified, self);
        join
    }

    /// Runs `future` to completion on the calling thread, with this runtime entered
    /// (on a current-thread runtime, this thread also runs the tasks).
    ///
    /// # Panics
    /// When called from a thread that drives a runtime (inside a task or another
    /// `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Context-variable rule 2: the future runs on a copy of the caller's context.
        let _root = task::enter_root_context();
        // Local-task rule: every `block_on` future runs in a local set of its own, so it
        // may `spawn_local`; the set (and its unfinished tasks) is dropped before we
        // return, with the runtime still entered for the tasks' destructors.
        let local = crate::LocalSet::new();
        let future = local.run_until(future);
        let out = match &self.inner {
            Scheduler::CurrentThread(s) => s.block_on(self, future),
            Scheduler::MultiThread(s) => s.block_on(self, future),
        };
        let _cx = crate::context::enter(self, false);
        drop(local);
        out
    }

    /// The runtime's clock.
    pub fn clock(&self) -> &Clock {
        &self.common().clock
    }

    /// Whether the runtime has shut down.
    pub fn is_shutdown(&self) -> bool {
        self.common().is_shutdown()
    }

    /// How many spawned tasks have not finished yet (blocking jobs excluded).
    pub fn num_alive_tasks(&self) -> usize {
        self.common().owned.len()
    }

    /// How many blocking-pool threads are alive.
    pub fn num_blocking_threads(&self) -> usize {
        self.common().blocking.num_threads()
    }

    /// Whether the runtime runs in debug mode (slow-poll detection, last-poll times in
    /// task dumps); see [`Builder::debug`](crate::Builder::debug).
    pub fn is_debug(&self) -> bool {
        self.common().debug.is_some()
    }

    /// Lists this runtime's live tasks (asyncio's `all_tasks()`), ordered by id:
    /// id, name, spawn location, state, poll count (and time since the last poll in
    /// debug mode). Finished tasks and blocking-pool jobs are not listed. Always
    /// available; it takes each owned-list shard lock in turn, so it briefly delays
    /// spawns and completions (a diagnostic, not a hot-path call).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_executor::{task, Executor};
    ///
    /// let rt = Executor::builder_multi_thread().worker_threads(1).build().unwrap();
    /// let h = rt.spawn(std::future::pending::<()>());
    /// let tasks = rt.handle().dump();
    /// assert_eq!(tasks.len(), 1);
    /// assert_eq!(tasks[0].id(), h.id());
    /// h.abort();
    /// ```
    pub fn dump(&self) -> task::TaskDump {
        let common = self.common();
        task::dump_owned(&common.owned, common.debug.as_deref())
    }

    /// A snapshot of this runtime's counters and queue depths (workers, live tasks,
    /// task polls, steals, global and local queue depths, blocking-pool threads).
    /// Always available; see [`RuntimeMetrics`](crate::RuntimeMetrics).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_executor::Executor;
    ///
    /// let rt = Executor::builder_multi_thread().worker_threads(2).build().unwrap();
    /// rt.block_on(async { corio_executor::spawn_blocking(|| ()).await.unwrap() });
    /// let m = rt.handle().metrics();
    /// assert_eq!(m.workers(), 2);
    /// assert_eq!(m.blocking_threads(), 1);
    /// assert_eq!(m.live_tasks(), 0);
    /// ```
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        let common = self.common();
        let workers = match &self.inner {
            Scheduler::CurrentThread(s) => vec![s.worker_metrics()],
            Scheduler::MultiThread(s) => s.worker_metrics(),
        };
        crate::RuntimeMetrics {
            workers,
            live_tasks: common.owned.len(),
            global_queue_depth: common.inject.len(),
            blocking: common.blocking.stats(),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Scheduler::CurrentThread(_) => "current_thread",
            Scheduler::MultiThread(_) => "multi_thread",
        };
        f.debug_struct("Handle")
            .field("flavor", &kind)
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

/// A non-owning handle, held by the runtime's own context (no reference cycle).
#[derive(Clone)]
pub(crate) enum WeakHandle {
    CurrentThread(Weak<current_thread::Shared>),
    MultiThread(Weak<multi_thread::Shared>),
}

impl WeakHandle {
    fn upgrade(&self) -> Option<Handle> {
        let inner = match self {
            WeakHandle::CurrentThread(w) => Scheduler::CurrentThread(w.upgrade()?),
            WeakHandle::MultiThread(w) => Scheduler::MultiThread(w.upgrade()?),
        };
        Some(Handle { inner })
    }
}

/// The executor as seen through `corio_core`'s spawn seam.
pub(crate) struct SpawnerImpl(pub(crate) WeakHandle);

impl SpawnerImpl {
    fn handle(&self) -> Result<Handle, SpawnError> {
        match self.0.upgrade() {
            Some(h) if !h.is_shutdown() => Ok(h),
            _ => Err(SpawnError::Shutdown),
        }
    }
}

impl Spawner for SpawnerImpl {
    fn spawn(
        &self,
        future: BoxFuture<AnyOutput>,
        location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        let meta = SpawnMeta {
            name: None,
            location,
        };
        Ok(ErasedJoin::new(self.handle()?.spawn_with(future, meta)))
    }

    fn spawn_blocking(
        &self,
        job: Box<dyn FnOnce() -> AnyOutput + Send>,
        location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        let meta = SpawnMeta {
            name: None,
            location,
        };
        Ok(ErasedJoin::new(
            self.handle()?.spawn_blocking_with(job, meta),
        ))
    }

    fn cancel_handler(&self) -> Option<Box<dyn corio_core::cancel::RawCancelHandler>> {
        crate::task::SeamHandler::for_current_task()
            .map(|h| Box::new(h) as Box<dyn corio_core::cancel::RawCancelHandler>)
    }
}

/// Spawns `future` on the current runtime (asyncio's `create_task`).
///
/// # Examples
///
/// ```
/// use corio_executor::Executor;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// let n = rt.block_on(async { corio_executor::spawn(async { 2 }).await.unwrap() });
/// assert_eq!(n, 2);
/// ```
///
/// # Panics
/// Outside a runtime; the message names the fix (see [`try_spawn`]).
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    let meta = SpawnMeta {
        name: None,
        location,
    };
    match crate::context::with_handle(|h| h.map(|h| h.spawn_with(future, meta))) {
        Some(join) => join,
        None => panic!("{}", NoRuntime::new("corio::spawn")),
    }
}

/// Spawns `future` on the current runtime, or reports why it cannot.
///
/// # Errors
/// [`SpawnError::NoRuntime`] outside a runtime, [`SpawnError::Shutdown`] when the
/// current runtime has shut down.
#[track_caller]
pub fn try_spawn<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    crate::context::with_handle(|h| match h {
        None => Err(SpawnError::NoRuntime(NoRuntime::new("corio::try_spawn"))),
        Some(h) if h.is_shutdown() => Err(SpawnError::Shutdown),
        Some(h) => Ok(h.spawn_with(
            future,
            SpawnMeta {
                name: None,
                location,
            },
        )),
    })
}

/// Runs `f` on the current runtime's blocking pool (asyncio's `run_in_executor`).
///
/// # Examples
///
/// ```
/// use corio_executor::Executor;
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// let n = rt.block_on(async {
///     corio_executor::spawn_blocking(|| std::thread::current().name().map(str::to_owned))
///         .await
///         .unwrap()
/// });
/// assert_eq!(n.as_deref(), Some("corio-blocking"));
/// ```
///
/// # Panics
/// Outside a runtime; the message names the fix.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let location = Location::caller();
    let meta = SpawnMeta {
        name: None,
        location,
    };
    match crate::context::with_handle(|h| h.map(|h| h.spawn_blocking_with(f, meta))) {
        Some(join) => join,
        None => panic!("{}", NoRuntime::new("corio::spawn_blocking")),
    }
}

//! [`JoinSet`]: a set of spawned tasks whose outputs are taken as they finish (tokio's
//! `JoinSet`; asyncio's `as_completed` over a growing set of tasks, or a worker pool).
//!
//! # Implementation
//! A slab of `JoinHandle`s and one [`IndexedWakers`]: the waker of slot `i` is registered
//! as the join waker of the task in slot `i` when it enters the set (no allocation per
//! slot: the wakers' entries come in chunks). Rules:
//! 1. A task's join waker fires when the task completes, which lists its slot's index
//!    (once until the set takes it) and wakes the set's owner; the woken list is thus in
//!    completion order.
//! 2. The owner takes the woken indices into its own FIFO and reads outputs from its
//!    front; an index whose slot holds a task that has not completed (a wake left over
//!    from the slot's previous task) is skipped: its task's join waker is still
//!    registered, so it will be listed again when it completes.
//! 3. Removing a task from the set (output taken, `detach_all`, `Drop`) drops (or, for
//!    `detach_all`, detaches) its `JoinHandle`, which clears the task's join interest: a
//!    later completion wakes nobody. (A dropped handle that had a join waker registered
//!    requests the task's cancellation; the set aborts its tasks on drop anyway.)
//! 4. Dropping the set aborts every task still in it.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{self, Location};
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use corio_core::waker::IndexedWakers;
use corio_core::{coop, JoinError, TaskId};

use super::{AbortHandle, JoinHandle, SpawnMeta};
use crate::{Handle, LocalSet};

/// A set of tasks, joined in the order they finish.
///
/// Spawn into it (`spawn`, `spawn_local`, `spawn_blocking`, or the `_on` variants),
/// then take outputs with [`join_next`](Self::join_next) as tasks complete. Each spawn
/// returns an [`AbortHandle`] for that task. Dropping the set aborts every task still in
/// it; [`detach_all`](Self::detach_all) lets them run on instead.
///
/// # Examples
///
/// ```
/// use corio_executor::{task::JoinSet, Executor};
///
/// let rt = Executor::builder_multi_thread().worker_threads(2).build().unwrap();
/// rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(res) = set.join_next().await {
///         total += res.unwrap(); // in completion order
///     }
///     assert_eq!(total, 285);
///     assert!(set.is_empty());
/// });
/// ```
#[must_use = "dropping a JoinSet aborts its tasks"]
pub struct JoinSet<T> {
    slots: Vec<Option<JoinHandle<T>>>,
    free: Vec<usize>,
    /// Woken indices taken from `wakers`, not yet looked at (rule 2).
    ready: VecDeque<usize>,
    /// A spare vector the woken indices are taken into (no allocation per take).
    spare: Vec<usize>,
    len: usize,
    wakers: IndexedWakers,
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        JoinSet {
            slots: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            spare: Vec::new(),
            len: 0,
            wakers: IndexedWakers::new(),
        }
    }

    /// How many tasks are in the set (finished ones whose output was not taken yet
    /// included).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a spawned task to the set (rule 1).
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let waker = self.wakers.waker(index);
        if handle.register_join_waker(&waker) {
            // Already complete: its completion wake happened before we registered.
            waker.wake_by_ref();
        }
        self.slots[index] = Some(handle);
        self.len += 1;
        abort
    }

    /// Spawns `future` on the current runtime into the set.
    ///
    /// # Panics
    /// Outside a runtime; the message names the fix.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let meta = SpawnMeta {
            name: None,
            location: Location::caller(),
        };
        let handle = match Handle::try_current_for("corio::task::JoinSet::spawn") {
            Ok(h) => h.spawn_with(future, meta),
            Err(e) => panic!("{e}"),
        };
        self.insert(handle)
    }

    /// Spawns `future` on `handle`'s runtime into the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let meta = SpawnMeta {
            name: None,
            location: Location::caller(),
        };
        let h = handle.spawn_with(future, meta);
        self.insert(h)
    }

    /// Spawns the `!Send` `future` as a local task of the local set entered on this
    /// thread (see [`spawn_local`](crate::spawn_local)) into the set.
    ///
    /// # Panics
    /// Outside a local context; the message names the fix.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        let meta = SpawnMeta {
            name: None,
            location: Location::caller(),
        };
        let h = crate::local::try_spawn_local_with(future, meta).unwrap_or_else(|e| panic!("{e}"));
        self.insert(h)
    }

    /// Spawns the `!Send` `future` into `local` and into this set.
    #[track_caller]
    pub fn spawn_local_on<F>(&mut self, future: F, local: &LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        let h = local.spawn_local(future);
        self.insert(h)
    }

    /// Runs `f` on the current runtime's blocking pool, as a task of the set.
    ///
    /// # Panics
    /// Outside a runtime; the message names the fix.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let meta = SpawnMeta {
            name: None,
            location: Location::caller(),
        };
        let handle = match Handle::try_current_for("corio::task::JoinSet::spawn_blocking") {
            Ok(h) => h.spawn_blocking_with(f, meta),
            Err(e) => panic!("{e}"),
        };
        self.insert(handle)
    }

    /// Takes the ready list and reads the first finished output (rule 2), without
    /// registering any waker.
    fn take_next(&mut self) -> Option<(TaskId, Result<T, JoinError>)> {
        if self.ready.is_empty() {
            self.wakers.take_woken(&mut self.spare);
            self.ready.extend(self.spare.drain(..));
        }
        while let Some(index) = self.ready.pop_front() {
            let slot = &mut self.slots[index];
            let Some(handle) = slot.as_mut() else {
                continue; // a wake left over from a removed task
            };
            if let Some(out) = handle.try_take_output() {
                let id = handle.id();
                *slot = None;
                self.free.push(index);
                self.len -= 1;
                return Some((id, out));
            }
            // Rule 2: not complete (a stale wake); its join waker is still registered.
        }
        None
    }

    /// Polls for the next finished task: `Ready(None)` when the set is empty.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(TaskId, T), JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        let coop = ready!(coop::poll_proceed(cx));
        if let Some((id, out)) = self.take_next() {
            coop.made_progress();
            return Poll::Ready(Some(out.map(|v| (id, v))));
        }
        self.wakers.register(cx.waker());
        // A completion between our take and the registration queued an index.
        if let Some((id, out)) = self.take_next() {
            coop.made_progress();
            return Poll::Ready(Some(out.map(|v| (id, v))));
        }
        Poll::Pending
    }

    /// Polls for the next finished task's output (see [`join_next`](Self::join_next)).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|o| o.map(|r| r.map(|(_, v)| v)))
    }

    /// Waits for the next task to finish and returns its output (or its [`JoinError`]:
    /// panicked or aborted); `None` once the set is empty. Tasks come out in the order
    /// they finish.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future takes no output out of the set.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Like [`join_next`](Self::join_next), with the finished task's id (also in the
    /// error).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn join_next_with_id(&mut self) -> Option<Result<(TaskId, T), JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// The output of a task that has already finished, if any; never waits.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.take_next().map(|(_, out)| out)
    }

    /// Like [`try_join_next`](Self::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(TaskId, T), JoinError>> {
        self.take_next().map(|(id, out)| out.map(|v| (id, v)))
    }

    /// Requests cancellation of every task in the set; they stay in it until joined
    /// (each then yields a cancelled [`JoinError`] unless it had already finished).
    pub fn abort_all(&mut self) {
        for h in self.slots.iter().flatten() {
            h.abort();
        }
    }

    /// Removes every task from the set without cancelling it: they run on, detached.
    pub fn detach_all(&mut self) {
        for slot in &mut self.slots {
            // Rule 3; `detach`, because the set registered a join waker, and dropping
            // a handle that was waited on cancels its task.
            if let Some(h) = slot.take() {
                h.detach();
            }
        }
        self.free = (0..self.slots.len()).rev().collect();
        self.ready.clear();
        self.len = 0;
    }

    /// Aborts every task and waits until all have finished; the set is then empty.
    /// Outputs of tasks that finished anyway are dropped.
    ///
    /// # Cancel safety
    /// Dropping the future leaves the remaining (aborted) tasks in the set.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in completion order.
    ///
    /// # Panics
    /// If a task panicked, the panic is resumed here (after the other tasks were
    /// aborted); if a task was cancelled from outside, this panics naming it.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        while let Some(res) = self.join_next().await {
            match res {
                Ok(v) => out.push(v),
                Err(e) => {
                    self.abort_all();
                    match e.try_into_panic() {
                        Ok(p) => panic::resume_unwind(p),
                        Err(e) => panic!("a task of the JoinSet was cancelled: {e}"),
                    }
                }
            }
        }
        out
    }
}

impl<T> JoinHandle<T> {
    /// Registers `waker` as this task's join waker (state rule 7); `true` if the task
    /// had already completed.
    pub(crate) fn register_join_waker(&self, waker: &Waker) -> bool {
        let header = self.header();
        header.join_waker.register(waker);
        header.state.set_join_waker();
        header.state.load().is_complete()
    }

    /// The output, if the task has completed (no cooperative budget, no waker).
    pub(crate) fn try_take_output(&mut self) -> Option<Result<T, JoinError>> {
        let header = self.header();
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the task's output type; we are its join handle.
        unsafe { (header.vtable.try_read_output)(self.raw(), &mut out as *mut _ as *mut ()) };
        match out {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        }
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        // Rule 4.
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}

/// Yields each task's output as it finishes; ends when the set is empty.
impl<T> futures_core::Stream for JoinSet<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_join_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

// The set owns no pinned data (handles are `Unpin`).
impl<T> Unpin for JoinSet<T> {}

//! [`TaskGroup`]: structured concurrency over spawned tasks (asyncio 3.11's
//! `TaskGroup`, trio's nursery).
//!
//! # Implementation
//! Every child runs as its own task (through the spawn seam), wrapped in a [`Child`] that
//! catches its panic and reports its outcome to the group's shared state. Rules:
//! 1. `running` counts children spawned and not yet finished; each child decrements it
//!    exactly once: when it completes, fails, panics, or is dropped unfinished — and
//!    only after the child's future has been dropped, so `join` never returns while a
//!    cancelled child's destructor is still running on another worker.
//! 2. The first failure (an `Err` or a panic) sets `cancelling` and aborts every other
//!    child. Aborts are issued after the state lock is released, because an executor may
//!    drop the aborted future (and run its `Drop`, which takes the lock) right away.
//! 3. While `cancelling`, dropped children are not failures, and `spawn` drops the new
//!    future without starting it.
//! 4. `join` completes when `running` is 0 and returns the outputs in spawn order, or all
//!    failures. Dropping an unjoined group (or an unfinished `join`) aborts every child.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use corio_core::task::{AnyOutput, BoxFuture, RawJoin};
use corio_core::{context, JoinError, SpawnError, TaskId};
use parking_lot::{Mutex, MutexGuard};

use crate::group_error::{ChildFailure, TaskGroupError};

/// A group of spawned tasks that finish together: [`join`](TaskGroup::join) returns only
/// after every child has finished; the first child to fail (return `Err` or panic)
/// cancels its siblings; all failures come back together in one [`TaskGroupError`].
/// Dropping a group that was not joined cancels its children: no task outlives its group.
///
/// Children return `Result<T, E>`; `join` gives the `T`s in spawn order. For children
/// that borrow from the caller's stack, use [`scope`](crate::scope).
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

impl<T, E> TaskGroup<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    /// An empty group.
    pub fn new() -> Self {
        TaskGroup {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    slots: Vec::new(),
                    failures: Vec::new(),
                    running: 0,
                    cancelling: false,
                    joiner: None,
                }),
            }),
        }
    }

    /// Spawns `child` into the group (asyncio's `TaskGroup.create_task`). If a child has
    /// already failed, the group is cancelling and `child` is dropped without running.
    ///
    /// # Panics
    /// Outside a corio runtime, or after it shut down (see [`try_spawn`](Self::try_spawn)).
    #[track_caller]
    pub fn spawn<F>(&self, child: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        if let Err(e) = self.try_spawn(child) {
            panic!("{e}");
        }
    }

    /// Like [`spawn`](Self::spawn), but returns the error instead of panicking.
    ///
    /// # Errors
    /// [`SpawnError::NoRuntime`] outside a runtime, [`SpawnError::Shutdown`] after it
    /// shut down; `join` then reports the child as cancelled.
    #[track_caller]
    pub fn try_spawn<F>(&self, child: F) -> Result<(), SpawnError>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let index = {
            let mut state = self.shared.lock();
            if state.cancelling {
                drop(state);
                drop(child);
                return Ok(());
            }
            state.running += 1;
            state.slots.push(Slot {
                id: None,
                handle: None,
                status: Status::Running,
            });
            state.slots.len() - 1
        };
        // Straight through the spawn seam: `Child` catches its own panics and reports its
        // own outcome, so the task's output is `()` (no output allocation); the handle
        // is kept only to abort the child.
        let child = Child {
            future: Some(child),
            index,
            shared: Some(self.shared.clone()),
        };
        let child: BoxFuture<AnyOutput> = Box::pin(async move {
            child.await;
            Box::new(()) as AnyOutput
        });
        // On error `child` is dropped unrun, which reports it as cancelled (rule 1).
        let handle = context::spawner("corio::TaskGroup::spawn")?
            .spawn(child, std::panic::Location::caller())?;
        let mut state = self.shared.lock();
        let slot = &mut state.slots[index];
        slot.id = Some(handle.id());
        // The child may already have finished (on another worker), or failed and made
        // the group cancel before its handle was stored (rule 2 could not reach it).
        if !matches!(slot.status, Status::Running) {
            return Ok(());
        }
        if state.cancelling {
            drop(state);
            handle.abort();
        } else {
            state.slots[index].handle = Some(handle);
        }
        Ok(())
    }

    /// How many children are still running.
    pub fn running(&self) -> usize {
        self.shared.lock().running
    }

    /// Waits for every child to finish; returns their outputs in spawn order, or every
    /// failure.
    ///
    /// # Errors
    /// A [`TaskGroupError`] listing each child that returned `Err`, panicked, or was
    /// cancelled from outside the group.
    ///
    /// # Cancel safety
    /// Dropping the `Join` before it completes cancels every child still running.
    pub fn join(self) -> Join<T, E> {
        // Mark the group as joined first, so dropping `self` does not cancel (rule 4).
        self.shared.lock().joiner = Some(Joiner::Waiting(None));
        Join {
            shared: Some(self.shared.clone()),
        }
    }
}

impl<T: Send + 'static, E: Send + 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        // A joined group hands the cancel-on-drop duty to its `Join` (rule 4).
        if !self.shared.lock().joining() {
            self.shared.cancel_all();
        }
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("TaskGroup")
            .field("children", &state.slots.len())
            .field("running", &state.running)
            .field("cancelling", &state.cancelling)
            .finish()
    }
}

/// The future returned by [`TaskGroup::join`].
#[must_use = "futures do nothing unless you .await or poll them; dropping this cancels the children"]
pub struct Join<T, E> {
    shared: Option<Arc<Shared<T, E>>>,
}

impl<T, E> Future for Join<T, E> {
    type Output = Result<Vec<T>, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = this
            .shared
            .as_ref()
            .expect("`Join` polled after it completed");
        let mut state = shared.lock();
        if state.running > 0 {
            match &mut state.joiner {
                Some(Joiner::Waiting(Some(w))) if w.will_wake(cx.waker()) => {}
                j => *j = Some(Joiner::Waiting(Some(cx.waker().clone()))),
            }
            return Poll::Pending;
        }
        state.joiner = Some(Joiner::Done);
        let result = state.take_result();
        drop(state);
        this.shared = None;
        Poll::Ready(result)
    }
}

impl<T, E> Drop for Join<T, E> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.cancel_all();
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

struct Shared<T, E> {
    state: Mutex<State<T, E>>,
}

struct State<T, E> {
    slots: Vec<Slot<T>>,
    failures: Vec<(usize, Failure<E>)>,
    /// Rule 1.
    running: usize,
    /// Rule 2/3.
    cancelling: bool,
    /// `None`: not joined yet; `Waiting`: a `Join` exists; `Done`: it completed.
    joiner: Option<Joiner>,
}

enum Joiner {
    Waiting(Option<Waker>),
    Done,
}

struct Slot<T> {
    id: Option<TaskId>,
    /// The child's join handle, kept to abort it (dropping it detaches, nothing more).
    handle: Option<Box<dyn RawJoin>>,
    status: Status<T>,
}

enum Status<T> {
    Running,
    Done(T),
    Failed,
    Cancelled,
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

    fn take_result(&mut self) -> Result<Vec<T>, TaskGroupError<E>> {
        if !self.failures.is_empty() {
            let slots = &self.slots;
            let failures = std::mem::take(&mut self.failures)
                .into_iter()
                .map(|(index, failure)| {
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
        Ok(std::mem::take(&mut self.slots)
            .into_iter()
            .map(|slot| match slot.status {
                Status::Done(v) => v,
                _ => unreachable!("a group without failures has every child done"),
            })
            .collect())
    }
}

impl<T, E> Shared<T, E> {
    fn lock(&self) -> MutexGuard<'_, State<T, E>> {
        self.state.lock()
    }

    /// Rule 2: marks the group cancelling and aborts every child still running.
    fn cancel_all(&self) {
        let handles: Vec<Box<dyn RawJoin>> = {
            let mut state = self.lock();
            state.cancelling = true;
            state
                .slots
                .iter_mut()
                .filter_map(|s| s.handle.take())
                .collect()
        };
        for h in &handles {
            h.abort();
        }
    }

    /// Rule 1: a child finished with `outcome`.
    fn finish(&self, index: usize, outcome: Outcome<T, E>) {
        let mut state = self.lock();
        state.running -= 1;
        let handle = state.slots[index].handle.take();
        let mut cancel = false;
        state.slots[index].status = match outcome {
            Outcome::Ok(v) => Status::Done(v),
            Outcome::Failed(failure) => {
                cancel = !state.cancelling;
                state.failures.push((index, failure));
                Status::Failed
            }
            Outcome::Dropped => {
                if !state.cancelling {
                    state.failures.push((index, Failure::Cancelled));
                }
                Status::Cancelled
            }
        };
        let running = state.running;
        let joiner = match (&mut state.joiner, running) {
            (Some(Joiner::Waiting(w)), 0) => w.take(),
            _ => None,
        };
        drop(state);
        drop(handle);
        if cancel {
            self.cancel_all();
        }
        if let Some(w) = joiner {
            w.wake();
        }
    }
}

/// The spawned side of a child: runs it, catches its panic, reports to the group.
struct Child<F, T, E> {
    /// `None` once it completed or was dropped: it is dropped (in place) *before* the
    /// outcome is reported, so when `join` returns no child's destructor is still
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
        // before `join` can see that it finished. A panicking destructor is reported as
        // the child's panic rather than skipping the report (which would hang `join`).
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

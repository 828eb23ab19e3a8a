//! Task identity and the spawn seam.
//!
//! Leaf crates that must start tasks (task groups, `shield`, file I/O on the blocking
//! pool) do not know the executor. They call [`spawn`] / [`spawn_blocking`] here, which
//! reach the current runtime's [`Spawner`] through the [context](crate::context) and
//! return a [`RemoteHandle`]: a future of `Result<T, JoinError>` with `abort()`, like the
//! executor's own `JoinHandle`.

use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::num::NonZeroU64;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::lock::Mutex;

use crate::context;
use crate::error::{JoinError, SpawnError};
use crate::waker::AtomicWaker;

/// A boxed, sendable future: the unit of work crossing the spawn seam.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A task's id: unique among all tasks of the process, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// A fresh id.
    pub fn next() -> TaskId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        TaskId(NonZeroU64::new(id).expect("task id counter overflowed"))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Cancels a spawned task.
pub trait Abort: Send + Sync + 'static {
    /// Requests cancellation: the task's future is dropped at its next scheduling point
    /// (at once if it is idle). Idempotent; no effect once the task finished.
    fn abort(&self);
    /// The task's id.
    fn id(&self) -> TaskId;
    /// Whether the task has finished (completed, panicked or been cancelled).
    fn is_finished(&self) -> bool;
}

/// A type-erased [`Abort`] handle returned by a [`Spawner`].
pub struct AbortHandle(Box<dyn Abort>);

impl AbortHandle {
    /// Wraps an executor's abort handle.
    pub fn new(inner: Box<dyn Abort>) -> Self {
        AbortHandle(inner)
    }
    /// Requests cancellation of the task.
    pub fn abort(&self) {
        self.0.abort()
    }
    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.0.id()
    }
    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}

/// What an executor offers to crates that do not know it.
pub trait Spawner: Send + Sync + 'static {
    /// Spawns a task. The executor owns panics only as a last resort: futures arriving
    /// here through [`spawn`] already catch their own.
    ///
    /// # Errors
    /// [`SpawnError::Shutdown`] once the runtime has shut down.
    fn spawn_boxed(&self, future: BoxFuture<()>) -> Result<AbortHandle, SpawnError>;

    /// Runs `job` on the blocking pool.
    ///
    /// # Errors
    /// [`SpawnError::Shutdown`] once the runtime has shut down.
    fn spawn_blocking_boxed(&self, job: Box<dyn FnOnce() + Send>) -> Result<(), SpawnError>;
}

// The result slot shared by a `RemoteHandle` and its task.
struct Slot<T> {
    outcome: Mutex<Outcome<T>>,
    waker: AtomicWaker,
}

enum Outcome<T> {
    Running,
    Done(T),
    Panicked(Box<dyn std::any::Any + Send>),
    Cancelled,
    Taken,
}

impl<T> Slot<T> {
    fn new() -> Arc<Self> {
        Arc::new(Slot {
            outcome: Mutex::new(Outcome::Running),
            waker: AtomicWaker::new(),
        })
    }

    fn finish(&self, outcome: Outcome<T>) {
        {
            let mut o = self.outcome.lock();
            if matches!(*o, Outcome::Running) {
                *o = outcome;
            }
        }
        self.waker.wake();
    }
}

/// The spawned side: runs the user's future, catches its panic, fills the slot; if it is
/// dropped before finishing (aborted, or the runtime shut down) it records cancellation —
/// after the future's destructors ran, so an awaiter never sees "cancelled" while the
/// task's guards (a lock, a socket) are still held.
struct Remote<F: Future> {
    future: ManuallyDrop<F>,
    slot: Arc<Slot<F::Output>>,
}

impl<F: Future> Future for Remote<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self`, and
        // `Remote`'s `Drop` does not move it. `slot` is not pinned (we only clone/read it).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.future` lives as long as the pinned `Remote` and is
        // only dropped in place by `Remote`'s `Drop`.
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => {
                this.slot.finish(Outcome::Done(v));
                Poll::Ready(())
            }
            Err(payload) => {
                this.slot.finish(Outcome::Panicked(payload));
                Poll::Ready(())
            }
        }
    }
}

impl<F: Future> Drop for Remote<F> {
    fn drop(&mut self) {
        // SAFETY: the future is dropped exactly once, here, in place (it may be pinned:
        // it is never moved), and nothing touches it afterwards.
        let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
            ManuallyDrop::drop(&mut self.future)
        }));
        // Ignored if the future already finished (the slot keeps the first outcome).
        self.slot.finish(match dropped {
            Ok(()) => Outcome::Cancelled,
            Err(payload) => Outcome::Panicked(payload),
        });
    }
}

/// A spawned task's output: a future of `Result<T, JoinError>`, with `abort()`.
///
/// Dropping the handle detaches the task (it keeps running), as with tokio's and
/// corio's `JoinHandle`.
#[must_use = "dropping a RemoteHandle detaches the task; await it to get its output"]
pub struct RemoteHandle<T> {
    slot: Arc<Slot<T>>,
    abort: AbortHandle,
}

impl<T> RemoteHandle<T> {
    /// Requests cancellation of the task; awaiting the handle then yields a cancelled
    /// `JoinError` unless the task already finished.
    pub fn abort(&self) {
        self.abort.abort()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.abort.id()
    }

    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        !matches!(*self.slot.outcome.lock(), Outcome::Running)
    }
}

impl<T> Future for RemoteHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let take = |o: &mut Outcome<T>, id| match std::mem::replace(o, Outcome::Taken) {
            Outcome::Done(v) => Poll::Ready(Ok(v)),
            Outcome::Panicked(p) => Poll::Ready(Err(JoinError::panic(id, p))),
            Outcome::Cancelled => Poll::Ready(Err(JoinError::cancelled(id))),
            Outcome::Running => {
                *o = Outcome::Running;
                Poll::Pending
            }
            Outcome::Taken => panic!("`RemoteHandle` polled after it completed"),
        };
        let id = self.abort.id();
        if let Poll::Ready(r) = take(&mut self.slot.outcome.lock(), id) {
            return Poll::Ready(r);
        }
        self.slot.waker.register(cx.waker());
        take(&mut self.slot.outcome.lock(), id)
    }
}

impl<T> fmt::Debug for RemoteHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Spawns `future` on the current runtime through the spawn seam.
///
/// # Errors
/// [`SpawnError::NoRuntime`] outside a runtime, [`SpawnError::Shutdown`] after shutdown.
pub fn try_spawn<F>(future: F) -> Result<RemoteHandle<F::Output>, SpawnError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let spawner = context::spawner("corio::spawn")?;
    let slot = Slot::new();
    let remote = Remote {
        future: ManuallyDrop::new(future),
        slot: slot.clone(),
    };
    let abort = spawner.spawn_boxed(Box::pin(remote))?;
    Ok(RemoteHandle { slot, abort })
}

/// Spawns `future` on the current runtime through the spawn seam.
///
/// # Panics
/// Outside a runtime (the message names the fix), or after the runtime shut down.
#[track_caller]
pub fn spawn<F>(future: F) -> RemoteHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    try_spawn(future).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `f` on the current runtime's blocking pool; its result arrives through the
/// handle (a panic in `f` becomes a panic `JoinError`).
///
/// # Errors
/// [`SpawnError::NoRuntime`] outside a runtime, [`SpawnError::Shutdown`] after shutdown.
pub fn try_spawn_blocking<F, R>(f: F) -> Result<RemoteHandle<R>, SpawnError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let spawner = context::spawner("corio::spawn_blocking")?;
    let slot: Arc<Slot<R>> = Slot::new();
    let job_slot = slot.clone();
    let id = TaskId::next();
    spawner.spawn_blocking_boxed(Box::new(move || {
        let outcome = match catch_unwind(AssertUnwindSafe(f)) {
            Ok(v) => Outcome::Done(v),
            Err(p) => Outcome::Panicked(p),
        };
        job_slot.finish(outcome);
    }))?;
    let abort = AbortHandle::new(Box::new(BlockingAbort {
        id,
        slot: slot.clone(),
    }));
    Ok(RemoteHandle { slot, abort })
}

/// Runs `f` on the blocking pool.
///
/// # Panics
/// Outside a runtime (the message names the fix), or after the runtime shut down.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> RemoteHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    try_spawn_blocking(f).unwrap_or_else(|e| panic!("{e}"))
}

// Blocking jobs cannot be interrupted once started; abort only reports them cancelled.
struct BlockingAbort<R> {
    id: TaskId,
    slot: Arc<Slot<R>>,
}

impl<R: Send + 'static> Abort for BlockingAbort<R> {
    fn abort(&self) {
        self.slot.finish(Outcome::Cancelled);
    }
    fn id(&self) -> TaskId {
        self.id
    }
    fn is_finished(&self) -> bool {
        !matches!(*self.slot.outcome.lock(), Outcome::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_are_unique_and_increasing() {
        let a = TaskId::next();
        let b = TaskId::next();
        assert!(b > a);
        assert_ne!(a.to_string(), b.to_string());
    }

    use crate::clock::Clock;
    use crate::context::RuntimeContext;
    use std::sync::atomic::AtomicBool;
    use std::task::Waker;

    /// A spawner that keeps tasks in a list; the test polls them by hand.
    #[derive(Default)]
    struct ListSpawner {
        tasks: Mutex<Vec<(BoxFuture<()>, Arc<AtomicBool>)>>,
        jobs: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    }

    struct ListAbort(Arc<AtomicBool>, TaskId);
    impl Abort for ListAbort {
        fn abort(&self) {
            self.0.store(true, Ordering::SeqCst);
        }
        fn id(&self) -> TaskId {
            self.1
        }
        fn is_finished(&self) -> bool {
            false
        }
    }

    impl Spawner for ListSpawner {
        fn spawn_boxed(&self, future: BoxFuture<()>) -> Result<AbortHandle, SpawnError> {
            let aborted = Arc::new(AtomicBool::new(false));
            self.tasks.lock().push((future, aborted.clone()));
            Ok(AbortHandle::new(Box::new(ListAbort(
                aborted,
                TaskId::next(),
            ))))
        }
        fn spawn_blocking_boxed(&self, job: Box<dyn FnOnce() + Send>) -> Result<(), SpawnError> {
            self.jobs.lock().push(job);
            Ok(())
        }
    }

    impl ListSpawner {
        /// Polls every task once; drops the finished and the aborted ones.
        fn run_once(&self) {
            let mut cx = Context::from_waker(Waker::noop());
            let tasks = std::mem::take(&mut *self.tasks.lock());
            for (mut f, aborted) in tasks {
                if aborted.load(Ordering::SeqCst) {
                    continue; // dropping the future is the cancellation
                }
                if f.as_mut().poll(&mut cx).is_pending() {
                    self.tasks.lock().push((f, aborted));
                }
            }
        }
    }

    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn remote_handle_delivers_output_panic_and_cancellation() {
        let spawner = Arc::new(ListSpawner::default());
        let _cx = RuntimeContext::new(Clock::new())
            .with_spawner(spawner.clone())
            .enter();

        let mut ok = spawn(async { 7 });
        let mut boom = spawn(async { panic!("boom") });
        let mut pending = spawn(std::future::pending::<()>());
        assert!(poll_once(&mut ok).is_pending());
        spawner.run_once();
        assert_eq!(poll_once(&mut ok).map(Result::unwrap), Poll::Ready(7));
        match poll_once(&mut boom) {
            Poll::Ready(Err(e)) => assert_eq!(e.panic_message().as_deref(), Some("boom")),
            other => panic!(
                "expected a panic JoinError, got {:?}",
                other.map(|r| r.is_ok())
            ),
        }
        assert!(poll_once(&mut pending).is_pending());
        pending.abort();
        spawner.run_once();
        match poll_once(&mut pending) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            _ => panic!("an aborted task resolves to a cancelled JoinError"),
        }
        assert!(pending.is_finished());
    }

    #[test]
    fn cancellation_is_reported_after_the_future_was_dropped() {
        struct Guard(Arc<AtomicBool>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let spawner = Arc::new(ListSpawner::default());
        let _cx = RuntimeContext::new(Clock::new())
            .with_spawner(spawner.clone())
            .enter();
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = Guard(dropped.clone());
        let mut handle = spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        spawner.run_once();
        // The awaiter observes the outcome: at that moment the guard must be gone.
        let observed = Arc::new(AtomicBool::new(false));
        let (d, o) = (dropped.clone(), observed.clone());
        struct Check(Arc<AtomicBool>, Arc<AtomicBool>);
        impl std::task::Wake for Check {
            fn wake(self: Arc<Self>) {
                assert!(
                    self.0.load(Ordering::SeqCst),
                    "woken before the future was dropped"
                );
                self.1.store(true, Ordering::SeqCst);
            }
        }
        let waker = Waker::from(Arc::new(Check(d, o)));
        assert!(Pin::new(&mut handle)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        handle.abort();
        spawner.run_once();
        assert!(observed.load(Ordering::SeqCst));
        assert!(matches!(poll_once(&mut handle), Poll::Ready(Err(e)) if e.is_cancelled()));
    }

    #[test]
    fn detached_task_still_runs_and_blocking_jobs_report_panics() {
        let spawner = Arc::new(ListSpawner::default());
        let _cx = RuntimeContext::new(Clock::new())
            .with_spawner(spawner.clone())
            .enter();
        let ran = Arc::new(AtomicBool::new(false));
        let ran2 = ran.clone();
        drop(spawn(async move { ran2.store(true, Ordering::SeqCst) }));
        spawner.run_once();
        assert!(ran.load(Ordering::SeqCst));

        let mut job = spawn_blocking(|| -> u8 { panic!("blocking boom") });
        let mut fine = spawn_blocking(|| 5u8);
        for j in std::mem::take(&mut *spawner.jobs.lock()) {
            j();
        }
        assert!(matches!(poll_once(&mut job), Poll::Ready(Err(e)) if e.is_panic()));
        assert!(matches!(poll_once(&mut fine), Poll::Ready(Ok(5))));
    }

    #[test]
    fn spawn_outside_runtime_is_an_error() {
        let err = try_spawn(async {}).unwrap_err();
        assert!(matches!(err, SpawnError::NoRuntime(_)));
        assert!(err.to_string().contains("corio::spawn"));
    }
}

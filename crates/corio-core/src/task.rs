//! Task identity and the spawn seam.
//!
//! Leaf crates that must start tasks (task groups, `shield`, file I/O on the blocking
//! pool) do not know the executor. They call [`spawn`] / [`spawn_blocking`] here, which
//! reach the current runtime's [`Spawner`] through the [`context`] and
//! return a [`TaskHandle`]: the executor's own join handle (seen through [`RawJoin`],
//! held in an [`ErasedJoin`] without an allocation) with the output type restored. The
//! seam adds one boxed future and (for an output that is not zero-sized) one boxed
//! output to the executor's task; the spawn location recorded is the caller's
//! (`#[track_caller]` all the way).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::num::NonZeroU64;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use std::sync::Arc;

use crate::context;
use crate::error::{JoinError, SpawnError};
use crate::lock::Mutex;

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

/// A task's output crossing the spawn seam, type-erased (a zero-sized output, such as
/// `()`, costs no allocation).
pub type AnyOutput = Box<dyn Any + Send>;

/// What an executor offers to crates that do not know it: the spawn seam.
///
/// Implementations start the task as their own spawn would, recording `location` as
/// its spawn location (task dumps and slow-poll reports then point at the caller of
/// [`spawn`], not into this crate), and return their join handle seen through
/// [`RawJoin`].
pub trait Spawner: Send + Sync + 'static {
    /// Spawns a task.
    ///
    /// # Errors
    /// [`SpawnError::Shutdown`] once the runtime has shut down.
    fn spawn(
        &self,
        future: BoxFuture<AnyOutput>,
        location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError>;

    /// Runs `job` on the blocking pool.
    ///
    /// # Errors
    /// [`SpawnError::Shutdown`] once the runtime has shut down.
    fn spawn_blocking(
        &self,
        job: Box<dyn FnOnce() -> AnyOutput + Send>,
        location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError>;

    /// A cancel handler for the task polling the caller (see [`crate::cancel`]): `None`
    /// (the default) when the executor has no cooperative cancel, so a cancel of its
    /// tasks always drops their futures.
    fn cancel_handler(&self) -> Option<Box<dyn crate::cancel::RawCancelHandler>> {
        None
    }
}

/// An executor's join handle for a task spawned through a [`Spawner`], type-erased.
///
/// Dropping it detaches the task; the executor delivers a panic or a cancellation as a
/// [`JoinError`], only after the task's future was dropped.
pub trait RawJoin: Send + Sync {
    /// Polls for the task's output (registering `cx`'s waker while it runs).
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<AnyOutput, JoinError>>;
    /// Requests cancellation: the task's future is dropped at its next scheduling point
    /// (at once if it is idle); a blocking job is cancelled only if it has not started.
    /// Idempotent; no effect once the task finished.
    fn abort(&self);
    /// Requests a *cooperative* cancel (asyncio's `Task.cancel()`): the task is woken
    /// and, unless a cancel handler in it takes the request (an async `finally` cleanup
    /// that runs to its end first, a `catch_cancel` that goes on), its future is dropped
    /// at its next await and it ends cancelled. Await the join to wait for the end,
    /// cleanups included. No effect once the task finished.
    ///
    /// The default falls back to [`abort`](Self::abort): right for a join whose task
    /// cannot run a cleanup (a blocking-pool job or a thread, where `abort` only stops a
    /// job that has not started and is a no-op on a running one).
    fn cancel(&self) {
        self.abort()
    }
    /// The task's id.
    fn id(&self) -> TaskId;
    /// Whether the task has finished (completed, panicked or been cancelled).
    fn is_finished(&self) -> bool;
}

/// A [`RawJoin`] with its type erased: stored inline when it is at most one pointer in
/// size and alignment (an executor's join handle is one task pointer), boxed otherwise.
/// Dropping it drops the handle (which detaches the task).
///
/// # Implementation
/// `data` holds the handle itself (inline) or a `Box<J>` pointer, chosen by the
/// constant [`fits`]; `vtable` is the one instance of [`JoinVtable`] for `J`, whose
/// functions read `data` the same way. The two always agree: both are set together in
/// [`ErasedJoin::new`] and never changed.
pub struct ErasedJoin {
    data: MaybeUninit<*mut ()>,
    vtable: &'static JoinVtable,
}

// SAFETY: `data` is a `J: RawJoin` (or owns a `Box<J>`), and `RawJoin: Send + Sync`.
unsafe impl Send for ErasedJoin {}
// SAFETY: as above; `&ErasedJoin` only reaches `&J`.
unsafe impl Sync for ErasedJoin {}

/// The operations of one `J: RawJoin` behind an [`ErasedJoin`]'s `data`.
struct JoinVtable {
    poll_join: unsafe fn(*mut (), &mut Context<'_>) -> Poll<Result<AnyOutput, JoinError>>,
    abort: unsafe fn(*const ()),
    cancel: unsafe fn(*const ()),
    id: unsafe fn(*const ()) -> TaskId,
    is_finished: unsafe fn(*const ()) -> bool,
    drop: unsafe fn(*mut ()),
}

/// Whether a `J` is stored inline in an [`ErasedJoin`]'s `data`.
const fn fits<J>() -> bool {
    size_of::<J>() <= size_of::<*mut ()>() && align_of::<J>() <= align_of::<*mut ()>()
}

/// The `J` behind `data` (a pointer to the `ErasedJoin`'s `data` field).
///
/// # Safety
/// `data` points to the `data` of a live `ErasedJoin` made from a `J`.
unsafe fn handle<J>(data: *const ()) -> *mut J {
    if fits::<J>() {
        data.cast::<J>().cast_mut()
    } else {
        // SAFETY: not inline, so `data` holds the `Box<J>`'s pointer (set in `new`).
        unsafe { *data.cast::<*mut J>() }
    }
}

impl ErasedJoin {
    /// Erases `join`'s type (no allocation when it fits in a pointer).
    pub fn new<J: RawJoin + 'static>(join: J) -> Self {
        let mut data = MaybeUninit::<*mut ()>::uninit();
        if fits::<J>() {
            // SAFETY: `J` fits in `data`'s size and alignment (`fits`).
            unsafe { data.as_mut_ptr().cast::<J>().write(join) };
        } else {
            data.write(Box::into_raw(Box::new(join)).cast());
        }
        ErasedJoin {
            data,
            vtable: Self::vtable::<J>(),
        }
    }

    fn vtable<J: RawJoin + 'static>() -> &'static JoinVtable {
        /// # Safety (all six)
        /// `p` is the `data` of a live `ErasedJoin` made from a `J` (see `handle`).
        unsafe fn poll_join<J: RawJoin>(
            p: *mut (),
            cx: &mut Context<'_>,
        ) -> Poll<Result<AnyOutput, JoinError>> {
            // SAFETY: see above; the caller holds `&mut ErasedJoin`.
            unsafe { (*handle::<J>(p)).poll_join(cx) }
        }
        unsafe fn abort<J: RawJoin>(p: *const ()) {
            // SAFETY: see above.
            unsafe { (*handle::<J>(p)).abort() }
        }
        unsafe fn cancel<J: RawJoin>(p: *const ()) {
            // SAFETY: see above.
            unsafe { (*handle::<J>(p)).cancel() }
        }
        unsafe fn id<J: RawJoin>(p: *const ()) -> TaskId {
            // SAFETY: see above.
            unsafe { (*handle::<J>(p)).id() }
        }
        unsafe fn is_finished<J: RawJoin>(p: *const ()) -> bool {
            // SAFETY: see above.
            unsafe { (*handle::<J>(p)).is_finished() }
        }
        unsafe fn drop<J: RawJoin>(p: *mut ()) {
            // SAFETY: see above; called once, from `ErasedJoin`'s drop.
            unsafe {
                if fits::<J>() {
                    p.cast::<J>().drop_in_place();
                } else {
                    std::mem::drop(Box::from_raw(handle::<J>(p)));
                }
            }
        }
        &JoinVtable {
            poll_join: poll_join::<J>,
            abort: abort::<J>,
            cancel: cancel::<J>,
            id: id::<J>,
            is_finished: is_finished::<J>,
            drop: drop::<J>,
        }
    }

    fn data(&self) -> *const () {
        self.data.as_ptr().cast()
    }

    /// Polls for the task's output (see [`RawJoin::poll_join`]).
    pub fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<AnyOutput, JoinError>> {
        // SAFETY: `data` and `vtable` were made together from one `J` (`new`).
        unsafe { (self.vtable.poll_join)(self.data.as_mut_ptr().cast(), cx) }
    }

    /// Requests cancellation (see [`RawJoin::abort`]).
    pub fn abort(&self) {
        // SAFETY: as in `poll_join`.
        unsafe { (self.vtable.abort)(self.data()) }
    }

    /// Requests a cooperative cancel (see [`RawJoin::cancel`]).
    pub fn cancel(&self) {
        // SAFETY: as in `poll_join`.
        unsafe { (self.vtable.cancel)(self.data()) }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        // SAFETY: as in `poll_join`.
        unsafe { (self.vtable.id)(self.data()) }
    }

    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        // SAFETY: as in `poll_join`.
        unsafe { (self.vtable.is_finished)(self.data()) }
    }
}

impl Drop for ErasedJoin {
    fn drop(&mut self) {
        // SAFETY: as in `poll_join`; `data` is dropped exactly once, here.
        unsafe { (self.vtable.drop)(self.data.as_mut_ptr().cast()) }
    }
}

impl fmt::Debug for ErasedJoin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErasedJoin")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

/// A task spawned through the seam: a future of `Result<T, JoinError>`, with `abort()`.
///
/// It is the executor's join handle with the output type restored, so it behaves like
/// `corio::JoinHandle`: dropping it *detaches* the task (it keeps running), awaiting it
/// after an abort yields a cancelled `JoinError` unless the task already finished.
#[must_use = "dropping a TaskHandle detaches the task; await it to get its output"]
pub struct TaskHandle<T> {
    raw: ErasedJoin,
    _output: PhantomData<fn() -> T>,
}

impl<T> TaskHandle<T> {
    /// Requests cancellation of the task (see [`RawJoin::abort`]).
    pub fn abort(&self) {
        self.raw.abort()
    }

    /// Requests a cooperative cancel of the task: its cancel handlers (async cleanups)
    /// run before it ends (see [`RawJoin::cancel`]).
    pub fn cancel(&self) {
        self.raw.cancel()
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.raw.id()
    }

    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.raw.is_finished()
    }
}

impl<T: 'static> Future for TaskHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.raw.poll_join(cx).map(|r| {
            r.map(|out| match out.downcast::<T>() {
                Ok(v) => *v,
                Err(_) => unreachable!("the seam's task returns the output type it was given"),
            })
        })
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Spawns `future` on the current runtime through the spawn seam; the task's spawn
/// location is the caller's.
///
/// # Errors
/// [`SpawnError::NoRuntime`] outside a runtime, [`SpawnError::Shutdown`] after shutdown.
#[track_caller]
pub fn try_spawn<F>(future: F) -> Result<TaskHandle<F::Output>, SpawnError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    let spawner = context::spawner("corio::spawn")?;
    let raw = spawner.spawn(
        Box::pin(async move { Box::new(future.await) as AnyOutput }),
        location,
    )?;
    Ok(TaskHandle {
        raw,
        _output: PhantomData,
    })
}

/// Spawns `future` on the current runtime through the spawn seam.
///
/// # Panics
/// Outside a runtime (the message names the fix), or after the runtime shut down.
#[track_caller]
pub fn spawn<F>(future: F) -> TaskHandle<F::Output>
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
#[track_caller]
pub fn try_spawn_blocking<F, R>(f: F) -> Result<TaskHandle<R>, SpawnError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let location = Location::caller();
    let spawner = context::spawner("corio::spawn_blocking")?;
    let raw = spawner.spawn_blocking(Box::new(move || Box::new(f()) as AnyOutput), location)?;
    Ok(TaskHandle {
        raw,
        _output: PhantomData,
    })
}

/// Runs `f` on the blocking pool.
///
/// # Panics
/// Outside a runtime (the message names the fix), or after the runtime shut down.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> TaskHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    try_spawn_blocking(f).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `job` on a new std thread and returns its join handle for the seam: the
/// blocking "pool" of a [`Spawner`] written for a leaf crate used without an executor
/// (doc examples, tests). A panic in `job` is delivered as a panic [`JoinError`];
/// `abort` has no effect on a job that is already running (as with a blocking pool).
///
/// # Errors
/// The OS error if the thread cannot be started, as [`SpawnError::Shutdown`].
pub fn spawn_thread(job: Box<dyn FnOnce() -> AnyOutput + Send>) -> Result<ErasedJoin, SpawnError> {
    let id = TaskId::next();
    let slot = Arc::new(ThreadSlot {
        state: Mutex::new((None, None)),
    });
    let theirs = slot.clone();
    std::thread::Builder::new()
        .name("corio-thread-job".into())
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                .map_err(|p| JoinError::panic(id, p));
            let waker = {
                let mut state = theirs.state.lock();
                state.0 = Some(out);
                state.1.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        })
        .map_err(|_| SpawnError::Shutdown)?;
    Ok(ErasedJoin::new(ThreadJoin {
        id,
        slot,
        taken: false,
    }))
}

type ThreadState = (
    Option<Result<AnyOutput, JoinError>>,
    Option<std::task::Waker>,
);

struct ThreadSlot {
    state: Mutex<ThreadState>,
}

struct ThreadJoin {
    id: TaskId,
    slot: Arc<ThreadSlot>,
    taken: bool,
}

impl RawJoin for ThreadJoin {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<AnyOutput, JoinError>> {
        assert!(!self.taken, "a task handle polled after it completed");
        let mut state = self.slot.state.lock();
        match state.0.take() {
            Some(out) => {
                self.taken = true;
                Poll::Ready(out)
            }
            None => {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
    fn abort(&self) {}
    fn id(&self) -> TaskId {
        self.id
    }
    fn is_finished(&self) -> bool {
        self.taken || self.slot.state.lock().0.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::context::RuntimeContext;
    use std::task::Waker;

    #[test]
    fn task_ids_are_unique_and_increasing() {
        let a = TaskId::next();
        let b = TaskId::next();
        assert!(b > a);
        assert_ne!(a.to_string(), b.to_string());
    }

    type Out = Result<AnyOutput, JoinError>;

    /// A spawner that runs each future to its first poll at once (enough for ready
    /// futures) and records where it was called from.
    #[derive(Default)]
    struct RecordingSpawner {
        locations: Mutex<Vec<&'static Location<'static>>>,
    }

    struct Done(Mutex<Option<Out>>, TaskId);

    impl RawJoin for Done {
        fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Out> {
            self.0.lock().take().map_or(Poll::Pending, Poll::Ready)
        }
        fn abort(&self) {}
        fn id(&self) -> TaskId {
            self.1
        }
        fn is_finished(&self) -> bool {
            true
        }
    }

    impl Spawner for RecordingSpawner {
        fn spawn(
            &self,
            mut future: BoxFuture<AnyOutput>,
            location: &'static Location<'static>,
        ) -> Result<ErasedJoin, SpawnError> {
            self.locations.lock().push(location);
            let out = match future
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
            {
                Poll::Ready(v) => v,
                Poll::Pending => panic!("the test spawner runs ready futures only"),
            };
            Ok(ErasedJoin::new(Done(
                Mutex::new(Some(Ok(out))),
                TaskId::next(),
            )))
        }
        fn spawn_blocking(
            &self,
            job: Box<dyn FnOnce() -> AnyOutput + Send>,
            location: &'static Location<'static>,
        ) -> Result<ErasedJoin, SpawnError> {
            self.locations.lock().push(location);
            Ok(ErasedJoin::new(Done(
                Mutex::new(Some(Ok(job()))),
                TaskId::next(),
            )))
        }
    }

    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn the_output_type_is_restored_and_the_location_is_the_callers() {
        let spawner = Arc::new(RecordingSpawner::default());
        let _cx = RuntimeContext::new(Clock::new())
            .with_spawner(spawner.clone())
            .enter();
        let mut text = spawn(async { String::from("seven") });
        let here = Location::caller().line();
        let mut unit = spawn(async {});
        let mut blocking = spawn_blocking(|| 5u8);
        assert_eq!(
            poll_once(&mut text).map(Result::unwrap),
            Poll::Ready("seven".into())
        );
        assert!(matches!(poll_once(&mut unit), Poll::Ready(Ok(()))));
        assert!(matches!(poll_once(&mut blocking), Poll::Ready(Ok(5))));
        let locations = spawner.locations.lock();
        assert_eq!(locations.len(), 3);
        for l in locations.iter() {
            assert_eq!(l.file(), file!(), "a spawn location inside corio-core: {l}");
        }
        assert_eq!(locations[1].line(), here + 1);
    }

    #[test]
    fn thread_jobs_deliver_output_and_panics() {
        fn wait(mut j: ErasedJoin) -> Result<AnyOutput, JoinError> {
            loop {
                if let Poll::Ready(r) = j.poll_join(&mut Context::from_waker(Waker::noop())) {
                    assert!(j.is_finished());
                    return r;
                }
                std::thread::yield_now();
            }
        }
        let ok = spawn_thread(Box::new(|| Box::new(5u8) as AnyOutput)).unwrap();
        assert_eq!(*wait(ok).unwrap().downcast::<u8>().unwrap(), 5);
        let boom = spawn_thread(Box::new(|| -> AnyOutput { panic!("job boom") })).unwrap();
        let err = wait(boom).unwrap_err();
        assert_eq!(err.panic_message().as_deref(), Some("job boom"));
    }

    #[test]
    fn erased_joins_inline_and_boxed_forward_and_drop_once() {
        use std::sync::atomic::AtomicUsize;
        // Pointer-sized: stored inline.
        struct Small(Arc<AtomicUsize>);
        impl RawJoin for Small {
            fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Out> {
                Poll::Ready(Ok(Box::new(7u8)))
            }
            fn abort(&self) {
                self.0.fetch_add(10, Ordering::SeqCst);
            }
            fn cancel(&self) {
                self.0.fetch_add(100, Ordering::SeqCst);
            }
            fn id(&self) -> TaskId {
                TaskId(NonZeroU64::new(3).unwrap())
            }
            fn is_finished(&self) -> bool {
                true
            }
        }
        // Larger than a pointer: boxed.
        struct Big(Small, [u64; 4]);
        impl RawJoin for Big {
            fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Out> {
                self.0.poll_join(cx)
            }
            fn abort(&self) {
                self.0.abort()
            }
            fn cancel(&self) {
                self.0.cancel()
            }
            fn id(&self) -> TaskId {
                self.0.id()
            }
            fn is_finished(&self) -> bool {
                self.1[3] == 0
            }
        }
        assert!(fits::<Small>() && !fits::<Big>());
        let count = Arc::new(AtomicUsize::new(0));
        for mut join in [
            ErasedJoin::new(Small(count.clone())),
            ErasedJoin::new(Big(Small(count.clone()), [0; 4])),
        ] {
            join.abort();
            join.cancel();
            assert_eq!(join.id().as_u64(), 3);
            assert!(join.is_finished());
            match join.poll_join(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Ok(out)) => assert_eq!(*out.downcast::<u8>().unwrap(), 7),
                _ => panic!("not ready"),
            }
        }
        // Both forwarded `abort` and `cancel` once each, and were dropped exactly once
        // (their `Arc`s released).
        assert_eq!(count.load(Ordering::SeqCst), 220);
        assert_eq!(Arc::strong_count(&count), 1);
    }

    #[test]
    fn cancel_falls_back_to_abort_by_default() {
        use std::sync::atomic::AtomicUsize;
        // A join that cannot cancel cooperatively (a blocking job): no `cancel` of its own.
        struct Job(Arc<AtomicUsize>);
        impl RawJoin for Job {
            fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Out> {
                Poll::Pending
            }
            fn abort(&self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
            fn id(&self) -> TaskId {
                TaskId(NonZeroU64::new(4).unwrap())
            }
            fn is_finished(&self) -> bool {
                false
            }
        }
        let aborts = Arc::new(AtomicUsize::new(0));
        let join = ErasedJoin::new(Job(aborts.clone()));
        join.cancel();
        assert_eq!(aborts.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn spawn_outside_runtime_is_an_error() {
        let err = try_spawn(async {}).unwrap_err();
        assert!(matches!(err, SpawnError::NoRuntime(_)));
        assert!(err.to_string().contains("corio::spawn"));
        let err = try_spawn_blocking(|| ()).unwrap_err();
        assert!(err.to_string().contains("corio::spawn_blocking"));
    }
}

//! A single-threaded test runtime on a paused clock: a spawner and a timer for the crates
//! below the facade.
//!
//! - Spawner: tasks wait in a `VecDeque`; each task's waker is the `Arc<Task>` itself
//!   (requeues it once). An aborted task is dropped when it next comes up, without being
//!   polled — or, in "late abort" mode, only after one more poll (models a worker of a
//!   multi-threaded runtime that was already polling the task when the abort came).
//! - Timer: a `TimerSource` over a paused [`Clock`]; a sleep registers on its first poll
//!   and stays registered until it completes or is dropped. When neither the main future
//!   nor any task can run, the clock jumps to the earliest deadline and those sleeps are
//!   woken (auto-advance). With nothing runnable and no timer, `block_on` panics instead
//!   of hanging. Tests that step time by hand use [`TestRuntime::clock`] and
//!   [`TestRuntime::fire_due`].
//! - Dropping the runtime drops every task that is left (spawns then fail with
//!   `SpawnError::Shutdown`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use corio_core::context::{self, RuntimeContext, TimerSource};
use corio_core::task::{AnyOutput, BoxFuture, ErasedJoin, RawJoin, Spawner};
use corio_core::{Clock, JoinError, SpawnError, TaskId};

/// A single-threaded runtime on a paused clock (see the module docs).
pub struct TestRuntime {
    inner: Arc<Inner>,
    cx: RuntimeContext,
    start: Instant,
}

impl fmt::Debug for TestRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRuntime")
            .field("elapsed", &self.elapsed())
            .field("live_tasks", &self.live_tasks())
            .field("pending_timers", &self.pending_timers())
            .finish()
    }
}

/// A registered sleep: its waker once polled, taken when it is fired.
type Timers = BTreeMap<(Instant, u64), Option<Waker>>;

struct Inner {
    clock: Clock,
    queue: Mutex<VecDeque<Arc<Task>>>,
    live: Mutex<HashMap<TaskId, Arc<Task>>>,
    timers: Mutex<Timers>,
    next_timer: AtomicU64,
    late_abort: AtomicBool,
    shutdown: AtomicBool,
    spawned: AtomicUsize,
}

struct Task {
    id: TaskId,
    future: Mutex<Option<BoxFuture<AnyOutput>>>,
    /// The outcome, set once when the task finishes (output, panic or cancellation),
    /// after its future was dropped.
    outcome: Mutex<Option<Result<AnyOutput, JoinError>>>,
    join_waker: Mutex<Option<Waker>>,
    queued: AtomicBool,
    abort_requested: AtomicBool,
    finished: AtomicBool,
    rt: Weak<Inner>,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.finished.load(Ordering::Acquire) || self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(rt) = self.rt.upgrade() {
            rt.queue.lock().unwrap().push_back(self.clone());
        }
    }
}

impl Task {
    /// Records the outcome (the first one wins) and wakes the joiner.
    fn finish(&self, outcome: Result<AnyOutput, JoinError>) {
        self.finished.store(true, Ordering::Release);
        {
            let mut slot = self.outcome.lock().unwrap();
            if slot.is_none() {
                *slot = Some(outcome);
            }
        }
        if let Some(w) = self.join_waker.lock().unwrap().take() {
            w.wake();
        }
    }
}

struct TaskJoin(Arc<Task>);

impl RawJoin for TaskJoin {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<AnyOutput, JoinError>> {
        *self.0.join_waker.lock().unwrap() = Some(cx.waker().clone());
        match self.0.outcome.lock().unwrap().take() {
            Some(out) => Poll::Ready(out),
            None => Poll::Pending,
        }
    }
    fn abort(&self) {
        self.0.abort_requested.store(true, Ordering::Release);
        self.0.wake_by_ref();
    }
    fn id(&self) -> TaskId {
        self.0.id
    }
    fn is_finished(&self) -> bool {
        self.0.finished.load(Ordering::Acquire)
    }
}

struct SpawnHandle(Weak<Inner>);

impl Spawner for SpawnHandle {
    fn spawn(
        &self,
        future: BoxFuture<AnyOutput>,
        _location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        let Some(rt) = self.0.upgrade() else {
            return Err(SpawnError::Shutdown);
        };
        if rt.shutdown.load(Ordering::Acquire) {
            return Err(SpawnError::Shutdown);
        }
        let task = Arc::new(Task {
            id: TaskId::next(),
            future: Mutex::new(Some(future)),
            outcome: Mutex::new(None),
            join_waker: Mutex::new(None),
            queued: AtomicBool::new(true),
            abort_requested: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            rt: self.0.clone(),
        });
        rt.spawned.fetch_add(1, Ordering::Relaxed);
        rt.live.lock().unwrap().insert(task.id, task.clone());
        rt.queue.lock().unwrap().push_back(task.clone());
        Ok(ErasedJoin::new(TaskJoin(task)))
    }

    fn spawn_blocking(
        &self,
        job: Box<dyn FnOnce() -> AnyOutput + Send>,
        location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        // Runs the job inline when its task first runs (no threads in this runtime).
        let job = Mutex::new(Some(job));
        self.spawn(
            Box::pin(std::future::poll_fn(move |_| {
                let job = job.lock().unwrap().take().expect("polled once");
                Poll::Ready(job())
            })),
            location,
        )
    }
}

struct Timer(Weak<Inner>);

impl TimerSource for Timer {
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<()> {
        Box::pin(Sleep {
            rt: self.0.clone(),
            deadline,
            key: None,
        })
    }
}

struct Sleep {
    rt: Weak<Inner>,
    deadline: Instant,
    key: Option<(Instant, u64)>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let rt = self
            .rt
            .upgrade()
            .expect("sleep polled after its runtime was dropped");
        if rt.clock.now() >= self.deadline {
            if let Some(key) = self.key.take() {
                rt.timers.lock().unwrap().remove(&key);
            }
            return Poll::Ready(());
        }
        let key = match self.key {
            Some(k) => k,
            None => {
                let k = (self.deadline, rt.next_timer.fetch_add(1, Ordering::Relaxed));
                self.key = Some(k);
                k
            }
        };
        rt.timers
            .lock()
            .unwrap()
            .insert(key, Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(key), Some(rt)) = (self.key, self.rt.upgrade()) {
            rt.timers.lock().unwrap().remove(&key);
        }
    }
}

struct MainWaker(AtomicBool);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

impl Default for TestRuntime {
    fn default() -> Self {
        Self::new()
    }
}

impl TestRuntime {
    /// A runtime on a new paused clock, with no task and no timer.
    pub fn new() -> Self {
        let clock = Clock::new_paused();
        let inner = Arc::new(Inner {
            clock: clock.clone(),
            queue: Mutex::new(VecDeque::new()),
            live: Mutex::new(HashMap::new()),
            timers: Mutex::new(BTreeMap::new()),
            next_timer: AtomicU64::new(0),
            late_abort: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            spawned: AtomicUsize::new(0),
        });
        let cx = RuntimeContext::new(clock.clone())
            .with_spawner(Arc::new(SpawnHandle(Arc::downgrade(&inner))))
            .with_timer(Arc::new(Timer(Arc::downgrade(&inner))));
        let start = clock.now();
        TestRuntime { inner, cx, start }
    }

    /// Aborts take effect only after the task's next poll (see the module docs).
    pub fn with_late_abort(self) -> Self {
        self.inner.late_abort.store(true, Ordering::Release);
        self
    }

    /// The runtime's paused clock (to step time by hand; then call
    /// [`fire_due`](Self::fire_due)).
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Virtual time since the runtime was created.
    pub fn elapsed(&self) -> Duration {
        self.inner.clock.now() - self.start
    }

    /// How many tasks were spawned so far.
    pub fn spawned(&self) -> usize {
        self.inner.spawned.load(Ordering::Relaxed)
    }

    /// How many spawned tasks have not finished.
    pub fn live_tasks(&self) -> usize {
        self.inner.live.lock().unwrap().len()
    }

    /// Sleeps polled at least once and not yet completed or dropped.
    pub fn pending_timers(&self) -> usize {
        self.inner.timers.lock().unwrap().len()
    }

    /// The earliest deadline among [`pending_timers`](Self::pending_timers).
    pub fn earliest_timer(&self) -> Option<Instant> {
        self.inner
            .timers
            .lock()
            .unwrap()
            .keys()
            .next()
            .map(|(d, _)| *d)
    }

    /// Wakes every pending sleep whose deadline is not after the clock's now; returns how
    /// many it woke.
    pub fn fire_due(&self) -> usize {
        let now = self.inner.clock.now();
        let due: Vec<Waker> = self
            .inner
            .timers
            .lock()
            .unwrap()
            .range_mut(..=(now, u64::MAX))
            .filter_map(|(_, w)| w.take())
            .collect();
        let n = due.len();
        due.into_iter().for_each(Waker::wake);
        n
    }

    /// Advances the clock to the earliest pending sleep that is not yet due and fires it
    /// (with any others due by then). Returns false, leaving the clock alone, when no
    /// such sleep is pending.
    pub fn advance_to_next_timer(&self) -> bool {
        let now = self.inner.clock.now();
        let next = self
            .inner
            .timers
            .lock()
            .unwrap()
            .keys()
            .map(|(d, _)| *d)
            .find(|d| *d > now);
        match next {
            Some(deadline) => {
                self.inner.clock.advance_to(deadline).unwrap();
                self.fire_due();
                true
            }
            None => false,
        }
    }

    /// Installs the context without running anything (for creating futures up front).
    pub fn enter(&self) -> context::EnterGuard {
        self.cx.enter()
    }

    /// Runs `future` to completion, running spawned tasks and auto-advancing virtual time.
    ///
    /// # Panics
    /// When nothing can make progress (a deadlock), instead of hanging.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _cx = self.cx.enter();
        let main = Arc::new(MainWaker(AtomicBool::new(true)));
        let main_waker = Waker::from(main.clone());
        let mut future = pin!(future);
        let mut steps = 0u64;
        loop {
            if main.0.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(v) = future.as_mut().poll(&mut Context::from_waker(&main_waker))
                {
                    return v;
                }
            }
            let mut ran = false;
            while let Some(task) = self.pop() {
                ran = true;
                steps += 1;
                assert!(
                    steps < 10_000_000,
                    "test runtime: a task never stops waking itself"
                );
                self.run(task);
                if main.0.load(Ordering::Acquire) {
                    break;
                }
            }
            if ran || main.0.load(Ordering::Acquire) {
                continue;
            }
            if self.fire_due() == 0 && !self.advance_to_next_timer() {
                panic!(
                    "test runtime deadlock: the main future is pending, no task can run \
                     and no timer is set"
                );
            }
        }
    }

    /// Runs `futures` concurrently to completion on this thread (they need not be `Send`
    /// or `'static`), polling only the ones that were woken, in index order.
    ///
    /// # Panics
    /// As [`block_on`](Self::block_on).
    pub fn block_on_all<'a>(&self, futures: Vec<Pin<Box<dyn Future<Output = ()> + 'a>>>) {
        self.block_on(JoinAll::new(futures))
    }

    fn pop(&self) -> Option<Arc<Task>> {
        self.inner.queue.lock().unwrap().pop_front()
    }

    fn run(&self, task: Arc<Task>) {
        task.queued.store(false, Ordering::Release);
        let late = self.inner.late_abort.load(Ordering::Acquire);
        let mut slot = task.future.lock().unwrap();
        let Some(fut) = slot.as_mut() else { return };
        let outcome = if task.abort_requested.load(Ordering::Acquire) && !late {
            Some(Err(JoinError::cancelled(task.id)))
        } else {
            let waker = Waker::from(task.clone());
            let polled = catch_unwind(AssertUnwindSafe(|| {
                fut.as_mut().poll(&mut Context::from_waker(&waker))
            }));
            match polled {
                Ok(Poll::Ready(v)) => Some(Ok(v)),
                Err(p) => Some(Err(JoinError::panic(task.id, p))),
                Ok(Poll::Pending) if task.abort_requested.load(Ordering::Acquire) => {
                    Some(Err(JoinError::cancelled(task.id)))
                }
                Ok(Poll::Pending) => None,
            }
        };
        if let Some(outcome) = outcome {
            let fut = slot.take();
            drop(slot);
            self.inner.live.lock().unwrap().remove(&task.id);
            // The future is dropped before the outcome is visible (as the executor does).
            drop(fut);
            task.finish(outcome);
        }
    }
}

impl Drop for TestRuntime {
    fn drop(&mut self) {
        let _cx = self.cx.enter();
        self.inner.shutdown.store(true, Ordering::Release);
        loop {
            let tasks: Vec<Arc<Task>> = self
                .inner
                .live
                .lock()
                .unwrap()
                .drain()
                .map(|(_, t)| t)
                .collect();
            if tasks.is_empty() {
                break;
            }
            for t in tasks {
                let fut = t.future.lock().unwrap().take();
                drop(fut);
                t.finish(Err(JoinError::cancelled(t.id)));
            }
        }
        self.inner.queue.lock().unwrap().clear();
    }
}

/// A child of [`JoinAll`]: woken flag plus the parent's waker.
struct Child {
    woken: AtomicBool,
    parent: Mutex<Option<Waker>>,
}

impl Wake for Child {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if let Some(w) = self.parent.lock().unwrap().as_ref() {
            w.wake_by_ref();
        }
    }
}

type LocalBoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Polls each woken child in index order; ready when all are.
struct JoinAll<'a> {
    children: Vec<(Option<LocalBoxFuture<'a>>, Arc<Child>)>,
}

impl<'a> JoinAll<'a> {
    fn new(futures: Vec<LocalBoxFuture<'a>>) -> Self {
        let children = futures
            .into_iter()
            .map(|f| {
                let child = Child {
                    woken: AtomicBool::new(true),
                    parent: Mutex::new(None),
                };
                (Some(f), Arc::new(child))
            })
            .collect();
        JoinAll { children }
    }
}

impl Future for JoinAll<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        for (fut, child) in self.children.iter_mut() {
            *child.parent.lock().unwrap() = Some(cx.waker().clone());
            if fut.is_some() && child.woken.swap(false, Ordering::SeqCst) {
                let waker = Waker::from(child.clone());
                if fut
                    .as_mut()
                    .unwrap()
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready()
                {
                    *fut = None;
                }
            }
        }
        if self.children.iter().all(|(f, _)| f.is_none()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Sleeps for `d` on the current runtime's (virtual) clock, counted from its first poll.
///
/// # Panics
/// Outside a runtime that has a timer.
pub async fn sleep(d: Duration) {
    context::try_sleep_until("test sleep", context::now() + d)
        .expect("inside the test runtime")
        .await
}

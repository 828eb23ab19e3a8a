//! The current-thread scheduler: every task runs on the thread that calls `block_on`.
//!
//! The scheduler state that only the driving thread touches (the local run queue, the
//! driver) lives in a [`Core`], taken by the thread that drives. Tasks woken on the
//! driving thread go to the local `VecDeque`; tasks woken elsewhere go to the global
//! queue and unpark the driver — only if it is parked.
//!
//! # Invariants
//! 1. At most one thread holds the `Core` at a time; the others that call `block_on`
//!    wait on their own parker for either their future or the core, and are unparked
//!    when the core is put back.
//! 2. `parked` is set (`SeqCst`) before the driving thread's last look at the queues and
//!    its future's woken flag, and a remote waker sets its item (`SeqCst`) before reading
//!    `parked`; so either the driver sees the work or the waker sees `parked` and
//!    unparks it (no lost wake-up, and no syscall while the driver is running).
//! 3. Every `event_interval` ticks the driver is polled with a zero timeout, and every
//!    `global_queue_interval` ticks the global queue is served first, so neither I/O and
//!    timers nor remote wake-ups can be starved by local work.
//! 4. Without an `rng_seed` the local queue is FIFO. With one, each pop takes a
//!    uniformly random task of the local queue (drawn from the core's generator, which
//!    only the driving thread uses), so the order is a function of the seed and of the
//!    program: the same seed replays the same interleaving. The main (`block_on`)
//!    future keeps its place (polled when woken, between batches of task runs), and the
//!    global queue stays FIFO (its order depends on other threads anyway). No task
//!    starves: each pop picks any waiting task with probability `1/len`.
//! 5. A wake of the `block_on` future that the waking thread itself is driving only
//!    sets its flag: no unpark of the driver and no syscall. The driving thread is then
//!    running (a task, or its own future) or inside the driver's `park`, which returns
//!    after delivering its events (the same guarantee that lets a task woken there go
//!    to the local queue without an unpark), and the loop re-reads the flag before it
//!    parks again. Any other `block_on` (a blocking job's `Handle::block_on` waiting for
//!    the core, a thread that drives another runtime) is unparked as usual: the test is
//!    on the woken future's identity, not on the waking thread.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::{pin, Pin};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::sync::{CachePadded, Mutex};
use corio_core::{coop, Driver, ParkThread, Unparker};

use crate::metrics::WorkerMetrics;
use crate::scheduler::Common;
use crate::task::Notified;
use crate::Handle;
use corio_core::rand::FastRand;

pub(crate) struct Shared {
    pub(crate) common: Common,
    /// Wakes the driver the core parks on.
    unparker: Unparker,
    /// The driving thread is (about to be) parked on the driver (rule 2).
    parked: AtomicBool,
    /// The core, when no thread is driving (rule 1).
    core: Mutex<Option<Box<Core>>>,
    /// Threads waiting in `block_on` for the core.
    core_waiters: Mutex<Vec<Unparker>>,
    /// Written only by the thread holding the core (metrics rule 1).
    metrics: CachePadded<WorkerMetrics>,
}

pub(crate) struct Core {
    driver: Box<dyn Driver>,
    local: VecDeque<Notified>,
    tick: u32,
    /// With a seed: the next local task is a random one (rule 4).
    rng: Option<FastRand>,
}

/// The driving thread's view, reachable from wakers on that thread.
struct Driving {
    shared: *const Shared,
    local: RefCell<VecDeque<Notified>>,
    /// Task runs so far (metrics rule 3): the total the core's previous holders
    /// published, plus this thread's runs; published at maintenance points.
    polls: Cell<u64>,
    /// The waker target of the `block_on` future this thread drives.
    block_on: *const BlockOnWake,
}

/// How a batch of task runs ended.
enum Batch {
    /// Ran `event_interval` tasks.
    Full,
    /// No task left in either queue.
    Empty,
    /// The runtime was shut down from another thread.
    Shutdown,
}

/// Takes the next task of the local queue (the oldest, or with a seed a random one:
/// rule 4). `SEEDED` says whether `rng` is set, so the unseeded pop has no test.
#[inline(always)]
fn pop_local<const SEEDED: bool>(
    local: &RefCell<VecDeque<Notified>>,
    rng: &mut Option<FastRand>,
) -> Option<Notified> {
    let mut q = local.borrow_mut();
    if !SEEDED {
        return q.pop_front();
    }
    match rng {
        Some(rng) if q.len() > 1 => {
            let i = rng.below(q.len());
            q.swap_remove_front(i)
        }
        _ => q.pop_front(),
    }
}

thread_local! {
    /// The current-thread scheduler this thread is driving (its `Driving` on the stack of
    /// `drive`), or null: `schedule` pushes to its local queue when it is ours.
    static CURRENT_THREAD_DRIVER: Cell<*const Driving> = const { Cell::new(ptr::null()) };
}

impl Shared {
    pub(crate) fn new(common: Common, driver: Box<dyn Driver>) -> Self {
        let rng = common.config.rng_seed.map(FastRand::new);
        Shared {
            common,
            unparker: driver.unparker(),
            parked: AtomicBool::new(false),
            core: Mutex::new(Some(Box::new(Core {
                driver,
                local: VecDeque::new(),
                tick: 0,
                rng,
            }))),
            core_waiters: Mutex::new(Vec::new()),
            metrics: CachePadded(WorkerMetrics::default()),
        }
    }

    /// This worker's counters and local queue depth: exact on the driving thread or
    /// while the core is idle, else the values the driving thread published at its
    /// latest maintenance point (every `event_interval` ticks, and when it runs out of
    /// work: metrics rule 3).
    pub(crate) fn worker_metrics(&self) -> crate::metrics::WorkerSnapshot {
        let on_driving_thread = CURRENT_THREAD_DRIVER.with(|d| {
            let d = d.get();
            if d.is_null() {
                return None;
            }
            // SAFETY: the pointer is set only while the `Driving` on this thread's
            // stack is alive (see `drive`).
            let d = unsafe { &*d };
            if !ptr::eq(d.shared, self) {
                return None;
            }
            let depth = d.local.try_borrow().ok().map(|q| q.len());
            Some((d.polls.get(), depth))
        });
        let mut snapshot = self.metrics.snapshot(self.metrics.local_depth());
        if let Some((polls, depth)) = on_driving_thread {
            snapshot.polls = polls;
            if let Some(depth) = depth {
                snapshot.local_queue_depth = depth;
                return snapshot;
            }
        }
        if let Some(depth) = self
            .core
            .try_lock()
            .and_then(|c| Some(c.as_ref()?.local.len()))
        {
            snapshot.local_queue_depth = depth;
        }
        snapshot
    }

    /// Polls the `block_on` future once inside a budget, timed in debug mode.
    #[inline]
    fn poll_main<F: Future>(
        &self,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
        location: &'static Location<'static>,
    ) -> Poll<F::Output> {
        match self.common.debug.as_deref() {
            None => coop::budget(|| future.poll(cx)),
            Some(debug) => debug.time_block_on_poll(location, || coop::budget(|| future.poll(cx))),
        }
    }

    /// Queues `task`: locally on the driving thread, else globally (+ unpark, rule 2).
    pub(crate) fn schedule(&self, task: Notified) {
        let task = CURRENT_THREAD_DRIVER.with(|d| {
            let d = d.get();
            if d.is_null() {
                return Some(task);
            }
            // SAFETY: the pointer is set only while the `Driving` on this thread's
            // stack is alive (see `drive`).
            let d = unsafe { &*d };
            if !ptr::eq(d.shared, self) {
                return Some(task);
            }
            match d.local.try_borrow_mut() {
                Ok(mut q) => {
                    q.push_back(task);
                    None
                }
                Err(_) => Some(task),
            }
        });
        if let Some(task) = task {
            match self.common.inject.push(task) {
                Ok(()) => self.unpark_if_parked(),
                Err(task) => drop(task), // shut down: released (inject rule 1)
            }
        }
    }

    fn unpark_if_parked(&self) {
        if self.parked.load(Ordering::SeqCst) {
            self.unparker.unpark();
        }
    }

    /// Runs `future` to completion on this thread, driving the scheduler when the core
    /// is free (rule 1).
    #[track_caller]
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, handle: &Handle, future: F) -> F::Output {
        let location = Location::caller();
        let _cx = crate::context::enter(handle, true);
        let mut future = pin!(future);
        let mut park = ParkThread::new();
        let wake = Arc::new(BlockOnWake {
            woken: AtomicBool::new(true),
            thread: park.unparker(),
            shared: self.clone(),
        });
        let waker = Waker::from(wake.clone());
        loop {
            if self.common.is_shutdown() {
                // No tasks run any more (spawns resolve cancelled); just drive our future.
                return crate::block_on::park_loop(future, None, None);
            }
            let core = self.core.lock().take();
            if let Some(core) = core {
                if let Some(v) = self.drive(core, future.as_mut(), &wake, &waker, location) {
                    return v;
                }
                continue;
            }
            // Another thread drives the tasks; poll our own future meanwhile.
            if wake.woken.swap(false, Ordering::SeqCst) {
                let mut cx = Context::from_waker(&waker);
                if let Poll::Ready(v) = self.poll_main(future.as_mut(), &mut cx, location) {
                    return v;
                }
            }
            self.core_waiters.lock().push(park.unparker());
            if self.core.lock().is_some() || wake.woken.load(Ordering::SeqCst) {
                continue;
            }
            park.park(None);
        }
    }

    fn drive<F: Future>(
        self: &Arc<Self>,
        mut core: Box<Core>,
        mut future: Pin<&mut F>,
        wake: &BlockOnWake,
        waker: &Waker,
        location: &'static Location<'static>,
    ) -> Option<F::Output> {
        let driving = Driving {
            shared: Arc::as_ptr(self),
            local: RefCell::new(std::mem::take(&mut core.local)),
            polls: Cell::new(self.metrics.polls()),
            block_on: wake,
        };
        // Puts the core back (or drops it after shutdown) however we leave.
        let mut guard = CoreGuard {
            shared: self,
            core: Some(core),
            driving: &driving,
            prev: CURRENT_THREAD_DRIVER.with(|d| d.replace(&driving)),
        };
        let core = guard.core.as_mut().expect("core present while driving");
        let clock = &self.common.clock;
        let mut busy = Some(clock.busy());
        let mut cx = Context::from_waker(waker);
        // Rule 4's seed is fixed at build time: choose the batch loop once (the
        // unseeded one has no per-pop test).
        let seeded = core.rng.is_some();
        loop {
            if wake.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(v) = self.poll_main(future.as_mut(), &mut cx, location) {
                    return Some(v);
                }
            }
            let batch = if seeded {
                self.run_batch::<true>(core, &driving)
            } else {
                self.run_batch::<false>(core, &driving)
            };
            // A maintenance point: publish the counters (metrics rule 3).
            self.metrics
                .publish(driving.polls.get(), driving.local.borrow().len());
            match batch {
                Batch::Shutdown => return None,
                Batch::Full => {
                    // Busy for a whole interval: let the driver deliver events (rule 3).
                    core.driver.park(Some(Duration::ZERO));
                }
                Batch::Empty => {
                    // Out of work: sleep on the driver unless something is pending.
                    self.parked.store(true, Ordering::SeqCst);
                    if driving.local.borrow().is_empty()
                        && self.common.inject.is_empty()
                        && !wake.woken.load(Ordering::SeqCst)
                    {
                        drop(busy.take());
                        core.driver.park(None);
                        busy = Some(clock.busy());
                    }
                    self.parked.store(false, Ordering::SeqCst);
                }
            }
        }
    }

    /// Runs up to `event_interval` tasks (rule 3). Not generic over the `block_on`
    /// future, and instantiated once per `SEEDED` (rule 4), so the per-task path carries
    /// neither the seed test nor a copy per future type.
    fn run_batch<const SEEDED: bool>(&self, core: &mut Core, driving: &Driving) -> Batch {
        let cfg = &self.common.config;
        for _ in 0..cfg.event_interval {
            if self.common.is_shutdown() {
                // Shut down from another thread: the core is dropped on the way out.
                return Batch::Shutdown;
            }
            core.tick = core.tick.wrapping_add(1);
            let task = if core.tick % cfg.global_queue_interval == 0 {
                self.common
                    .inject
                    .pop()
                    .or_else(|| pop_local::<SEEDED>(&driving.local, &mut core.rng))
            } else {
                let local = pop_local::<SEEDED>(&driving.local, &mut core.rng);
                local.or_else(|| self.common.inject.pop())
            };
            let Some(task) = task else {
                return Batch::Empty;
            };
            // Metrics rule 3: a plain increment; published at the next maintenance point.
            driving.polls.set(driving.polls.get().wrapping_add(1));
            task.run();
        }
        Batch::Full
    }

    /// Shuts the scheduler down: cancels every task, drops the driver, joins the pool.
    pub(crate) fn shutdown(self: &Arc<Self>, handle: &Handle, timeout: Option<Duration>) {
        if !self.common.begin_shutdown() {
            return;
        }
        {
            // Destructors of cancelled futures may spawn: give them a context.
            let _cx = crate::context::enter(handle, false);
            self.common.shutdown_tasks();
            let core = self.core.lock().take();
            drop(core);
            self.common.shutdown_tasks();
        }
        self.common.blocking.shutdown(timeout);
        self.common.shutdown_tasks();
        for u in self.core_waiters.lock().drain(..) {
            u.unpark();
        }
        // A thread blocked on the driver of a core held elsewhere must see shutdown.
        self.unparker.unpark();
    }
}

struct CoreGuard<'a> {
    shared: &'a Arc<Shared>,
    core: Option<Box<Core>>,
    driving: &'a Driving,
    prev: *const Driving,
}

impl Drop for CoreGuard<'_> {
    fn drop(&mut self) {
        CURRENT_THREAD_DRIVER.with(|d| d.set(self.prev));
        let local_len = self.driving.local.borrow().len();
        // The next holder starts from this total (metrics rule 3).
        self.shared
            .metrics
            .publish(self.driving.polls.get(), local_len);
        let mut core = self.core.take().expect("core present");
        core.local = std::mem::take(&mut *self.driving.local.borrow_mut());
        if self.shared.common.is_shutdown() {
            drop(core);
        } else {
            *self.shared.core.lock() = Some(core);
        }
        for u in self.shared.core_waiters.lock().drain(..) {
            u.unpark();
        }
    }
}

/// The waker of a `block_on` future: flags it, and wakes whichever parker its thread
/// sleeps on (its own, or the driver when it drives).
struct BlockOnWake {
    woken: AtomicBool,
    thread: Unparker,
    shared: Arc<Shared>,
}

impl Wake for BlockOnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if self.is_driven_here() {
            // Rule 5: the driving loop re-reads `woken` before it parks again.
            return;
        }
        self.thread.unpark();
        self.shared.unpark_if_parked();
    }
}

impl BlockOnWake {
    /// Whether the calling thread is driving the runtime for this very `block_on`
    /// (rule 5).
    #[inline]
    fn is_driven_here(&self) -> bool {
        CURRENT_THREAD_DRIVER.with(|d| {
            let d = d.get();
            // SAFETY: the pointer is set only while the `Driving` on this thread's
            // stack is alive (see `drive`).
            !d.is_null() && ptr::eq(unsafe { (*d).block_on }, self)
        })
    }
}

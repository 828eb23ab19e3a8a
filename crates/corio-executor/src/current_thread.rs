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

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::sync::Mutex;
use corio_core::{coop, Driver, ParkThread, Unparker};

use crate::scheduler::Common;
use crate::task::Notified;
use crate::Handle;

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
}

pub(crate) struct Core {
    driver: Box<dyn Driver>,
    local: VecDeque<Notified>,
    tick: u32,
}

/// The driving thread's view, reachable from wakers on that thread.
struct Driving {
    shared: *const Shared,
    local: RefCell<VecDeque<Notified>>,
}

thread_local! {
    static DRIVING: Cell<*const Driving> = const { Cell::new(ptr::null()) };
}

impl Shared {
    pub(crate) fn new(common: Common, driver: Box<dyn Driver>) -> Self {
        Shared {
            common,
            unparker: driver.unparker(),
            parked: AtomicBool::new(false),
            core: Mutex::new(Some(Box::new(Core {
                driver,
                local: VecDeque::new(),
                tick: 0,
            }))),
            core_waiters: Mutex::new(Vec::new()),
        }
    }

    /// Queues `task`: locally on the driving thread, else globally (+ unpark, rule 2).
    pub(crate) fn schedule(&self, task: Notified) {
        let task = DRIVING.with(|d| {
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
                return crate::block_on::park_loop(future, None);
            }
            let core = self.core.lock().take();
            if let Some(core) = core {
                if let Some(v) = self.drive(core, future.as_mut(), &wake, &waker) {
                    return v;
                }
                continue;
            }
            // Another thread drives the tasks; poll our own future meanwhile.
            if wake.woken.swap(false, Ordering::SeqCst) {
                let mut cx = Context::from_waker(&waker);
                if let Poll::Ready(v) = coop::budget(|| future.as_mut().poll(&mut cx)) {
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
    ) -> Option<F::Output> {
        let driving = Driving {
            shared: Arc::as_ptr(self),
            local: RefCell::new(std::mem::take(&mut core.local)),
        };
        // Puts the core back (or drops it after shutdown) however we leave.
        let mut guard = CoreGuard {
            shared: self,
            core: Some(core),
            driving: &driving,
            prev: DRIVING.with(|d| d.replace(&driving)),
        };
        let core = guard.core.as_mut().expect("core present while driving");
        let clock = &self.common.clock;
        let cfg = &self.common.config;
        let mut busy = Some(clock.busy());
        let mut cx = Context::from_waker(waker);
        'outer: loop {
            if wake.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(v) = coop::budget(|| future.as_mut().poll(&mut cx)) {
                    return Some(v);
                }
            }
            for _ in 0..cfg.event_interval {
                if self.common.is_shutdown() {
                    // Shut down from another thread: the core is dropped on the way out.
                    return None;
                }
                core.tick = core.tick.wrapping_add(1);
                let task = if core.tick % cfg.global_queue_interval == 0 {
                    self.common
                        .inject
                        .pop()
                        .or_else(|| driving.local.borrow_mut().pop_front())
                } else {
                    let local = driving.local.borrow_mut().pop_front();
                    local.or_else(|| self.common.inject.pop())
                };
                match task {
                    Some(task) => task.run(),
                    None => {
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
                        continue 'outer;
                    }
                }
            }
            // Busy for a whole interval: let the driver deliver events (rule 3).
            core.driver.park(Some(Duration::ZERO));
        }
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
        DRIVING.with(|d| d.set(self.prev));
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
        self.thread.unpark();
        self.shared.unpark_if_parked();
    }
}

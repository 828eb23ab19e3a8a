//! A worker thread's loop: run local work (LIFO slot first), serve the global queue,
//! steal, search a little longer (spinning), park.

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use corio_core::clock::BusyGuard;

use super::Shared;
use crate::queue::{Local, CAPACITY};
use crate::task::raw::Header;
use crate::task::Notified;
use crate::Handle;

/// Consecutive LIFO-slot polls before the slot's task goes to the back of the queue
/// (two tasks waking each other must not starve the rest).
const MAX_LIFO_POLLS: u32 = 3;

/// How long a searcher out of work keeps looking before it parks (see
/// `WorkerCx::spin_for_work`): less than one park and unpark round trip. Measured on
/// the executor benches: 5 µs keeps most of the gain of longer spins on a stream of
/// remote spawns (context switches ÷2.5) while ping-pong style workloads, which go
/// idle often, lose almost nothing to it (20 µs cost them ~8 %).
const SPIN_TIME: Duration = Duration::from_micros(5);

/// `spin_loop` hints between two checks of the queues.
const SPINS_PER_CHECK: u32 = 16;

struct Core {
    local: Local<Header>,
    lifo: Option<Notified>,
    is_searching: bool,
    tick: u32,
    rand: u32,
}

impl Core {
    fn push_back(&mut self, task: Notified, shared: &Shared) {
        self.local
            .push_back_or_overflow(task.into_raw(), |batch| shared.push_overflow(batch));
    }

    fn has_tasks(&self) -> bool {
        self.lifo.is_some() || !self.local.is_empty()
    }

    /// Whether to wake a sleeper so it can steal what we queued.
    fn should_notify_others(&self) -> bool {
        !self.is_searching && self.lifo.is_some() as usize + self.local.len() > 1
    }

    /// xorshift32: a cheap per-worker random victim choice.
    fn rand_n(&mut self, n: usize) -> usize {
        let mut x = self.rand;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rand = x;
        ((x as u64 * n as u64) >> 32) as usize
    }

    fn drain(&mut self) {
        drop(self.lifo.take());
        while let Some(ptr) = self.local.pop() {
            // SAFETY: each queued item owns a reference.
            drop(unsafe { Notified::from_raw(ptr) });
        }
    }
}

struct WorkerCx {
    shared: Arc<Shared>,
    index: usize,
    core: RefCell<Core>,
}

thread_local! {
    static WORKER: Cell<*const WorkerCx> = const { Cell::new(ptr::null()) };
}

/// Schedules on the current worker if this thread is one of `shared`'s workers; gives
/// the task back otherwise.
pub(super) fn try_schedule_local(
    shared: &Shared,
    task: Notified,
    is_yield: bool,
) -> Option<Notified> {
    WORKER.with(|w| {
        let w = w.get();
        if w.is_null() {
            return Some(task);
        }
        // SAFETY: set only while the `WorkerCx` on this thread's stack is alive (`run`).
        let w = unsafe { &*w };
        if !ptr::eq(Arc::as_ptr(&w.shared), shared) {
            return Some(task);
        }
        let Ok(mut core) = w.core.try_borrow_mut() else {
            return Some(task);
        };
        if is_yield {
            core.push_back(task, shared);
        } else if let Some(prev) = core.lifo.replace(task) {
            core.push_back(prev, shared);
        }
        let notify = core.should_notify_others();
        drop(core);
        if notify {
            shared.notify_parked();
        }
        None
    })
}

/// The initial state of worker `index`'s victim generator: from the builder's
/// `rng_seed` if any (steal order only; thread timing still varies), else fixed.
fn steal_seed(seed: Option<u64>, index: usize) -> u32 {
    match seed {
        Some(seed) => {
            let mut rng = corio_core::rand::FastRand::new(seed ^ (index as u64).rotate_left(32));
            rng.next_u32() | 1
        }
        None => (0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B)) | 1,
    }
}

/// The worker thread's entry point.
pub(super) fn run(shared: Arc<Shared>, index: usize, local: Local<Header>, handle: Handle) {
    let _cx = crate::context::enter(&handle, true);
    drop(handle);
    let cx = WorkerCx {
        core: RefCell::new(Core {
            local,
            lifo: None,
            is_searching: false,
            tick: 0,
            rand: steal_seed(shared.common.config.rng_seed, index),
        }),
        shared,
        index,
    };
    struct Reset<'a>(&'a WorkerCx);
    impl Drop for Reset<'_> {
        fn drop(&mut self) {
            WORKER.with(|w| w.set(ptr::null()));
            // Drop what our queues hold (each owns a task reference; shutdown cancels
            // the tasks themselves through the owned list).
            if let Ok(mut core) = self.0.core.try_borrow_mut() {
                core.drain();
            }
        }
    }
    WORKER.with(|w| w.set(&cx));
    let _reset = Reset(&cx);
    cx.run();
}

impl WorkerCx {
    fn run(&self) {
        let shared = &*self.shared;
        let cfg = &shared.common.config;
        let mut busy = Some(shared.common.clock.busy());
        while !shared.common.is_shutdown() {
            let tick = {
                let mut core = self.core.borrow_mut();
                core.tick = core.tick.wrapping_add(1);
                core.tick
            };
            if tick % cfg.event_interval == 0 {
                self.maintenance();
            }
            let task = {
                let mut core = self.core.borrow_mut();
                match self.next_task(&mut core, tick) {
                    Some(t) => Some(t),
                    None => self.steal_work(&mut core),
                }
            };
            match task {
                Some(task) => self.run_task(task),
                None => {
                    // Rule 5: the driver gets what this worker queued before it idles.
                    shared.remotes[self.index].parker.flush_driver();
                    if !self.spin_for_work() {
                        self.park(&mut busy);
                    }
                }
            }
        }
    }

    /// Polls the driver without blocking, if no other worker holds it (rule 2); else
    /// hands it what this worker queued (rule 5).
    fn maintenance(&self) {
        if let Some(mut guard) = self.shared.driver.try_lock() {
            if let Some(driver) = guard.as_mut() {
                driver.park(Some(Duration::ZERO));
                return;
            }
        }
        self.shared.remotes[self.index].parker.flush_driver();
    }

    fn next_task(&self, core: &mut Core, tick: u32) -> Option<Notified> {
        let shared = &*self.shared;
        if tick % shared.common.config.global_queue_interval == 0 {
            if let Some(task) = shared.common.inject.pop() {
                return Some(task);
            }
        }
        if let Some(task) = core.lifo.take() {
            return Some(task);
        }
        if let Some(ptr) = core.local.pop() {
            // SAFETY: each queued item owns a reference.
            return Some(unsafe { Notified::from_raw(ptr) });
        }
        let inject = &shared.common.inject;
        if inject.is_empty() {
            return None;
        }
        // Take a fair share of the global queue in one lock.
        let n = (inject.len() / shared.num_workers() + 1)
            .min(core.local.remaining())
            .min(CAPACITY / 2);
        let mut first = None;
        inject.pop_n(n, |task| {
            if first.is_none() {
                first = Some(task);
            } else if let Err(ptr) = core.local.push_back(task.into_raw()) {
                // Unreachable (n <= remaining), but never leak a reference.
                // SAFETY: the pointer came from `into_raw` just above.
                drop(unsafe { Notified::from_raw(ptr) });
            }
        });
        first
    }

    fn steal_work(&self, core: &mut Core) -> Option<Notified> {
        let shared = &*self.shared;
        if !core.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.is_searching = true;
        }
        let n = shared.num_workers();
        let start = core.rand_n(n);
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            if let Some(ptr) = shared.remotes[victim].steal.steal_into(&mut core.local) {
                shared.metrics[self.index].add_steal();
                // SAFETY: stolen items own their references.
                return Some(unsafe { Notified::from_raw(ptr) });
            }
        }
        shared.common.inject.pop()
    }

    /// A searcher out of work keeps searching a little before it parks: while it is
    /// counted as searching, new work wakes nobody (idle rule 2), so a steady trickle of
    /// spawns (from outside, or from a busy worker) costs no park/unpark round trip and
    /// no wake-up syscall per burst. Returns `true` if work appeared (the caller loops
    /// and takes it, still searching); `false` after [`SPIN_TIME`], or at shutdown, and
    /// the worker parks as before (with idle rule 4's re-check), so spinning only ever
    /// delays a park and never replaces a wake-up.
    fn spin_for_work(&self) -> bool {
        if !self.core.borrow().is_searching {
            return false;
        }
        let shared = &*self.shared;
        // Nobody sleeps on the driver: we would be the one to, so park now. A spinner
        // does not poll the driver, and I/O readiness or a timer firing while it spins
        // would wait for the spin to end (a ping-pong over one socket paid up to
        // `SPIN_TIME` per message). With another worker in the driver, events reach
        // that worker anyway, and spinning only saves wake-ups of this one.
        if shared.driver.try_lock().is_some() {
            return false;
        }
        let start = Instant::now();
        loop {
            for _ in 0..SPINS_PER_CHECK {
                std::hint::spin_loop();
            }
            if shared.common.is_shutdown() {
                return false;
            }
            if !shared.common.inject.is_empty()
                || shared
                    .remotes
                    .iter()
                    .enumerate()
                    .any(|(i, r)| i != self.index && !r.steal.is_empty())
            {
                return true;
            }
            if start.elapsed() >= SPIN_TIME {
                return false;
            }
        }
    }

    fn run_task(&self, task: Notified) {
        let shared = &*self.shared;
        let was_searching = std::mem::replace(&mut self.core.borrow_mut().is_searching, false);
        if was_searching && shared.idle.transition_worker_from_searching() {
            // We were the last searcher: hand the search to a sleeper (idle rule 1).
            shared.notify_parked();
        }
        let metrics = &shared.metrics[self.index];
        metrics.add_poll();
        task.run();
        let mut lifo_polls = 0;
        loop {
            let next = {
                let mut core = self.core.borrow_mut();
                match core.lifo.take() {
                    None => None,
                    Some(task) if lifo_polls >= MAX_LIFO_POLLS => {
                        core.push_back(task, shared);
                        None
                    }
                    Some(task) => Some(task),
                }
            };
            match next {
                Some(task) => {
                    lifo_polls += 1;
                    metrics.add_poll();
                    task.run();
                }
                None => return,
            }
        }
    }

    fn park(&self, busy: &mut Option<BusyGuard>) {
        let shared = &*self.shared;
        let was_searching = std::mem::replace(&mut self.core.borrow_mut().is_searching, false);
        if shared
            .idle
            .transition_worker_to_parked(self.index, was_searching)
        {
            shared.notify_if_work_pending();
        }
        let parker = &shared.remotes[self.index].parker;
        loop {
            if shared.common.is_shutdown() {
                return;
            }
            // Rule 3: idle while parked.
            drop(busy.take());
            parker.park(&shared.driver);
            *busy = Some(shared.common.clock.busy());
            parker.return_loan();
            let mut core = self.core.borrow_mut();
            if core.has_tasks() {
                // Woken by the driver with work queued here (or notified): run it.
                core.is_searching = !shared.idle.unpark_worker_by_id(self.index);
                return;
            }
            if !shared.idle.is_parked(self.index) {
                // Notified: we were counted as searching (idle rule 1).
                core.is_searching = true;
                return;
            }
            // Spurious or driver-only wake-up: sleep again.
        }
    }
}

//! The multi-thread, work-stealing scheduler.
//!
//! Each worker owns a bounded ring queue ([`queue`](crate::queue)) and a LIFO slot for
//! the task it just woke (so a message hand-off runs the receiver next, hot in cache).
//! Tasks scheduled from outside a worker go to the global queue. A worker out of work
//! steals half of a random victim's queue, then looks at the global queue, then parks.
//!
//! # Parking and waking
//! One idle worker at a time sleeps on the shared driver (I/O + timers), won by
//! try-lock; the others sleep on their own condvar ([`park`]). New work wakes one
//! sleeper, and none if a worker is already searching ([`idle`]). A searcher that finds
//! nothing keeps searching for a few microseconds (spinning on the queues' lengths)
//! before it parks: a steady stream of spawns from outside then finds a worker still
//! searching and wakes nobody, which saves a wake-up syscall per spawn burst and the
//! preemption of the spawning thread by the woken worker. It spins only while another
//! worker sleeps on the driver: a spinner does not poll the driver, so if it is the one
//! that would, it parks on it at once and I/O events and timers are not held back.
//!
//! # Invariants
//! 1. Only worker `i` pushes to queue `i` and uses its LIFO slot; anyone may steal.
//! 2. Every `event_interval` ticks a busy worker polls the driver with a zero timeout
//!    (if free), and every `global_queue_interval` ticks it serves the global queue
//!    first, so I/O, timers and remote wake-ups are never starved.
//! 3. A worker holds a `clock.busy()` guard exactly while it is not parked.
//! 4. Shutdown sets the flag, unparks every worker, joins them (each drops what its
//!    queues hold), then cancels every owned task once.
//! 5. A worker flushes the driver (`Unparker::flush`) every `event_interval` ticks when
//!    another worker holds the driver, and whenever it runs out of work, before it spins
//!    or parks: a driver may therefore defer the work a worker queued for it (the
//!    io_uring driver batches a worker's submissions) for at most one batch of task polls.

mod idle;
mod park;
mod worker;

use std::future::Future;
use std::io;
use std::ptr::NonNull;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::sync::{CachePadded, Mutex};
use corio_core::Driver;

use crate::metrics::{WorkerMetrics, WorkerSnapshot};
use crate::queue::{self, Local, Steal};
use crate::scheduler::Common;
use crate::task::raw::Header;
use crate::task::Notified;
use crate::Handle;

use idle::Idle;
use park::Parker;

pub(crate) struct Shared {
    pub(crate) common: Common,
    remotes: Box<[Remote]>,
    idle: Idle,
    /// The driver; an idle worker that wins the try-lock parks on it.
    driver: Mutex<Option<Box<dyn Driver>>>,
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
    /// One slot per worker, written only by that worker (metrics rule 1).
    metrics: Box<[CachePadded<WorkerMetrics>]>,
}

struct Remote {
    steal: Steal<Header>,
    parker: Arc<Parker>,
}

impl Shared {
    /// Builds the shared state for `steals.len()` workers.
    pub(crate) fn new(common: Common, driver: Box<dyn Driver>, steals: Vec<Steal<Header>>) -> Self {
        let unparker = driver.unparker();
        let clock = common.clock.clone();
        let n = steals.len();
        Shared {
            common,
            remotes: steals
                .into_iter()
                .map(|steal| Remote {
                    steal,
                    parker: Parker::new(unparker.clone(), clock.clone()),
                })
                .collect(),
            idle: Idle::new(n),
            driver: Mutex::new(Some(driver)),
            threads: Mutex::new(Vec::with_capacity(n)),
            metrics: (0..n)
                .map(|_| CachePadded(WorkerMetrics::default()))
                .collect(),
        }
    }

    /// Creates the worker queues (owner sides, and the stealer sides for `new`).
    pub(crate) fn queues(n: usize) -> (Vec<Local<Header>>, Vec<Steal<Header>>) {
        (0..n).map(|_| queue::local()).unzip()
    }

    /// Starts one thread per worker.
    pub(crate) fn launch(
        self: &Arc<Self>,
        handle: &Handle,
        locals: Vec<Local<Header>>,
    ) -> io::Result<()> {
        for (index, local) in locals.into_iter().enumerate() {
            let shared = self.clone();
            let handle = handle.clone();
            let join = thread::Builder::new()
                .name(self.common.config.thread_name.clone())
                .spawn(move || worker::run(shared, index, local, handle))?;
            self.threads.lock().push(join);
        }
        Ok(())
    }

    /// Queues `task` on this worker (LIFO slot unless `is_yield`) or globally.
    pub(crate) fn schedule(&self, task: Notified, is_yield: bool) {
        if let Some(task) = worker::try_schedule_local(self, task, is_yield) {
            self.schedule_remote(task);
        }
    }

    fn schedule_remote(&self, task: Notified) {
        match self.common.inject.push(task) {
            Ok(()) => self.notify_parked(),
            Err(task) => drop(task), // shut down: released (inject rule 1)
        }
    }

    /// Pushes tasks that overflowed a worker queue to the global queue.
    fn push_overflow(&self, batch: &mut dyn Iterator<Item = NonNull<Header>>) {
        self.common.inject.push_batch(batch.map(|ptr| {
            // SAFETY: the local queue held one reference per item; it moves here.
            unsafe { Notified::from_raw(ptr) }
        }));
    }

    /// Wakes one sleeping worker if no worker is searching (idle rule 2).
    fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark();
        }
    }

    /// The last searcher parks: wake someone if work appeared meanwhile (idle rule 4).
    fn notify_if_work_pending(&self) {
        let pending =
            self.remotes.iter().any(|r| !r.steal.is_empty()) || !self.common.inject.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    /// Every worker's counters and local queue depth.
    pub(crate) fn worker_metrics(&self) -> Vec<WorkerSnapshot> {
        self.metrics
            .iter()
            .zip(self.remotes.iter())
            .map(|(m, r)| m.snapshot(r.steal.len()))
            .collect()
    }

    /// Runs `future` on the calling thread (tasks run on the workers).
    #[track_caller]
    pub(crate) fn block_on<F: Future>(&self, handle: &Handle, future: F) -> F::Output {
        let location = std::panic::Location::caller();
        let _cx = crate::context::enter(handle, true);
        let debug = self.common.debug.as_deref().map(|d| (d, location));
        crate::block_on::park_loop(future, Some(&self.common.clock), debug)
    }

    /// Shuts down: stop and join the workers, cancel every task, drop the driver, join
    /// the blocking pool (rule 4).
    pub(crate) fn shutdown(&self, handle: &Handle, timeout: Option<Duration>) {
        if !self.common.begin_shutdown() {
            return;
        }
        for r in self.remotes.iter() {
            r.parker.unpark();
        }
        let me = thread::current().id();
        let threads = std::mem::take(&mut *self.threads.lock());
        for join in threads {
            if join.thread().id() != me {
                let _ = join.join();
            }
        }
        {
            let _cx = crate::context::enter(handle, false);
            self.common.shutdown_tasks();
            let driver = self.driver.lock().take();
            drop(driver);
            self.common.shutdown_tasks();
        }
        self.common.blocking.shutdown(timeout);
        self.common.shutdown_tasks();
    }
}

//! Runtime metrics: per-worker counters written by their owner, summed on read into a
//! [`RuntimeMetrics`] snapshot by [`Handle::metrics`](crate::Handle::metrics).
//!
//! # Invariants
//! 1. Each [`WorkerMetrics`] is written only by the thread that holds that worker's core
//!    (a multi-thread worker, or the thread driving a current-thread runtime; the core
//!    changes hands through a mutex, which orders the writes). So a counter update is a
//!    relaxed load and a relaxed store, never a read-modify-write, and lives in its own
//!    cache-padded slot: counting costs the hot path no contention.
//! 2. Readers load with `Relaxed`: a snapshot is exact when the runtime is quiescent
//!    (or when read from the thread that writes the counters) and otherwise a recent
//!    view, as any metric of a running system.
//! 3. The current-thread scheduler counts its task runs in a plain field of the driving
//!    thread (no atomic on the per-task path) and [`publish`](WorkerMetrics::publish)es
//!    the total, with its local queue depth, at every maintenance point (every
//!    `event_interval` task runs, before it parks, and when it hands the core back).
//!    The driving thread itself reads its live count; another thread sees the count as
//!    of the latest maintenance point (exact whenever no thread drives the runtime).
//!    Multi-thread workers store their count on every run: a worker does not hand
//!    anything back when a task completes, and a reader that saw a task's completion
//!    expects to see its runs counted.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The counters of one worker (rule 1).
#[derive(Debug, Default)]
pub(crate) struct WorkerMetrics {
    polls: AtomicU64,
    steals: AtomicU64,
    /// Current-thread only: the local queue's depth, sampled by the driving thread every
    /// `event_interval` ticks and when it runs out of work (multi-thread workers'
    /// queues are read directly).
    local_depth: AtomicUsize,
}

impl WorkerMetrics {
    /// One task run by this worker (rule 1: owner only).
    #[inline]
    pub(crate) fn add_poll(&self) {
        let n = self.polls.load(Ordering::Relaxed);
        self.polls.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    /// One successful steal operation by this worker (rule 1: owner only).
    #[inline]
    pub(crate) fn add_steal(&self) {
        let n = self.steals.load(Ordering::Relaxed);
        self.steals.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    /// Publishes the task-run total and the local queue depth (current-thread
    /// maintenance point, rule 3; rule 1: owner only).
    #[inline]
    pub(crate) fn publish(&self, polls: u64, depth: usize) {
        self.polls.store(polls, Ordering::Relaxed);
        self.local_depth.store(depth, Ordering::Relaxed);
    }

    /// The published task-run total (the current-thread core's next holder counts on
    /// from it, rule 3).
    pub(crate) fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    pub(crate) fn local_depth(&self) -> usize {
        self.local_depth.load(Ordering::Relaxed)
    }

    pub(crate) fn snapshot(&self, local_queue_depth: usize) -> WorkerSnapshot {
        WorkerSnapshot {
            polls: self.polls.load(Ordering::Relaxed),
            steals: self.steals.load(Ordering::Relaxed),
            local_queue_depth,
        }
    }
}

/// One worker's figures in a [`RuntimeMetrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WorkerSnapshot {
    pub(crate) polls: u64,
    pub(crate) steals: u64,
    pub(crate) local_queue_depth: usize,
}

/// The blocking pool's figures in a [`RuntimeMetrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockingSnapshot {
    pub(crate) threads: usize,
    pub(crate) idle_threads: usize,
    pub(crate) queue_depth: usize,
}

/// A snapshot of a runtime's counters and queue depths, from
/// [`Handle::metrics`](crate::Handle::metrics).
///
/// Counters (`polls`, `steals`) are totals since the runtime was built; depths and
/// thread counts are the values at the time of the snapshot. Always available (debug
/// mode not needed); counting costs the scheduler a plain increment per task run
/// (current-thread) or one uncontended store (multi-thread). Read from another thread
/// while a current-thread runtime is busy, `polls` and the local queue depth are those
/// of its latest maintenance point (every `event_interval` task runs, and whenever it
/// runs out of work); exact on the driving thread and while no thread drives it.
///
/// # Examples
///
/// ```
/// use corio_executor::{Executor, Handle};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     for _ in 0..3 {
///         corio_executor::spawn(async {}).await.unwrap();
///     }
///     let m = Handle::current().metrics();
///     assert_eq!(m.workers(), 1);
///     assert_eq!(m.total_polls(), 3);
///     assert_eq!(m.live_tasks(), 0);
/// });
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RuntimeMetrics {
    pub(crate) workers: Vec<WorkerSnapshot>,
    pub(crate) live_tasks: usize,
    pub(crate) global_queue_depth: usize,
    pub(crate) blocking: BlockingSnapshot,
}

impl RuntimeMetrics {
    /// Number of workers (1 for a current-thread runtime).
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Spawned tasks that have not finished (blocking jobs excluded).
    pub fn live_tasks(&self) -> usize {
        self.live_tasks
    }

    /// Task runs by all workers: each time a worker took a task from a queue and ran
    /// it (a poll of its future, or the drop of a cancelled one). `block_on` futures
    /// and blocking jobs are not counted.
    pub fn total_polls(&self) -> u64 {
        self.workers.iter().map(|w| w.polls).sum()
    }

    /// Task runs by worker `worker` (see [`total_polls`](Self::total_polls)).
    ///
    /// # Panics
    /// If `worker >= self.workers()`.
    pub fn worker_polls(&self, worker: usize) -> u64 {
        self.workers[worker].polls
    }

    /// Successful steal operations by all workers (each moves half of a victim's queue;
    /// always 0 on a current-thread runtime).
    pub fn steals(&self) -> u64 {
        self.workers.iter().map(|w| w.steals).sum()
    }

    /// Successful steal operations by worker `worker`.
    ///
    /// # Panics
    /// If `worker >= self.workers()`.
    pub fn worker_steals(&self, worker: usize) -> u64 {
        self.workers[worker].steals
    }

    /// Tasks waiting in the global (injection) queue.
    pub fn global_queue_depth(&self) -> usize {
        self.global_queue_depth
    }

    /// Tasks waiting in worker `worker`'s local queue. Multi-thread: the ring queue
    /// (the one-task LIFO slot is not counted). Current-thread: exact when read on the
    /// driving thread or while no thread drives the runtime, else the depth the driving
    /// thread saw at its latest maintenance point (every `event_interval` ticks, and
    /// when it ran out of work).
    ///
    /// # Panics
    /// If `worker >= self.workers()`.
    pub fn local_queue_depth(&self, worker: usize) -> usize {
        self.workers[worker].local_queue_depth
    }

    /// Live blocking-pool threads.
    pub fn blocking_threads(&self) -> usize {
        self.blocking.threads
    }

    /// Blocking-pool threads waiting for a job.
    pub fn idle_blocking_threads(&self) -> usize {
        self.blocking.idle_threads
    }

    /// Blocking jobs waiting for a thread.
    pub fn blocking_queue_depth(&self) -> usize {
        self.blocking.queue_depth
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local: Vec<usize> = self.workers.iter().map(|w| w.local_queue_depth).collect();
        f.debug_struct("RuntimeMetrics")
            .field("workers", &self.workers())
            .field("live_tasks", &self.live_tasks)
            .field("total_polls", &self.total_polls())
            .field("steals", &self.steals())
            .field("global_queue_depth", &self.global_queue_depth)
            .field("local_queue_depth", &local)
            .field("blocking_threads", &self.blocking.threads)
            .field("idle_blocking_threads", &self.blocking.idle_threads)
            .field("blocking_queue_depth", &self.blocking.queue_depth)
            .finish()
    }
}

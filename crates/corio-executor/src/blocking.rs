//! The blocking pool behind `spawn_blocking` / `to_thread`: runs closures that block
//! (file I/O, CPU-heavy work, legacy APIs) on threads of their own, so workers stay free.
//!
//! Bounded (default 512 threads); a thread idle for the keep-alive (default 10 s)
//! retires; jobs beyond the limit wait in a FIFO queue and are never lost. Each job is
//! a task whose future runs the closure in its one poll, so its result (or panic)
//! arrives through a normal [`JoinHandle`](crate::JoinHandle).
//!
//! # Invariants
//! 1. Under the lock: `num_idle` counts threads waiting on the condvar that have not
//!    been handed a wake-up; each `notify_one` is matched by `num_idle -= 1` and
//!    `num_notify += 1`, so a job pushed while a thread is idle always has a thread
//!    coming for it.
//! 2. Every pushed job is run exactly once, or cancelled exactly once at shutdown.
//! 3. After shutdown, no job is accepted (it resolves cancelled at once) and every
//!    thread is joined by the shutting-down thread.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use crate::sync::{Condvar, Mutex};
use corio_core::clock::BusyGuard;

use crate::task::Notified;
use crate::Handle;

/// The closure of a blocking job as a future that completes in one poll.
pub(crate) struct BlockingTask<F> {
    func: Option<F>,
    /// Keeps virtual time from auto-advancing from submission until completion.
    _busy: Option<BusyGuard>,
}

impl<F> BlockingTask<F> {
    pub(crate) fn new(func: F, busy: Option<BusyGuard>) -> Self {
        BlockingTask {
            func: Some(func),
            _busy: busy,
        }
    }
}

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let func = self
            .func
            .take()
            .expect("blocking task polled after completion");
        // A blocking job is not subject to the cooperative budget of async tasks.
        Poll::Ready(func())
    }
}

#[derive(Clone)]
pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    cvar: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    thread_name: String,
}

struct State {
    queue: VecDeque<Notified>,
    num_threads: usize,
    num_idle: usize,
    num_notify: usize,
    shutdown: bool,
    threads: HashMap<usize, thread::JoinHandle<()>>,
    next_id: usize,
    /// A retired thread, still finishing; joined by the next one to retire or by shutdown.
    last_exiting: Option<thread::JoinHandle<()>>,
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, thread_name: String) -> Self {
        BlockingPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    num_threads: 0,
                    num_idle: 0,
                    num_notify: 0,
                    shutdown: false,
                    threads: HashMap::new(),
                    next_id: 0,
                    last_exiting: None,
                }),
                cvar: Condvar::new(),
                max_threads,
                keep_alive,
                thread_name,
            }),
        }
    }

    /// Queues `task` (a blocking job) and makes sure a thread will run it. After
    /// shutdown the job is cancelled at once (rule 3).
    pub(crate) fn spawn(&self, task: Notified, handle: &Handle) {
        let mut st = self.inner.state.lock();
        if st.shutdown {
            drop(st);
            task.cancel();
            return;
        }
        st.queue.push_back(task);
        if st.num_idle > 0 {
            st.num_idle -= 1;
            st.num_notify += 1;
            self.inner.cvar.notify_one();
        } else if st.num_threads < self.inner.max_threads {
            let id = st.next_id;
            st.next_id += 1;
            let inner = self.inner.clone();
            let handle = handle.clone();
            let spawned = thread::Builder::new()
                .name(self.inner.thread_name.clone())
                .spawn(move || inner.run(id, handle));
            match spawned {
                Ok(join) => {
                    st.num_threads += 1;
                    st.threads.insert(id, join);
                }
                Err(_) if st.num_threads > 0 => {
                    // The OS refused a thread; the job waits for an existing one.
                }
                Err(e) => {
                    // No thread at all can run it: fail the job rather than hang.
                    let task = st.queue.pop_back().expect("just pushed");
                    drop(st);
                    task.cancel();
                    eprintln!("corio: could not start a blocking-pool thread: {e}");
                }
            }
        }
        // Otherwise every thread is busy and the limit is reached: the job waits.
    }

    /// Cancels queued jobs, stops the threads and joins them (waiting for running jobs).
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let (queued, threads, last) = {
            let mut st = self.inner.state.lock();
            st.shutdown = true;
            self.inner.cvar.notify_all();
            (
                std::mem::take(&mut st.queue),
                std::mem::take(&mut st.threads),
                st.last_exiting.take(),
            )
        };
        for task in queued {
            task.cancel();
        }
        let me = thread::current().id();
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        for join in threads.into_values().chain(last) {
            if join.thread().id() == me {
                continue; // shutting down from a blocking job: cannot join ourselves
            }
            match deadline {
                None => {
                    let _ = join.join();
                }
                Some(d) => {
                    while !join.is_finished() && std::time::Instant::now() < d {
                        thread::sleep(Duration::from_millis(1));
                    }
                    if join.is_finished() {
                        let _ = join.join();
                    }
                }
            }
        }
    }

    /// Live threads, idle threads and queued jobs, read under one lock.
    pub(crate) fn stats(&self) -> crate::metrics::BlockingSnapshot {
        let st = self.inner.state.lock();
        crate::metrics::BlockingSnapshot {
            threads: st.num_threads,
            idle_threads: st.num_idle,
            queue_depth: st.queue.len(),
        }
    }

    /// Number of live pool threads.
    pub(crate) fn num_threads(&self) -> usize {
        self.inner.state.lock().num_threads
    }
}

impl Inner {
    fn run(self: Arc<Self>, id: usize, handle: Handle) {
        let _cx = crate::context::enter(&handle, false);
        let mut st = self.state.lock();
        'outer: loop {
            while let Some(task) = st.queue.pop_front() {
                drop(st);
                // The job's own guard (taken at submission) ends when its future is
                // dropped, which is before the join waker fires; this one spans the whole
                // run, completion wake included, so virtual time cannot jump in between.
                let clock = handle.clock();
                let busy = clock.is_paused().then(|| clock.busy());
                task.run();
                drop(busy);
                st = self.state.lock();
            }
            if st.shutdown {
                break;
            }
            st.num_idle += 1;
            loop {
                let (guard, timed_out) = self.cvar.wait_timeout(st, self.keep_alive);
                st = guard;
                if st.num_notify > 0 {
                    st.num_notify -= 1;
                    continue 'outer;
                }
                if st.shutdown {
                    st.num_idle -= 1;
                    break 'outer;
                }
                if timed_out {
                    // Retire (rule 1: no job can be waiting for us, we were not notified).
                    st.num_idle -= 1;
                    st.num_threads -= 1;
                    let me = st.threads.remove(&id);
                    let prev = std::mem::replace(&mut st.last_exiting, me);
                    drop(st);
                    if let Some(prev) = prev {
                        let _ = prev.join();
                    }
                    return;
                }
            }
        }
        st.num_threads -= 1;
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state.lock();
        f.debug_struct("BlockingPool")
            .field("threads", &st.num_threads)
            .field("idle", &st.num_idle)
            .field("queued", &st.queue.len())
            .field("max_threads", &self.inner.max_threads)
            .finish()
    }
}

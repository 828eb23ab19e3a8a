//! Which workers sleep, and how many search for work: wake one sleeper per burst of new
//! work, and none when a worker is already searching.
//!
//! `state` packs two counters: the number of *searching* workers (low 16 bits) and the
//! number of *unparked* workers (the rest). `sleepers` lists parked workers.
//!
//! # Rules
//! 1. A worker that is woken to look for work is counted as unparked and searching
//!    before it is woken; it stops searching when it finds a task (and, if it was the
//!    last searcher, wakes another so remaining work still gets a searcher).
//! 2. New work wakes a sleeper only if no worker is searching and some worker sleeps.
//! 3. At most half the workers search at once (stealing is then a waste).
//! 4. The last searcher to park re-checks every queue after announcing it parks
//!    (`SeqCst`), and producers publish work before reading `state` (`SeqCst`): either
//!    the parker sees the work or the producer sees no searcher and wakes a sleeper.
//! 5. Under the `sleepers` lock, `unparked + sleepers.len() == number of workers`: a
//!    worker is counted unparked exactly when it is not in `sleepers`, so a producer
//!    never decides to wake a sleeper that is not there.

use std::sync::atomic::{fence, AtomicUsize, Ordering};

use crate::sync::Mutex;

const UNPARK_SHIFT: usize = 16;
const UNPARK_ONE: usize = 1 << UNPARK_SHIFT;
const SEARCH_MASK: usize = UNPARK_ONE - 1;

pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(s: usize) -> usize {
    s & SEARCH_MASK
}

fn unparked(s: usize) -> usize {
    s >> UNPARK_SHIFT
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Self {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// The worker to wake for new work, if any (rule 2); it is counted as searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.notify_should_wakeup() {
            return None;
        }
        self.state.fetch_add(1 | UNPARK_ONE, Ordering::SeqCst);
        sleepers.pop()
    }

    #[inline]
    fn notify_should_wakeup(&self) -> bool {
        fence(Ordering::SeqCst);
        let s = self.state.load(Ordering::SeqCst);
        searching(s) == 0 && unparked(s) < self.num_workers
    }

    /// The worker parks; returns `true` if it was the last searcher (rule 4).
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARK_ONE + is_searching as usize;
        let prev = self.state.fetch_sub(dec, Ordering::SeqCst);
        sleepers.push(worker);
        fence(Ordering::SeqCst);
        is_searching && searching(prev) == 1
    }

    /// The worker wants to steal; `false` if enough workers already search (rule 3).
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(Ordering::SeqCst);
        if 2 * searching(s) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// The worker found work; `true` if it was the last searcher (rule 1).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, Ordering::SeqCst);
        searching(prev) == 1
    }

    /// A parked worker woke for its own reasons (driver events): take it off the list.
    /// Returns `true` if it was still listed (so it was not notified, not searching).
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        if let Some(i) = sleepers.iter().position(|&w| w == worker) {
            sleepers.swap_remove(i);
            self.state.fetch_add(UNPARK_ONE, Ordering::SeqCst);
            true
        } else {
            false
        }
    }

    /// Whether the worker is still listed as sleeping (not notified).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().contains(&worker)
    }
}

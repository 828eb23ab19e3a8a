//! The global (injection) queue: tasks scheduled from outside a worker, and overflow
//! from full worker queues.
//!
//! A mutex-protected `VecDeque` with an atomic length for lock-free emptiness checks.
//!
//! # Invariants
//! 1. Once closed (at shutdown), pushes are refused and the refused task reference is
//!    released by the caller, so nothing is stranded in a queue nobody drains.
//! 2. `len` equals the deque's length whenever the lock is free; it is written under the
//!    lock with `SeqCst`, so a worker that announces it is going to sleep and then reads
//!    `len` cannot miss a push that read the sleep announcement as absent.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::sync::{CachePadded, Mutex};

use crate::task::Notified;

pub(crate) struct Inject {
    queue: CachePadded<Mutex<Queue>>,
    len: CachePadded<AtomicUsize>,
}

struct Queue {
    items: VecDeque<Notified>,
    closed: bool,
}

impl Inject {
    pub(crate) fn new() -> Self {
        Inject {
            queue: CachePadded(Mutex::new(Queue {
                items: VecDeque::new(),
                closed: false,
            })),
            len: CachePadded(AtomicUsize::new(0)),
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::SeqCst) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }

    /// Pushes `task`; returns it back if the queue is closed (rule 1).
    pub(crate) fn push(&self, task: Notified) -> Result<(), Notified> {
        let mut q = self.queue.lock();
        if q.closed {
            return Err(task);
        }
        q.items.push_back(task);
        self.len.store(q.items.len(), Ordering::SeqCst);
        Ok(())
    }

    /// Pushes a batch; refused tasks are dropped (their references released).
    pub(crate) fn push_batch(&self, tasks: impl Iterator<Item = Notified>) {
        let mut q = self.queue.lock();
        if q.closed {
            drop(q);
            tasks.for_each(drop);
            return;
        }
        q.items.extend(tasks);
        self.len.store(q.items.len(), Ordering::SeqCst);
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let mut q = self.queue.lock();
        let t = q.items.pop_front();
        self.len.store(q.items.len(), Ordering::SeqCst);
        t
    }

    /// Pops up to `n` tasks at once (one lock), handing each to `f` (which must not
    /// touch this queue).
    pub(crate) fn pop_n(&self, n: usize, mut f: impl FnMut(Notified)) {
        if self.is_empty() {
            return;
        }
        let mut q = self.queue.lock();
        let n = n.min(q.items.len());
        q.items.drain(..n).for_each(&mut f);
        self.len.store(q.items.len(), Ordering::SeqCst);
    }

    /// Closes the queue and returns what was in it.
    pub(crate) fn close(&self) -> VecDeque<Notified> {
        let mut q = self.queue.lock();
        q.closed = true;
        self.len.store(0, Ordering::SeqCst);
        std::mem::take(&mut q.items)
    }
}

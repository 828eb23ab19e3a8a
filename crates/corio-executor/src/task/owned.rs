//! The owned-task list: every live task of a runtime, so shutdown can cancel each one
//! exactly once.
//!
//! A sharded slab (by task id) of counted task pointers. Each entry holds one reference
//! (task rule 6). A task removes itself when it completes; shutdown closes every shard
//! and cancels what is left.
//!
//! # Invariants
//! 1. A task's `owned_slot` is read and written only under its shard's lock, and
//!    `slots[owned_slot]` is that task while it is in the list.
//! 2. Once a shard is closed nothing is added to it; `bind` reports the refusal and the
//!    caller cancels the task at once.
//! 3. A task leaves the list exactly once: by `remove` (completion) or by shutdown's
//!    drain, whichever takes the lock first.
//! 4. Slot indices fit in a `u32` (the header stores them in 32 bits, next to the poll
//!    counter); `bind` panics rather than truncate.
//! 5. A listed task is alive (the entry holds a reference), so `for_each` may read its
//!    header under the shard lock.
//! 6. Shutdown's grace ([`crate::shutdown`]): a task is *marked* (its cancel record's
//!    `shutdown` flag set, `outstanding` incremented) under its shard's lock, and `remove`
//!    reads the mark under the same lock, so `outstanding` counts exactly the marked
//!    tasks still listed. `remove` looks at marks only while `draining` is set; the
//!    list stops draining before shutdown's own drain, which removes without `remove`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Waker;

use crate::sync::{CachePadded, Mutex};

use super::raw::{Header, RawTask};

pub(crate) struct OwnedTasks {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    mask: usize,
    /// Rule 6: shutdown's grace is running.
    draining: AtomicBool,
    /// Rule 6: marked tasks still listed.
    outstanding: AtomicUsize,
    /// Woken when `outstanding` drops to zero.
    drain_waker: Mutex<Option<Waker>>,
}

#[derive(Default)]
struct Shard {
    slots: Vec<Option<RawTask>>,
    free: Vec<usize>,
    len: usize,
    closed: bool,
}

impl OwnedTasks {
    /// A list with `shards` shards (rounded up to a power of two).
    pub(crate) fn new(shards: usize) -> Self {
        let n = shards.max(1).next_power_of_two();
        OwnedTasks {
            shards: (0..n)
                .map(|_| CachePadded(Mutex::new(Shard::default())))
                .collect(),
            mask: n - 1,
            draining: AtomicBool::new(false),
            outstanding: AtomicUsize::new(0),
            drain_waker: Mutex::new(None),
        }
    }

    fn shard(&self, header: &Header) -> &Mutex<Shard> {
        &self.shards[header.id.as_u64() as usize & self.mask]
    }

    /// Adds `task` (transferring one reference to the list). Returns `false`, keeping
    /// the reference with the caller, if the list is closed (rule 2).
    pub(crate) fn bind(&self, task: RawTask) -> bool {
        let header = task.header();
        let mut shard = self.shard(header).lock();
        if shard.closed {
            return false;
        }
        let slot = match shard.free.pop() {
            Some(slot) => {
                shard.slots[slot] = Some(task);
                slot
            }
            None => {
                shard.slots.push(Some(task));
                shard.slots.len() - 1
            }
        };
        shard.len += 1;
        // Rule 4: a shard never holds 2^32 live tasks (each one is a heap allocation).
        let slot = u32::try_from(slot).expect("more than 2^32 live tasks in one shard");
        header.owned_slot.store(slot, Ordering::Relaxed);
        true
    }

    /// Removes a completing task. Returns `true` if it was still listed: the caller then
    /// also owns the list's reference (rule 3).
    pub(crate) fn remove(&self, header: &Header) -> bool {
        let mut shard = self.shard(header).lock();
        let slot = header.owned_slot.load(Ordering::Relaxed) as usize;
        match shard.slots.get(slot) {
            Some(Some(t)) if std::ptr::eq(t.header(), header) => {
                shard.slots[slot] = None;
                shard.free.push(slot);
                shard.len -= 1;
                if self.draining.load(Ordering::Relaxed) {
                    // Rule 6: the mark is read under the lock it was set under.
                    let marked = header
                        .meta
                        .cancel()
                        .is_some_and(|c| c.shutdown.load(Ordering::Relaxed));
                    drop(shard);
                    if marked && self.outstanding.fetch_sub(1, Ordering::AcqRel) == 1 {
                        let waker = self.drain_waker.lock().take();
                        if let Some(w) = waker {
                            w.wake();
                        }
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Starts or stops shutdown's grace (rule 6).
    pub(crate) fn set_draining(&self, on: bool) {
        // Set before the first shard lock of the first round, so every `remove` that
        // takes a shard lock after that round's sees it (the lock orders the two).
        self.draining.store(on, Ordering::Relaxed);
        if !on {
            // The grace's waker holds the runtime it wakes: kept here, it would keep
            // the runtime alive for good. Dropped outside the lock.
            let waker = self.drain_waker.lock().take();
            drop(waker);
        }
    }

    /// Registers `waker` for when the marked tasks are all gone; returns how many are
    /// still listed (rule 6).
    pub(crate) fn outstanding(&self, waker: &Waker) -> usize {
        {
            let mut slot = self.drain_waker.lock();
            match slot.as_mut() {
                Some(w) if w.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
        }
        self.outstanding.load(Ordering::Acquire)
    }

    /// Marks every listed task that is not marked yet (rule 6) and returns them, each
    /// with a reference of its own for the caller to release.
    pub(crate) fn mark_unmarked(&self) -> Vec<RawTask> {
        let mut marked = Vec::new();
        for shard in self.shards.iter() {
            let s = shard.lock();
            for task in s.slots.iter().flatten() {
                let header = task.header();
                let info = header.meta.cancel_or_init();
                if !info.shutdown.swap(true, Ordering::Relaxed) {
                    self.outstanding.fetch_add(1, Ordering::AcqRel);
                    header.state.ref_inc();
                    marked.push(*task);
                }
            }
        }
        marked
    }

    /// Closes every shard and cancels every listed task (each exactly once).
    pub(crate) fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            // Cancelling may drop futures that spawn or complete other tasks; never hold
            // the lock while doing it, and loop until the shard stays empty.
            loop {
                let tasks: Vec<RawTask> = {
                    let mut s = shard.lock();
                    s.closed = true;
                    s.len = 0;
                    s.free.clear();
                    s.slots.drain(..).flatten().collect()
                };
                if tasks.is_empty() {
                    break;
                }
                for task in tasks {
                    // SAFETY: the drained entry's reference is now ours (rule 3).
                    unsafe { task.shutdown() };
                }
            }
        }
    }

    /// Calls `f` with the header of every listed task, one shard lock at a time (rule
    /// 5). `f` must not touch this list.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Header)) {
        for shard in self.shards.iter() {
            let s = shard.lock();
            for task in s.slots.iter().flatten() {
                f(task.header());
            }
        }
    }

    /// How many tasks are listed.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len).sum()
    }
}

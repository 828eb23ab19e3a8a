//! The per-worker run queue: a fixed ring of [`CAPACITY`] slots, pushed and popped by its
//! owner, from which other workers steal half at a time.
//!
//! # Invariants
//! 1. `head` and `tail` are free-running `u32` counters; the queue holds the items in
//!    slots `head..tail` (mod `CAPACITY`), and `tail - head <= CAPACITY` (wrapping).
//! 2. Only the owner ([`Local`]) writes `tail` and writes slots, and only at
//!    `tail..head + CAPACITY`, never inside `head..tail`.
//! 3. Items are claimed by moving `head` forward with a compare-and-swap, by the owner
//!    (`pop`, overflow) or by a stealer. Whoever wins the CAS owns the claimed items;
//!    reading a slot before the CAS is only a speculative copy, thrown away on failure.
//!    Slots are atomics, so such a stale read is never a data race.
//! 4. The owner publishes new items with a `Release` store of `tail`; claimers read
//!    `tail` with `Acquire` before reading slots.

// Items are `pub` only so the loom models can reach them through `__loom`; the
// module itself is private.
#![allow(unreachable_pub)]
#![cfg_attr(loom, allow(missing_docs, missing_debug_implementations))]

use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use crate::loom::{AtomicPtr, AtomicU32, Ordering};

/// Slots per worker queue.
#[cfg(not(loom))]
pub const CAPACITY: usize = 256;
/// Slots per worker queue (small under loom to reach the full/overflow paths).
#[cfg(loom)]
pub const CAPACITY: usize = 4;
const MASK: usize = CAPACITY - 1;

struct Inner<T> {
    head: AtomicU32,
    tail: AtomicU32,
    buffer: Box<[AtomicPtr<T>]>,
}

/// The owner's side of a worker queue (not `Clone`: one owner).
pub struct Local<T> {
    inner: Arc<Inner<T>>,
    _not_sync: PhantomData<*mut ()>,
}

/// A stealer's side of a worker queue.
pub struct Steal<T>(Arc<Inner<T>>);

// SAFETY: the queue moves raw item pointers between threads; the items' own types
// (task pointers) are `Send`. The owner side is `Send` but not `Sync` (one owner).
unsafe impl<T> Send for Local<T> {}
// SAFETY: stealers only use atomics (rule 3).
unsafe impl<T> Send for Steal<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Steal<T> {}

/// Creates a queue and returns its owner and stealer sides.
pub fn local<T>() -> (Local<T>, Steal<T>) {
    let inner = Arc::new(Inner {
        head: AtomicU32::new(0),
        tail: AtomicU32::new(0),
        buffer: (0..CAPACITY)
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect(),
    });
    (
        Local {
            inner: inner.clone(),
            _not_sync: PhantomData,
        },
        Steal(inner),
    )
}

impl<T> Inner<T> {
    fn slot(&self, index: u32) -> &AtomicPtr<T> {
        &self.buffer[index as usize & MASK]
    }

    fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        tail.wrapping_sub(head) as usize
    }
}

impl<T> Local<T> {
    /// Number of items (exact for the owner, up to concurrent steals).
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots (at least; steals may free more).
    pub fn remaining(&self) -> usize {
        CAPACITY - self.len()
    }

    /// Pushes `item` if there is room; gives it back otherwise.
    pub fn push_back(&mut self, item: NonNull<T>) -> Result<(), NonNull<T>> {
        let head = self.inner.head.load(Ordering::Acquire);
        // Rule 2: only we write `tail`.
        let tail = self.inner.tail.load(Ordering::Relaxed);
        if (tail.wrapping_sub(head) as usize) >= CAPACITY {
            return Err(item);
        }
        self.inner
            .slot(tail)
            .store(item.as_ptr(), Ordering::Relaxed);
        self.inner
            .tail
            .store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Pushes `item`, or, when the ring is full, claims half of it and hands that half
    /// plus `item` to `overflow` (the global queue) in one batch.
    pub fn push_back_or_overflow(
        &mut self,
        mut item: NonNull<T>,
        overflow: impl FnOnce(&mut dyn Iterator<Item = NonNull<T>>),
    ) {
        let mut overflow = Some(overflow);
        loop {
            let head = self.inner.head.load(Ordering::Acquire);
            // Rule 2: only we write `tail`.
            let tail = self.inner.tail.load(Ordering::Relaxed);
            if (tail.wrapping_sub(head) as usize) < CAPACITY {
                self.inner
                    .slot(tail)
                    .store(item.as_ptr(), Ordering::Relaxed);
                self.inner
                    .tail
                    .store(tail.wrapping_add(1), Ordering::Release);
                return;
            }
            match self.push_overflow(head, tail, item, overflow.take().unwrap()) {
                Ok(()) => return,
                Err((back, f)) => {
                    // A stealer took items meanwhile, so there is room now.
                    item = back;
                    overflow = Some(f);
                }
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn push_overflow<F>(
        &mut self,
        head: u32,
        tail: u32,
        item: NonNull<T>,
        overflow: F,
    ) -> Result<(), (NonNull<T>, F)>
    where
        F: FnOnce(&mut dyn Iterator<Item = NonNull<T>>),
    {
        const HALF: u32 = (CAPACITY / 2) as u32;
        debug_assert_eq!(tail.wrapping_sub(head) as usize, CAPACITY);
        // Speculatively copy the oldest half, then claim it (rule 3).
        let batch: Vec<*mut T> = (0..HALF)
            .map(|i| {
                self.inner
                    .slot(head.wrapping_add(i))
                    .load(Ordering::Relaxed)
            })
            .collect();
        if self
            .inner
            .head
            .compare_exchange(
                head,
                head.wrapping_add(HALF),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            return Err((item, overflow));
        }
        let mut iter = batch
            .into_iter()
            // SAFETY: claimed slots hold the non-null pointers the owner pushed.
            .map(|p| unsafe { NonNull::new_unchecked(p) })
            .chain(std::iter::once(item));
        overflow(&mut iter);
        Ok(())
    }

    /// Pops the oldest item.
    pub fn pop(&mut self) -> Option<NonNull<T>> {
        let mut head = self.inner.head.load(Ordering::Acquire);
        loop {
            let tail = self.inner.tail.load(Ordering::Relaxed);
            if head == tail {
                return None;
            }
            let item = self.inner.slot(head).load(Ordering::Relaxed);
            match self.inner.head.compare_exchange(
                head,
                head.wrapping_add(1),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                // SAFETY: a claimed slot holds a non-null pointer the owner pushed.
                Ok(_) => return Some(unsafe { NonNull::new_unchecked(item) }),
                Err(actual) => head = actual,
            }
        }
    }
}

impl<T> Steal<T> {
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Number of items (a racy view: the owner and other stealers may be moving them).
    pub fn len(&self) -> usize {
        // A torn (head, tail) read can exceed the capacity; clamp it.
        self.0.len().min(CAPACITY)
    }

    /// Steals half (rounded up) of this queue into `dst`, whose owner is the caller, and
    /// returns one of the stolen items to run now. `None` if there was nothing to steal
    /// or `dst` is more than half full.
    pub fn steal_into(&self, dst: &mut Local<T>) -> Option<NonNull<T>> {
        let dst_tail = dst.inner.tail.load(Ordering::Relaxed);
        let dst_head = dst.inner.head.load(Ordering::Acquire);
        if dst_tail.wrapping_sub(dst_head) as usize > CAPACITY / 2 {
            return None;
        }
        let mut head = self.0.head.load(Ordering::Acquire);
        loop {
            let tail = self.0.tail.load(Ordering::Acquire);
            let len = tail.wrapping_sub(head);
            if len == 0 || len as usize > CAPACITY {
                // Empty, or a torn (head, tail) pair read across an overflow: retry once
                // from fresh values; if empty, give up.
                if len == 0 {
                    return None;
                }
                head = self.0.head.load(Ordering::Acquire);
                continue;
            }
            let n = len - len / 2;
            // Speculative copy into dst's free slots (rule 2 for dst: outside its items).
            for i in 0..n {
                let p = self.0.slot(head.wrapping_add(i)).load(Ordering::Relaxed);
                dst.inner
                    .slot(dst_tail.wrapping_add(i))
                    .store(p, Ordering::Relaxed);
            }
            match self.0.head.compare_exchange(
                head,
                head.wrapping_add(n),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    let last = dst_tail.wrapping_add(n - 1);
                    let item = dst.inner.slot(last).load(Ordering::Relaxed);
                    if n > 1 {
                        dst.inner.tail.store(last, Ordering::Release);
                    }
                    // SAFETY: claimed items are non-null pointers pushed by their owner.
                    return Some(unsafe { NonNull::new_unchecked(item) });
                }
                Err(actual) => head = actual,
            }
        }
    }
}

impl<T> Drop for Local<T> {
    fn drop(&mut self) {
        // The owner must drain the queue (each item owns a task reference) before
        // dropping it; leaking is better than a double free, so only check in debug.
        if !std::thread::panicking() {
            debug_assert!(self.is_empty(), "worker queue dropped with items in it");
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// `n` distinct items (their values are their indices) and pointers to them.
    fn items(n: usize) -> Arc<[u64]> {
        (0..n as u64).collect()
    }

    fn ptr(items: &Arc<[u64]>, i: usize) -> NonNull<u64> {
        NonNull::from(&items[i])
    }

    fn val(p: NonNull<u64>) -> u64 {
        // SAFETY: every pointer in these tests points into an `items` array kept alive.
        unsafe { *p.as_ptr() }
    }

    #[test]
    fn push_pop_is_fifo_and_full_ring_refuses() {
        let it = items(CAPACITY + 1);
        let (mut local, steal) = local::<u64>();
        assert!(local.is_empty() && steal.is_empty());
        for i in 0..CAPACITY {
            local.push_back(ptr(&it, i)).unwrap();
        }
        assert_eq!(local.remaining(), 0);
        assert_eq!(
            val(local.push_back(ptr(&it, CAPACITY)).unwrap_err()),
            CAPACITY as u64
        );
        for i in 0..CAPACITY {
            assert_eq!(val(local.pop().unwrap()), i as u64);
        }
        assert!(local.pop().is_none());
    }

    #[test]
    fn indices_wrap_around_the_ring() {
        let it = items(3);
        let (mut local, _steal) = local::<u64>();
        for round in 0..(CAPACITY * 2 + 3) {
            local.push_back(ptr(&it, round % 3)).unwrap();
            assert_eq!(val(local.pop().unwrap()), (round % 3) as u64);
        }
        assert!(local.is_empty());
    }

    #[test]
    fn overflow_moves_oldest_half_plus_item() {
        let it = items(CAPACITY + 1);
        let (mut local, _steal) = local::<u64>();
        for i in 0..CAPACITY {
            local.push_back_or_overflow(ptr(&it, i), |_| panic!("not full yet"));
        }
        let mut moved = Vec::new();
        local.push_back_or_overflow(ptr(&it, CAPACITY), |batch| {
            moved.extend(batch.map(val));
        });
        let mut expect: Vec<u64> = (0..CAPACITY as u64 / 2).collect();
        expect.push(CAPACITY as u64);
        assert_eq!(moved, expect);
        assert_eq!(local.len(), CAPACITY / 2);
        assert_eq!(val(local.pop().unwrap()), CAPACITY as u64 / 2);
        while local.pop().is_some() {}
    }

    #[test]
    fn steal_takes_half_rounded_up() {
        let it = items(5);
        let (mut victim, steal) = local::<u64>();
        let (mut thief, _thief_steal) = local::<u64>();
        assert!(steal.steal_into(&mut thief).is_none());
        for i in 0..5 {
            victim.push_back(ptr(&it, i)).unwrap();
        }
        // 3 of 5 stolen: the last one is returned, the other two land in the thief.
        assert_eq!(val(steal.steal_into(&mut thief).unwrap()), 2);
        assert_eq!(thief.len(), 2);
        assert_eq!(victim.len(), 2);
        let mut got: Vec<u64> = std::iter::from_fn(|| thief.pop()).map(val).collect();
        got.extend(std::iter::from_fn(|| victim.pop()).map(val));
        assert_eq!(got, vec![0, 1, 3, 4]);
    }

    #[test]
    fn concurrent_steal_and_pop_claim_each_item_once() {
        let n = if cfg!(miri) { 24 } else { 2_000 };
        let it = items(n);
        let (mut owner, steal) = local::<u64>();
        let thief = {
            let it = it.clone();
            std::thread::spawn(move || {
                let (mut mine, _s) = local::<u64>();
                let mut got = Vec::new();
                // Keep stealing until the owner signals the end by an empty, final look.
                for _ in 0..n {
                    if let Some(p) = steal.steal_into(&mut mine) {
                        got.push(val(p));
                    }
                    while let Some(p) = mine.pop() {
                        got.push(val(p));
                    }
                    std::thread::yield_now();
                }
                drop(it);
                got
            })
        };
        let mut got = Vec::new();
        for i in 0..n {
            if owner.push_back(ptr(&it, i)).is_err() {
                got.push(val(owner.pop().unwrap()));
                owner.push_back(ptr(&it, i)).unwrap();
            }
            if i % 3 == 0 {
                if let Some(p) = owner.pop() {
                    got.push(val(p));
                }
            }
        }
        let stolen = thief.join().unwrap();
        while let Some(p) = owner.pop() {
            got.push(val(p));
        }
        got.extend(stolen);
        assert_eq!(got.len(), n, "every item claimed exactly once");
        let unique: HashSet<u64> = got.into_iter().collect();
        assert_eq!(unique.len(), n);
    }
}

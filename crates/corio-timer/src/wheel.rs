//! The hierarchical timing wheel, owned by the timer driver (single-threaded, no locks).
//!
//! # Layout
//! Time is counted in nanoseconds since the driver's origin; the wheel's tick is 1 ms.
//! There are [`LEVELS`] levels of 64 slots; a slot at level `L` spans `64^L` ticks, so
//! level 0 holds the current 64 ms, level 1 the current ~4 s, ..., level 7 ~ 8900 years
//! (enough for every deadline below `NEVER`). Each level keeps a 64-bit bitmap of its
//! occupied slots, so the next occupied slot is one `trailing_zeros`.
//!
//! A timer with tick `t` is filed, relative to the wheel position `elapsed` (a tick), at
//! the level of the highest 6-bit digit in which `t` and `elapsed` differ, in the slot
//! given by `t`'s digit at that level. Entries live in a slab and each slot is a doubly
//! linked list threaded through it by index, so insert and remove are O(1).
//!
//! # Exact deadlines
//! Each slot also records the smallest deadline (in ns) ever filed in it since it was last
//! empty. It is exact, or lower than the true minimum after a removal, never higher. That
//! gives the driver the *exact* nearest deadline to park until, without rounding to the
//! tick: a `sleep(1ms)` parks 1 ms, not "until the next tick boundary after 1 ms".
//!
//! # Invariants
//! 1. Every filed deadline `d` satisfies `d > processed` (`processed` = the instant up to
//!    which everything has fired) and `tick(d) >= elapsed`; `elapsed <= tick(processed)`
//!    between calls.
//! 2. At level 0, every occupied slot holds ticks of `elapsed`'s 64-tick block, at or
//!    after `elapsed`. At a level `L >= 1`, every occupied slot lies strictly after the
//!    slot containing `elapsed` (that slot is cascaded as soon as time reaches it). Hence
//!    all level-0 entries come before all level-1 entries, and so on up the levels.
//! 3. A slot's `min` is <= every deadline in it; a non-empty slot's bit is set, an empty
//!    slot's bit is clear.
//! 4. Timers due in one pass fire in `(deadline, registration sequence)` order.

use std::fmt;
use std::sync::Arc;

use crate::entry::{Entry, NO_KEY};
use crate::loom::Ordering;

/// Number of levels (6 bits each; 8 levels cover every tick below `NEVER`).
pub(crate) const LEVELS: usize = 8;
const SLOTS: usize = 64;
/// Nanoseconds per wheel tick.
pub(crate) const TICK_NS: u64 = 1_000_000;
const NIL: u32 = u32::MAX;
/// An emptied slab larger than this is released, so memory returns to its baseline.
const SHRINK_ABOVE: usize = 4096;

#[derive(Clone, Copy)]
struct Slot {
    head: u32,
    tail: u32,
    min: u64,
}

struct Node {
    /// `None` while the node is vacant (on the free list through `next`).
    entry: Option<Arc<Entry>>,
    deadline: u64,
    seq: u64,
    prev: u32,
    next: u32,
    /// `level * 64 + slot`.
    slot: u16,
}

/// The timing wheel. See the module docs.
pub(crate) struct Wheel {
    /// The wheel position, in ticks.
    elapsed: u64,
    /// Everything with a deadline <= this (ns) has fired.
    processed: u64,
    occupied: [u64; LEVELS],
    slots: Box<[Slot]>,
    nodes: Vec<Node>,
    free: u32,
    len: usize,
    seq: u64,
    /// Reused buffer of `(deadline, seq, node)` for one slot's due timers.
    due: Vec<(u64, u64, u32)>,
}

impl Wheel {
    pub(crate) fn new() -> Self {
        Wheel {
            elapsed: 0,
            processed: 0,
            occupied: [0; LEVELS],
            slots: vec![
                Slot {
                    head: NIL,
                    tail: NIL,
                    min: u64::MAX
                };
                LEVELS * SLOTS
            ]
            .into_boxed_slice(),
            nodes: Vec::new(),
            free: NIL,
            len: 0,
            seq: 0,
            due: Vec::new(),
        }
    }

    /// How many timers are filed.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slab's capacity (for memory tests).
    pub(crate) fn capacity(&self) -> usize {
        self.nodes.capacity()
    }

    /// Everything due at or before this instant (ns) has fired.
    pub(crate) fn processed(&self) -> u64 {
        self.processed
    }

    /// Files `entry` under `deadline` (> `processed`, rule 1); records its key in it.
    pub(crate) fn insert(&mut self, entry: Arc<Entry>, deadline: u64) {
        debug_assert!(deadline > self.processed);
        let seq = self.seq;
        self.seq += 1;
        let node = Node {
            entry: Some(entry),
            deadline,
            seq,
            prev: NIL,
            next: NIL,
            slot: 0,
        };
        let idx = if self.free != NIL {
            let idx = self.free;
            self.free = self.nodes[idx as usize].next;
            self.nodes[idx as usize] = node;
            idx
        } else {
            let idx = u32::try_from(self.nodes.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("more than 4 billion timers are armed at once");
            self.nodes.push(node);
            idx
        };
        self.len += 1;
        if let Some(e) = &self.nodes[idx as usize].entry {
            e.key.store(idx as usize, Ordering::Relaxed);
        }
        self.link(idx);
    }

    /// Unfiles the entry with `key`; returns it.
    pub(crate) fn remove(&mut self, key: usize) -> Option<Arc<Entry>> {
        let idx = u32::try_from(key).ok()?;
        self.nodes.get(key)?.entry.as_ref()?;
        self.unlink(idx);
        self.release(idx)
    }

    /// The exact nearest deadline (ns), or a lower bound after removals; `None` if empty.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        let level = (0..LEVELS).find(|&l| self.occupied[l] != 0)?;
        let slot = self.first_slot(level);
        Some(self.slots[level * SLOTS + slot].min)
    }

    /// Fires every timer due at `now` (ns), in deadline order; returns how many fired.
    /// `fire(entry, deadline)` reports whether the timer really fired (a reset may have
    /// raced it).
    pub(crate) fn process(&mut self, now: u64, mut fire: impl FnMut(&Entry, u64) -> bool) -> usize {
        let mut fired = 0;
        loop {
            if self.occupied[0] != 0 {
                let s = self.first_slot(0);
                if self.slots[s].min > now {
                    break;
                }
                self.elapsed = (self.elapsed & !63) | s as u64;
                fired += self.fire_slot(s, now, &mut fire);
                continue;
            }
            let Some(level) = (1..LEVELS).find(|&l| self.occupied[l] != 0) else {
                break;
            };
            let s = self.first_slot(level);
            let shift = 6 * level as u32;
            let block = self.elapsed & !((1u64 << (shift + 6)) - 1);
            let start = block | ((s as u64) << shift);
            if start > now / TICK_NS {
                break;
            }
            debug_assert!(start > self.elapsed);
            self.elapsed = start;
            self.cascade(level * SLOTS + s);
        }
        if now > self.processed {
            self.processed = now;
            self.elapsed = self.elapsed.max(now / TICK_NS);
        }
        fired
    }

    /// Removes and returns every filed entry (driver shutdown).
    pub(crate) fn drain(&mut self) -> Vec<Arc<Entry>> {
        let all = self
            .nodes
            .iter_mut()
            .filter_map(|n| n.entry.take())
            .inspect(|e| e.key.store(NO_KEY, Ordering::Relaxed))
            .collect();
        self.occupied = [0; LEVELS];
        self.len = 0;
        self.nodes = Vec::new();
        self.free = NIL;
        all
    }

    fn first_slot(&self, level: usize) -> usize {
        let cur = (self.elapsed >> (6 * level as u32)) & 63;
        let bits = self.occupied[level];
        debug_assert!(
            bits & ((1u64 << cur) - 1) == 0,
            "slot behind the wheel at level {level}"
        );
        (bits & (u64::MAX << cur)).trailing_zeros() as usize
    }

    fn slot_for(&self, deadline: u64) -> usize {
        let tick = deadline / TICK_NS;
        let diff = (self.elapsed ^ tick) | 63;
        let level = ((63 - diff.leading_zeros()) / 6) as usize;
        debug_assert!(level < LEVELS);
        level * SLOTS + ((tick >> (6 * level as u32)) & 63) as usize
    }

    fn link(&mut self, idx: u32) {
        let deadline = self.nodes[idx as usize].deadline;
        let s = self.slot_for(deadline);
        let (level, bit) = (s / SLOTS, 1u64 << (s % SLOTS));
        let prev = if self.occupied[level] & bit == 0 {
            self.occupied[level] |= bit;
            self.slots[s].head = idx;
            self.slots[s].min = deadline;
            NIL
        } else {
            let tail = self.slots[s].tail;
            self.slots[s].min = self.slots[s].min.min(deadline);
            self.nodes[tail as usize].next = idx;
            tail
        };
        self.slots[s].tail = idx;
        let node = &mut self.nodes[idx as usize];
        node.prev = prev;
        node.next = NIL;
        node.slot = s as u16;
    }

    fn unlink(&mut self, idx: u32) {
        let (prev, next, s) = {
            let n = &self.nodes[idx as usize];
            (n.prev, n.next, n.slot as usize)
        };
        if prev == NIL {
            self.slots[s].head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.slots[s].tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        if self.slots[s].head == NIL {
            self.occupied[s / SLOTS] &= !(1u64 << (s % SLOTS));
        }
    }

    /// Frees an unlinked node; returns its entry.
    fn release(&mut self, idx: u32) -> Option<Arc<Entry>> {
        let node = &mut self.nodes[idx as usize];
        let entry = node.entry.take();
        node.next = self.free;
        self.free = idx;
        self.len -= 1;
        if let Some(e) = &entry {
            e.key.store(NO_KEY, Ordering::Relaxed);
        }
        if self.len == 0 {
            self.free = NIL;
            if self.nodes.capacity() > SHRINK_ABOVE {
                self.nodes = Vec::new();
            } else {
                self.nodes.clear();
            }
        }
        entry
    }

    /// Detaches slot `s`'s list; returns its head.
    fn take_slot(&mut self, s: usize) -> u32 {
        let head = self.slots[s].head;
        self.slots[s].head = NIL;
        self.slots[s].tail = NIL;
        self.occupied[s / SLOTS] &= !(1u64 << (s % SLOTS));
        head
    }

    fn cascade(&mut self, s: usize) {
        let mut idx = self.take_slot(s);
        while idx != NIL {
            let next = self.nodes[idx as usize].next;
            self.link(idx);
            debug_assert!((self.nodes[idx as usize].slot as usize) / SLOTS < s / SLOTS);
            idx = next;
        }
    }

    fn fire_slot(
        &mut self,
        s: usize,
        now: u64,
        fire: &mut impl FnMut(&Entry, u64) -> bool,
    ) -> usize {
        let mut idx = self.take_slot(s);
        let mut due = std::mem::take(&mut self.due);
        while idx != NIL {
            let next = self.nodes[idx as usize].next;
            let n = &self.nodes[idx as usize];
            if n.deadline <= now {
                due.push((n.deadline, n.seq, idx));
            } else {
                // Not due yet: back into the same slot (its min becomes exact).
                self.link(idx);
            }
            idx = next;
        }
        if due.len() > 1 {
            due.sort_unstable_by_key(|&(d, seq, _)| (d, seq));
        }
        let mut fired = 0;
        for &(deadline, _, idx) in &due {
            if let Some(entry) = self.release(idx) {
                if fire(&entry, deadline) {
                    fired += 1;
                }
            }
        }
        due.clear();
        self.due = due;
        fired
    }
}

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("len", &self.len)
            .field("elapsed_ms", &self.elapsed)
            .field("processed_ns", &self.processed)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::task::Waker;

    /// A tiny deterministic PRNG (xorshift) so the model test needs no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn entry(d: u64) -> Arc<Entry> {
        let e = Entry::new(d, Waker::noop());
        e.deadline.store(d, Ordering::Relaxed);
        e
    }

    /// Random inserts, removals and time steps across every level, checked against a
    /// sorted model: everything due fires, nothing early, in (deadline, seq) order, and
    /// `next_deadline` is a lower bound of the true minimum above `processed`.
    #[test]
    fn matches_a_sorted_model() {
        let rounds = if cfg!(miri) { 60 } else { 4000 };
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut wheel = Wheel::new();
        let mut model: BTreeMap<(u64, u64), Arc<Entry>> = BTreeMap::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        let mut total_fired = 0;
        let scales = [
            1_000,
            TICK_NS,
            64 * TICK_NS,
            4096 * TICK_NS,
            1 << 40,
            1 << 55,
        ];
        for _ in 0..rounds {
            match rng.below(10) {
                0..=5 => {
                    let scale = scales[rng.below(scales.len() as u64) as usize];
                    let d = now + 1 + rng.below(scale);
                    let e = entry(d);
                    wheel.insert(e.clone(), d);
                    model.insert((d, seq), e);
                    seq += 1;
                }
                6 => {
                    if let Some(k) = model
                        .keys()
                        .nth(rng.below(model.len() as u64 + 1) as usize)
                        .copied()
                    {
                        let e = model.remove(&k).unwrap();
                        let key = e.key.load(Ordering::Relaxed);
                        assert!(Arc::ptr_eq(&wheel.remove(key).unwrap(), &e));
                        assert_eq!(e.key.load(Ordering::Relaxed), NO_KEY);
                    }
                }
                _ => {
                    if let Some(next) = wheel.next_deadline() {
                        let true_min = model.keys().next().unwrap().0;
                        assert!(next <= true_min && next > wheel.processed());
                    } else {
                        assert!(model.is_empty());
                    }
                    let step = match rng.below(3) {
                        0 => rng.below(2 * TICK_NS),
                        1 => wheel.next_deadline().map_or(0, |n| n - now),
                        _ => {
                            let bits = 10 + rng.below(40);
                            rng.below(1 << bits)
                        }
                    };
                    now += step;
                    let mut fired = Vec::new();
                    wheel.process(now, |e, d| {
                        fired.push((d, e as *const Entry));
                        true
                    });
                    let expect: Vec<_> = model
                        .range(..(now + 1, 0))
                        .map(|(&(d, _), e)| (d, Arc::as_ptr(e)))
                        .collect();
                    assert_eq!(fired, expect, "at {now}");
                    total_fired += fired.len();
                    model.retain(|&(d, _), _| d > now);
                }
            }
            assert_eq!(wheel.len(), model.len());
        }
        assert!(
            total_fired > rounds / 10,
            "the model test fired only {total_fired}"
        );
    }

    #[test]
    fn emptied_wheel_releases_its_slab() {
        let n = if cfg!(miri) { 50 } else { 10_000 };
        let mut wheel = Wheel::new();
        let entries: Vec<_> = (1..=n).map(|i| entry(i * 1000)).collect();
        for e in &entries {
            wheel.insert(e.clone(), e.deadline.load(Ordering::Relaxed));
        }
        for e in entries.iter().rev() {
            wheel.remove(e.key.load(Ordering::Relaxed)).unwrap();
        }
        assert_eq!(wheel.len(), 0);
        if n > SHRINK_ABOVE as u64 {
            assert_eq!(wheel.capacity(), 0);
        }
        assert_eq!(wheel.next_deadline(), None);
        assert!(entries.iter().all(|e| Arc::strong_count(e) == 1));
    }
}

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
//! # The current tick's run
//! The driver wakes at each exact deadline, so a tick can be processed many times, each
//! time with only part of its slot due. The not-yet-due part of a processed level-0 slot
//! moves to the *run* of `(deadline, seq, node)` items for the current tick only. Later
//! passes pop what is due from its top instead of rescanning the slot, so `k` distinct
//! deadlines within one tick cost O(k log k) in all, not O(k²). The run is a vector sorted
//! once, largest first (the first split of a tick: usually the whole slot, popped from
//! its end in O(1)), plus a binary min-heap for what later splits of the same tick add;
//! its top is the smaller of the two tops. A node in the run is marked with the
//! pseudo-slot [`RUN`]; removing it is O(1) (amortised): the node is released at once
//! and its run item goes stale, recognised by its `seq` (unique per filing) no longer
//! matching a live node.
//!
//! # Staged timers
//! A timer filed by its own future (the direct path of `entry.rs`: a first poll, or a
//! reset of a timer that is still armed; a fired timer re-armed is linked at once) is
//! first *staged*: its `(entry, deadline, seq)` is pushed on a plain list and its key
//! says so ([`STAGED`] plus its index). The next pass links every staged timer into its
//! slot before it looks at any slot, so the slots never see the difference; the nearest
//! deadline counts the staged ones through `staged_min`. A timer cancelled before that
//! pass (a `timeout` whose future wins, a `select!` branch that loses) is unstaged with a
//! swap-remove and never touches a slot: the staged timer moved into its place gets its
//! key updated. Its `seq` is taken when it is staged, so the order of rule 4 is the
//! order of filing. A staged timer holds no reference count on its entry (rule 8): a
//! timer filed and cancelled before the pass costs no atomic read-modify-write here.
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
//! 4. Timers due in one pass fire in `(deadline, registration sequence)` order, exactly
//!    once each.
//! 5. Between calls, every live node with `slot == RUN` has exactly one run item
//!    `(deadline, seq, node)` in the run, and its tick is `elapsed` (a level-0 slot is
//!    only split into due and run when its `min` is due, so its not-due part lies in
//!    the tick of `now`). `run_live` counts those nodes. Every other run item is stale:
//!    its `seq` differs from its node's, or the node is vacant.
//! 6. The run's top item, if any, is live (stale tops are popped after each removal and
//!    each pass), so it is the run's exact minimum; stale items number at most
//!    `run_live + COMPACT_SLACK` (the run is compacted beyond that).
//! 7. A staged timer `i` has key `STAGED | i` and `staged[i]` holds it; it satisfies rule
//!    1 like a linked one. `staged_min` is <= every staged deadline (a lower bound after
//!    unstaging). Between calls no slot or run item refers to a staged timer.
//! 8. A staged timer's entry is not counted by the wheel (a node's is: it holds an
//!    `Arc`). It is kept alive by its owner's `Arc` or, once the owner let go of it, by
//!    the hand-off queue's: an owner lets go of a filed entry only after unfiling it
//!    under the lock, or after disarming it through the queue, which then holds a
//!    reference (entry rule 3) until the driver, under the lock, has popped it and
//!    unfiled the entry. So a staged timer's entry is alive while the wheel's lock is
//!    held; `link_staged` takes a count for the node it links it into.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::entry::{Entry, NO_KEY};
use crate::loom::Ordering;

/// Number of levels (6 bits each; 8 levels cover every tick below `NEVER`).
pub(crate) const LEVELS: usize = 8;
const SLOTS: usize = 64;
/// Nanoseconds per wheel tick.
pub(crate) const TICK_NS: u64 = 1_000_000;
const NIL: u32 = u32::MAX;
/// `Node::slot` of a node in the current tick's run (rule 5): past every real slot.
const RUN: u16 = (LEVELS * SLOTS) as u16;
/// An emptied slab (or run, or due buffer) larger than this is released, so memory
/// returns to its baseline.
const SHRINK_ABOVE: usize = 4096;
/// Stale run items tolerated beyond the live ones before the run is compacted (rule 6).
const COMPACT_SLACK: usize = 64;
/// How many spare entries the wheel keeps for reuse.
const SPARE_MAX: usize = 64;
/// The key bit of a staged timer (rule 7): above every node index (`u32`, below `NIL`)
/// on 64-bit targets; on 32-bit ones `insert` keeps node indices below it.
pub(crate) const STAGED: usize = 1 << (usize::BITS - 1);

/// A staged timer (rule 7).
struct Staged {
    entry: Uncounted,
    deadline: u64,
    seq: u64,
}

/// A staged timer's entry: a pointer that holds no reference count (rule 8).
#[derive(Clone, Copy)]
struct Uncounted(NonNull<Entry>);

// SAFETY: the pointee is an `Entry` (`Send + Sync`: atomics and an `AtomicWaker`), only
// reached through `&Entry` or as an `Arc<Entry>`, by the holder of the wheel's lock.
unsafe impl Send for Uncounted {}

impl Uncounted {
    /// Points at `entry` without counting it; `Arc::as_ptr` keeps the allocation's
    /// provenance, so [`counted`](Self::counted) may rebuild an `Arc` from it.
    fn new(entry: &Arc<Entry>) -> Uncounted {
        // SAFETY: `Arc::as_ptr` points into a live allocation: never null.
        Uncounted(unsafe { NonNull::new_unchecked(Arc::as_ptr(entry).cast_mut()) })
    }

    /// The entry.
    ///
    /// # Safety
    /// It is alive: the wheel's lock is held and the timer is staged (rule 8).
    unsafe fn get(&self) -> &Entry {
        // SAFETY: alive by the caller's contract; only shared access is ever made.
        unsafe { self.0.as_ref() }
    }

    /// A new counted reference to the entry (for the node it is linked into).
    ///
    /// # Safety
    /// As [`get`](Self::get).
    unsafe fn counted(&self) -> Arc<Entry> {
        let ptr = self.0.as_ptr().cast_const();
        // SAFETY: `ptr` came from `Arc::as_ptr` of an `Arc<Entry>` whose allocation is
        // alive with a count of at least one (rule 8, the caller's contract), so adding
        // a count and taking ownership of it is sound.
        unsafe {
            Arc::increment_strong_count(ptr);
            Arc::from_raw(ptr)
        }
    }
}

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
    /// `level * 64 + slot`, or [`RUN`].
    slot: u16,
}

/// A run item: `(deadline, seq, node)`.
type RunItem = (u64, u64, u32);

/// The current tick's not-yet-due timers (module docs, rules 5 and 6): a vector sorted
/// largest first and a min-heap. Every item is in exactly one of them.
struct Run {
    /// Sorted largest first: its minimum is `last()`.
    sorted: Vec<RunItem>,
    /// What was added while `sorted` was not empty.
    heap: BinaryHeap<Reverse<RunItem>>,
}

impl Run {
    fn new() -> Run {
        Run {
            sorted: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// The smallest item.
    #[inline]
    fn peek(&self) -> Option<RunItem> {
        match (self.sorted.last(), self.heap.peek()) {
            (Some(&s), Some(&Reverse(h))) => Some(s.min(h)),
            (Some(&s), None) => Some(s),
            (None, Some(&Reverse(h))) => Some(h),
            (None, None) => None,
        }
    }

    /// Removes the smallest item (the one `peek` shows).
    #[inline]
    fn pop(&mut self) {
        match (self.sorted.last(), self.heap.peek()) {
            (Some(&s), Some(&Reverse(h))) if h < s => {
                self.heap.pop();
            }
            (Some(_), _) => {
                self.sorted.pop();
            }
            (None, _) => {
                self.heap.pop();
            }
        }
    }

    /// Adds `batch` (leaving it empty): sorted at once when the sorted part is empty,
    /// else into the heap.
    fn add(&mut self, batch: &mut Vec<RunItem>) {
        if batch.is_empty() {
            return;
        }
        if self.sorted.is_empty() {
            if batch.len() > 1 {
                batch.sort_unstable_by(|a, b| b.cmp(a));
            }
            std::mem::swap(&mut self.sorted, batch);
        } else {
            self.heap.extend(batch.drain(..).map(Reverse));
        }
    }

    fn len(&self) -> usize {
        self.sorted.len() + self.heap.len()
    }

    fn capacity(&self) -> usize {
        self.sorted.capacity() + self.heap.capacity()
    }

    /// Empties the run; a large one is released.
    fn clear(&mut self) {
        if self.capacity() > SHRINK_ABOVE {
            *self = Run::new();
        } else {
            self.sorted.clear();
            self.heap.clear();
        }
    }

    /// Keeps the items for which `keep` holds (the sorted part stays sorted).
    fn retain(&mut self, mut keep: impl FnMut(&RunItem) -> bool) {
        self.sorted.retain(&mut keep);
        self.heap.retain(|Reverse(item)| keep(item));
    }

    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = RunItem> + '_ {
        self.sorted
            .iter()
            .copied()
            .chain(self.heap.iter().map(|r| r.0))
    }
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
    /// The current tick's not-yet-due timers (rules 5 and 6).
    run: Run,
    /// Reused buffer of the not-yet-due part of a split slot, before it joins the run.
    batch: Vec<RunItem>,
    /// How many live nodes are in the run.
    run_live: usize,
    /// Reused buffer of `(deadline, seq, node)` for one pass's due timers.
    due: Vec<(u64, u64, u32)>,
    /// Timers filed since the last pass, not yet in a slot (rule 7).
    staged: Vec<Staged>,
    /// <= every staged deadline; `u64::MAX` when nothing was staged since the last pass.
    staged_min: u64,
    /// Entries no one else references (unique `Arc`s), kept for the next direct
    /// registration: a timer registered and dropped in turn allocates nothing. At most
    /// `SPARE_MAX`; not part of the wheel's invariants. A spare may keep its last
    /// owner's waker until it is re-armed or the driver next blocks
    /// ([`take_spare_wakers`](Self::take_spare_wakers)).
    spare: Vec<Arc<Entry>>,
    /// How many spares at the front of `spare` have had their wakers taken.
    spare_bare: usize,
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
            run: Run::new(),
            batch: Vec::new(),
            run_live: 0,
            due: Vec::new(),
            staged: Vec::new(),
            staged_min: u64::MAX,
            spare: Vec::new(),
            spare_bare: 0,
        }
    }

    /// A spare entry to re-arm, if any (see `spare`).
    #[inline]
    pub(crate) fn take_spare(&mut self) -> Option<Arc<Entry>> {
        let spare = self.spare.pop();
        self.spare_bare = self.spare_bare.min(self.spare.len());
        spare
    }

    /// Keeps `entry` (which must be unique: no other `Arc` to it) for reuse, or gives it
    /// back when the spare list is full.
    #[inline]
    pub(crate) fn put_spare(&mut self, entry: Arc<Entry>) -> Option<Arc<Entry>> {
        if self.spare.len() < SPARE_MAX {
            self.spare.push(entry);
            None
        } else {
            Some(entry)
        }
    }

    /// Moves the wakers the spares still hold into `out` (the driver drops them after it
    /// released the lock), so a spare does not keep a task alive while the runtime idles.
    pub(crate) fn take_spare_wakers(&mut self, out: &mut Vec<std::task::Waker>) {
        for spare in &self.spare[self.spare_bare..] {
            out.extend(spare.waker.take());
        }
        self.spare_bare = self.spare.len();
    }

    /// How many timers are filed (staged ones included).
    pub(crate) fn len(&self) -> usize {
        self.len + self.staged.len()
    }

    /// The slab's capacity plus the staged list's (for memory tests).
    pub(crate) fn capacity(&self) -> usize {
        self.nodes.capacity() + self.staged.capacity()
    }

    /// Everything due at or before this instant (ns) has fired.
    pub(crate) fn processed(&self) -> u64 {
        self.processed
    }

    /// Stages `entry` under `deadline` (> `processed`, rule 1): filed, but linked into its
    /// slot only by the next pass (rule 7); records its key in it. Takes no count on it:
    /// its owner must keep it alive until it is unfiled, or disarm it through the queue
    /// (rule 8).
    #[inline]
    pub(crate) fn stage(&mut self, entry: &Arc<Entry>, deadline: u64) {
        debug_assert!(deadline > self.processed);
        let seq = self.seq;
        self.seq = seq.wrapping_add(1);
        let i = self.staged.len();
        entry.key.store(STAGED | i, Ordering::Relaxed);
        self.staged_min = self.staged_min.min(deadline);
        self.staged.push(Staged {
            entry: Uncounted::new(entry),
            deadline,
            seq,
        });
    }

    /// Unstages the staged timer at index `i` (rule 7); returns whether there was one.
    #[inline(always)]
    fn unstage(&mut self, i: usize) -> bool {
        if i >= self.staged.len() {
            return false;
        }
        let Staged { entry, .. } = self.staged.swap_remove(i);
        if let Some(moved) = self.staged.get(i) {
            // SAFETY: staged, and we hold the wheel (rule 8).
            unsafe { moved.entry.get() }
                .key
                .store(STAGED | i, Ordering::Relaxed);
        }
        // SAFETY: it was staged until now, and we hold the wheel (rule 8).
        unsafe { entry.get() }.key.store(NO_KEY, Ordering::Relaxed);
        true
    }

    /// Links every staged timer into its slot (the start of a pass, rule 7).
    fn link_staged(&mut self) {
        if self.staged.is_empty() {
            // Emptied by unstaging: a large list is released, as `emptied` does the slab.
            if self.staged.capacity() > SHRINK_ABOVE {
                self.staged = Vec::new();
            }
            return;
        }
        let mut staged = std::mem::take(&mut self.staged);
        for Staged {
            entry,
            deadline,
            seq,
        } in staged.drain(..)
        {
            // SAFETY: staged, and we hold the wheel (rule 8).
            let entry = unsafe { entry.counted() };
            self.insert_seq(entry, deadline, seq);
        }
        if staged.capacity() <= SHRINK_ABOVE {
            self.staged = staged;
        }
        self.staged_min = u64::MAX;
    }

    /// Files `entry` under `deadline` (> `processed`, rule 1) in its slot at once;
    /// records its key in it.
    #[inline]
    pub(crate) fn insert(&mut self, entry: Arc<Entry>, deadline: u64) {
        let seq = self.seq;
        self.seq = seq.wrapping_add(1);
        self.insert_seq(entry, deadline, seq);
    }

    /// [`insert`](Self::insert) with the filing's `seq` already taken.
    #[inline]
    fn insert_seq(&mut self, entry: Arc<Entry>, deadline: u64, seq: u64) {
        debug_assert!(deadline > self.processed);
        let idx = if self.free != NIL {
            self.free
        } else {
            u32::try_from(self.nodes.len())
                .ok()
                .filter(|&i| i != NIL && (i as usize) < STAGED)
                .expect("more than 2 billion timers are armed at once")
        };
        entry.key.store(idx as usize, Ordering::Relaxed);
        // Link it at the tail of its slot, then write the node once.
        let s = self.slot_for(deadline);
        let (level, bit) = (s / SLOTS, 1u64 << (s % SLOTS));
        let prev = if self.occupied[level] & bit == 0 {
            self.occupied[level] |= bit;
            self.slots[s] = Slot {
                head: idx,
                tail: idx,
                min: deadline,
            };
            NIL
        } else {
            let slot = &mut self.slots[s];
            let tail = slot.tail;
            slot.tail = idx;
            slot.min = slot.min.min(deadline);
            self.nodes[tail as usize].next = idx;
            tail
        };
        let node = Node {
            entry: Some(entry),
            deadline,
            seq,
            prev,
            next: NIL,
            slot: s as u16,
        };
        if idx == self.free {
            let vacant = &mut self.nodes[idx as usize];
            self.free = vacant.next;
            *vacant = node;
        } else {
            self.nodes.push(node);
        }
        self.len += 1;
    }

    /// Unfiles the entry with `key` (staged or linked); returns whether it was filed.
    /// A linked entry's count is dropped here: the caller holds another reference to it
    /// (its owner's, or the queue's), so this never frees it under the lock.
    #[inline(always)]
    pub(crate) fn remove(&mut self, key: usize) -> bool {
        if key & STAGED != 0 {
            // `NO_KEY` has the bit too; its index is past the end.
            return self.unstage(key & !STAGED);
        }
        self.unlink(key)
    }

    /// Unfiles the linked entry with `key`. Out of line: the staged removal, a timer
    /// cancelled before the driver's next pass, is the one that inlines.
    #[inline(never)]
    fn unlink(&mut self, key: usize) -> bool {
        let Some(node) = self.nodes.get_mut(key) else {
            return false;
        };
        let Some(entry) = node.entry.take() else {
            return false;
        };
        let (prev, next, s) = (node.prev, node.next, node.slot);
        // Vacant: onto the free list (`key` fits in `u32`: `insert` made it).
        node.next = self.free;
        self.free = key as u32;
        self.len -= 1;
        entry.key.store(NO_KEY, Ordering::Relaxed);
        if s == RUN {
            self.left_run();
        } else {
            self.unlink_links(prev, next, s as usize);
        }
        if self.len == 0 {
            self.emptied();
        }
        drop(entry);
        true
    }

    /// The exact nearest deadline (ns), or a lower bound after removals; `None` if empty.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        // Rule 6: the run's top is live. The run's tick is `elapsed`, so the wheel's
        // first slot may still hold an earlier deadline of the same tick: take the min.
        let run = self.run.peek().map(|(d, _, _)| d);
        let wheel = (0..LEVELS)
            .find(|&l| self.occupied[l] != 0)
            .map(|level| self.slots[level * SLOTS + self.first_slot(level)].min);
        let staged = (!self.staged.is_empty()).then_some(self.staged_min);
        run.into_iter().chain(wheel).chain(staged).min()
    }

    /// Fires every timer due at `now` (ns), in deadline order; returns how many fired.
    /// `fire(entry, deadline)` reports whether the timer really fired (a reset may have
    /// raced it).
    pub(crate) fn process(&mut self, now: u64, mut fire: impl FnMut(&Entry, u64) -> bool) -> usize {
        self.link_staged();
        let mut due = std::mem::take(&mut self.due);
        // Gather: split every level-0 slot with something due (cascading higher levels
        // down as time reaches them) into `due` and the run.
        loop {
            if self.occupied[0] != 0 {
                let s = self.first_slot(0);
                if self.slots[s].min > now {
                    break;
                }
                self.elapsed = (self.elapsed & !63) | s as u64;
                self.split_slot(s, now, &mut due);
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
        // Then what is due in the run (all of it if time left its tick).
        while let Some((deadline, seq, idx)) = self.run.peek() {
            if deadline > now {
                break;
            }
            self.run.pop();
            if self.is_live(idx, seq) {
                self.run_live -= 1;
                due.push((deadline, seq, idx));
            }
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
        if due.capacity() <= SHRINK_ABOVE {
            self.due = due;
        }
        self.tidy_run();
        if now > self.processed {
            self.processed = now;
            self.elapsed = self.elapsed.max(now / TICK_NS);
        }
        debug_assert!(self
            .run
            .peek()
            .is_none_or(|(d, _, _)| d / TICK_NS == self.elapsed));
        fired
    }

    /// Removes every filed entry and every spare, and returns those the wheel counted:
    /// the linked ones and the spares (driver shutdown; staged ones are their owners').
    pub(crate) fn drain(&mut self) -> Vec<Arc<Entry>> {
        let mut all: Vec<Arc<Entry>> = self
            .nodes
            .iter_mut()
            .filter_map(|n| n.entry.take())
            .inspect(|e| e.key.store(NO_KEY, Ordering::Relaxed))
            .collect();
        for staged in std::mem::take(&mut self.staged) {
            // SAFETY: staged until now, and we hold the wheel (rule 8). Not counted: its
            // owner (or the queue) still holds it.
            unsafe { staged.entry.get() }
                .key
                .store(NO_KEY, Ordering::Relaxed);
        }
        self.staged_min = u64::MAX;
        self.occupied = [0; LEVELS];
        self.len = 0;
        self.nodes = Vec::new();
        self.free = NIL;
        self.run = Run::new();
        self.batch = Vec::new();
        self.run_live = 0;
        // The spares too: their wakers are dropped by the caller, with the lock released.
        self.spare_bare = 0;
        all.append(&mut std::mem::take(&mut self.spare));
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

    /// Whether run item `(_, seq, idx)` still stands for a filed timer (rule 5).
    fn is_live(&self, idx: u32, seq: u64) -> bool {
        self.nodes
            .get(idx as usize)
            .is_some_and(|n| n.seq == seq && n.entry.is_some())
    }

    /// A node of the run was removed: its run item goes stale (rule 5); keeps the top
    /// live (rule 6). Out of line, so the common removals stay small where they inline.
    #[inline(never)]
    fn left_run(&mut self) {
        self.run_live -= 1;
        self.tidy_run();
    }

    /// Restores rule 6: pops stale tops, compacts a run that is mostly stale, and
    /// releases an emptied large run.
    fn tidy_run(&mut self) {
        if self.run_live == 0 {
            self.run.clear();
            return;
        }
        if self.run.len() > 2 * self.run_live + COMPACT_SLACK {
            let nodes = &self.nodes;
            self.run.retain(|&(_, seq, idx)| {
                nodes[idx as usize].seq == seq && nodes[idx as usize].entry.is_some()
            });
            debug_assert_eq!(self.run.len(), self.run_live);
        }
        while let Some((_, seq, idx)) = self.run.peek() {
            if self.is_live(idx, seq) {
                break;
            }
            self.run.pop();
        }
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

    /// Unlinks the node between `prev` and `next` from slot `s`.
    #[inline]
    fn unlink_links(&mut self, prev: u32, next: u32, s: usize) {
        debug_assert!(s < RUN as usize);
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        let slot = &mut self.slots[s];
        if prev == NIL {
            slot.head = next;
        }
        if next == NIL {
            slot.tail = prev;
        }
        if slot.head == NIL {
            self.occupied[s / SLOTS] &= !(1u64 << (s % SLOTS));
        }
    }

    /// Frees an unlinked node (or a run node whose `run_live` count was dropped);
    /// returns its entry.
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
            self.emptied();
        }
        entry
    }

    /// The last timer left: a slab that grew large is released, so memory returns to its
    /// baseline (a small one keeps its vacant nodes on the free list for the next
    /// insert). The run is already empty or about to be cleared (rule 5: no live node
    /// is left in it, and `tidy_run` clears a run without live nodes).
    #[inline]
    fn emptied(&mut self) {
        debug_assert_eq!(self.run_live, 0);
        if self.nodes.capacity() > SHRINK_ABOVE {
            self.nodes = Vec::new();
            self.free = NIL;
        }
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

    /// Empties level-0 slot `s`: its due timers go to `due`, the others to the run.
    fn split_slot(&mut self, s: usize, now: u64, due: &mut Vec<(u64, u64, u32)>) {
        let mut idx = self.take_slot(s);
        let mut batch = std::mem::take(&mut self.batch);
        while idx != NIL {
            let n = &mut self.nodes[idx as usize];
            let next = n.next;
            if n.deadline <= now {
                due.push((n.deadline, n.seq, idx));
            } else {
                n.slot = RUN;
                batch.push((n.deadline, n.seq, idx));
                self.run_live += 1;
            }
            idx = next;
        }
        self.run.add(&mut batch);
        if batch.capacity() <= SHRINK_ABOVE {
            self.batch = batch;
        }
    }
}

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("len", &self.len)
            .field("run", &self.run_live)
            .field("elapsed_ms", &self.elapsed)
            .field("processed_ns", &self.processed)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

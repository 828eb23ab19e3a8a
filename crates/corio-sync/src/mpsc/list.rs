//! The unbounded channel's queue: a multi-producer, single-consumer list of blocks.
//!
//! Messages get consecutive indices. Index `i` lives in the block whose `start` is
//! `i & !MASK`, slot `i & MASK`; blocks of [`BLOCK_CAP`] slots are chained through `next`
//! in index order. A sender claims an index with one `fetch_add` on `tail`, finds (or
//! appends) its block, writes the slot and publishes it by setting the slot's bit in the
//! block's `ready` word. The single receiver reads the slots in index order without any
//! read-modify-write and frees each block once no sender can still reach it.
//!
//! # Rules
//! 1. Indices are claimed only by `tail.fetch_add(1, Acquire)`; every claimed index is
//!    written exactly once by its claimer, and a slot's `ready` bit is set (`Release`)
//!    after its value is written. Setting the bit is the writer's last access to the
//!    block.
//! 2. A block's `next` goes from null to a block whose `start` is `start + BLOCK_CAP`,
//!    once, by a `Release` CAS; `start` never changes. So the chain from the first block
//!    holds every block ever appended, in index order.
//! 3. `block_tail` (where senders begin their walk) only moves from a block `b` to
//!    `b.next`, by a CAS, and only once `b` is *final* (all slot bits set, read with
//!    `Acquire`). Every claimer of an index in `b` therefore loaded `block_tail` before
//!    the move, so a sender that loads `block_tail` always finds a block whose `start` is
//!    at most its own index's block start, and walks forwards from there.
//! 4. The sender whose CAS moves `block_tail` past `b` *releases* `b`: it reads `tail`
//!    with a `Release` read-modify-write (`fetch_add(0)`) into `b.released_at`, then sets
//!    [`RELEASED`] in `b.ready` (`Release`) and never touches `b` again. A sender that
//!    can still walk through `b` loaded `block_tail` before that CAS; its claim was then
//!    ordered before the `fetch_add(0)` (else the `Release`/`Acquire` pair on `tail` would
//!    make it see the moved `block_tail`), so its index is below `released_at`.
//! 5. The receiver owns `head` (the block of its next index, or the last block while the
//!    next one is missing) and `free_head` (the oldest block not yet freed). It frees a
//!    block before `head` only when the block is [`RELEASED`] and every index below
//!    `released_at` has been received: each of those senders had set its slot's bit
//!    (rule 1), after its walk, so no sender can reach the block any more (rule 4).
//! 6. A claimed slot whose bit is not yet set makes the list *busy*, not empty: later
//!    slots are not read out of order. What is left when the list drops (messages of
//!    slots never received) is dropped then, each exactly once.

use std::mem::MaybeUninit;
use std::ptr;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

#[cfg(loom)]
use loom::sync::atomic::AtomicPtr;
#[cfg(not(loom))]
use std::sync::atomic::AtomicPtr;

/// Slots per block: small under loom and Miri so a few messages cross blocks.
const BLOCK_CAP: usize = if cfg!(loom) {
    2
} else if cfg!(miri) {
    4
} else {
    usize::BITS as usize / 2
};

/// `index & MASK` is the slot, `index & !MASK` the block's `start`.
const MASK: usize = BLOCK_CAP - 1;

/// The slot bits of `ready`: all set means the block is final (rule 3).
const SLOTS: usize = (1 << BLOCK_CAP) - 1;

/// Bit of `ready` set once `block_tail` has moved past the block and `released_at` is
/// stored (rule 4). Coexists with any slot bits; set at most once.
const RELEASED: usize = 1 << BLOCK_CAP;

struct Block<T> {
    /// Index of slot 0 (rule 2).
    start: usize,
    next: AtomicPtr<Block<T>>,
    /// Slot bits and [`RELEASED`].
    ready: AtomicUsize,
    /// `tail` as read by the releasing sender (rule 4); valid once [`RELEASED`] is set.
    released_at: AtomicUsize,
    slots: [UnsafeCell<MaybeUninit<T>>; BLOCK_CAP],
    /// Under loom, freeing a block is a write to this cell and every sender access a
    /// read, so loom reports a free not ordered after some sender's use (rule 5).
    #[cfg(loom)]
    alive: loom::cell::UnsafeCell<()>,
}

impl<T> Block<T> {
    fn alloc(start: usize) -> *mut Block<T> {
        Box::into_raw(Box::new(Block {
            start,
            next: AtomicPtr::new(ptr::null_mut()),
            ready: AtomicUsize::new(0),
            released_at: AtomicUsize::new(0),
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
            #[cfg(loom)]
            alive: loom::cell::UnsafeCell::new(()),
        }))
    }

    /// A sender is about to use the block (checked under loom only).
    #[inline]
    fn touch(&self) {
        #[cfg(loom)]
        self.alive.with(|_| ());
    }

    /// The block after this one, appended if missing (rule 2).
    fn next_or_append(&self) -> *mut Block<T> {
        self.touch();
        let next = self.next.load(Ordering::Acquire);
        if !next.is_null() {
            return next;
        }
        let new = Block::alloc(self.start.wrapping_add(BLOCK_CAP));
        match self
            .next
            .compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => new,
            Err(other) => {
                // SAFETY: `new` came from `Box::into_raw` above and was never published.
                drop(unsafe { Box::from_raw(new) });
                other
            }
        }
    }
}

/// Whether `a >= b` for indices that may wrap around.
fn reached(a: usize, b: usize) -> bool {
    (a.wrapping_sub(b) as isize) >= 0
}

/// What [`List::pop`] found.
pub(crate) enum Pop<T> {
    Value(T),
    /// No message claimed past the receiver's index.
    Empty,
    /// The next index is claimed but its sender has not finished writing it (rule 6).
    Busy,
}

/// The senders' side, on its own cache line.
#[repr(align(128))]
struct Tx<T> {
    /// Next index to claim (rule 1).
    tail: AtomicUsize,
    /// Rule 3.
    block_tail: AtomicPtr<Block<T>>,
}

/// The receiver's side (rule 5).
#[repr(align(128))]
struct Rx<T> {
    /// Next index to receive; written only by the receiver, read by `len`.
    index: AtomicUsize,
    blocks: UnsafeCell<RxBlocks<T>>,
}

struct RxBlocks<T> {
    head: *mut Block<T>,
    free_head: *mut Block<T>,
    /// Under loom, "freed" blocks are kept until the list drops, so a use after the
    /// free is a reported race on `alive` rather than undefined behaviour.
    #[cfg(loom)]
    retired: Vec<*mut Block<T>>,
}

/// A multi-producer, single-consumer FIFO of unbounded length (module docs).
pub(crate) struct List<T> {
    tx: Tx<T>,
    rx: Rx<T>,
}

// SAFETY: the list owns its `T`s and hands each to exactly one thread (the receiver or
// the list's drop); the raw block pointers are shared under rules 1-5.
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above; `&List` only allows pushes (any thread) and, through the `unsafe`
// receiver methods, pops by one receiver at a time.
unsafe impl<T: Send> Sync for List<T> {}

impl<T> List<T> {
    pub(crate) fn new() -> Self {
        let first = Block::alloc(0);
        List {
            tx: Tx {
                tail: AtomicUsize::new(0),
                block_tail: AtomicPtr::new(first),
            },
            rx: Rx {
                index: AtomicUsize::new(0),
                blocks: UnsafeCell::new(RxBlocks {
                    head: first,
                    free_head: first,
                    #[cfg(loom)]
                    retired: Vec::new(),
                }),
            },
        }
    }

    /// [`push`](Self::push) out of line, for code shared with the bounded flavour.
    #[inline(never)]
    pub(crate) fn push_outlined(&self, value: T) {
        self.push(value)
    }

    /// Appends `value`: one `fetch_add`, one slot write, one `fetch_or` (rule 1).
    /// Inlined into the unbounded send: the walk to a later block is out of line
    /// (`walk`).
    #[inline]
    pub(crate) fn push(&self, value: T) {
        let index = self.tx.tail.fetch_add(1, Ordering::Acquire);
        let block = self.find_block(index & !MASK);
        let slot = index & MASK;
        block.touch();
        block.slots[slot].with_mut(|p| {
            // SAFETY: this sender alone claimed `index` (rule 1), and the receiver reads
            // the slot only after the bit set below.
            unsafe { p.write(MaybeUninit::new(value)) }
        });
        block.ready.fetch_or(1 << slot, Ordering::Release);
    }

    /// The block starting at `start`, walking from `block_tail` and moving it on past
    /// final blocks (rules 3 and 4).
    #[inline]
    fn find_block(&self, start: usize) -> &Block<T> {
        let ptr = self.tx.block_tail.load(Ordering::Acquire);
        // SAFETY: `block_tail` points to an allocated block that is not released, so not
        // freed (rule 5); the receiver cannot free it before this sender's slot is set.
        let block = unsafe { &*ptr };
        block.touch();
        if block.start == start {
            return block;
        }
        self.walk(ptr, block, start)
    }

    /// `find_block`'s walk from `block` (the `block_tail` it loaded, at `ptr`) to the
    /// block starting at `start` (a later one).
    #[inline(never)]
    fn walk<'a>(
        &'a self,
        mut ptr: *mut Block<T>,
        mut block: &'a Block<T>,
        start: usize,
    ) -> &'a Block<T> {
        // Whether `block` is the current `block_tail`, so this walk may move it on.
        let mut may_advance = true;
        while block.start != start {
            debug_assert!(reached(start, block.start), "rule 3: walks go forwards");
            let next = block.next_or_append();
            if may_advance {
                may_advance = (block.ready.load(Ordering::Acquire) & SLOTS) == SLOTS
                    && self.release(block, ptr, next);
            }
            ptr = next;
            // SAFETY: a block reached through `next` from a block this sender may use is
            // freed only after this sender's slot is set (rules 4 and 5).
            block = unsafe { &*ptr };
            block.touch();
        }
        block
    }

    /// Moves `block_tail` from the final block `ptr` to `next` and releases the block
    /// (rule 4). Returns whether this call moved it.
    fn release(&self, block: &Block<T>, ptr: *mut Block<T>, next: *mut Block<T>) -> bool {
        if self
            .tx
            .block_tail
            .compare_exchange(ptr, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        let seen = self.tx.tail.fetch_add(0, Ordering::Release);
        block.touch();
        block.released_at.store(seen, Ordering::Relaxed);
        block.ready.fetch_or(RELEASED, Ordering::Release);
        true
    }

    /// Messages claimed and not yet received (in-flight sends included).
    pub(crate) fn len(&self) -> usize {
        let index = self.rx.index.load(Ordering::Relaxed);
        let tail = self.tx.tail.load(Ordering::Acquire);
        let n = tail.wrapping_sub(index);
        if n > isize::MAX as usize {
            0 // raced with a receive: `index` was read after `tail` moved on
        } else {
            n
        }
    }

    /// Messages received so far (wrapping): the receiver's own index.
    ///
    /// # Safety
    /// Only the single receiver calls it (its index is its own).
    pub(crate) unsafe fn received(&self) -> usize {
        self.rx.index.load(Ordering::Relaxed)
    }

    /// Takes the next message in index order, freeing blocks as rule 5 allows. Out of
    /// line (the unbounded receive inlines [`pop_fast`](Self::pop_fast) instead), so the
    /// channel code shared with the bounded flavour stays small.
    ///
    /// # Safety
    /// Only the single receiver calls `pop`, never concurrently with another `pop`.
    #[inline(never)]
    pub(crate) unsafe fn pop(&self) -> Pop<T> {
        // SAFETY: forwarded from the caller.
        match unsafe { self.pop_fast() } {
            Some(v) => Pop::Value(v),
            // SAFETY: forwarded from the caller.
            None => unsafe { self.pop_slow() },
        }
    }

    /// The common case of [`pop`](Self::pop), small enough to inline: the next slot is
    /// written, in the `head` block, and no block waits to be freed. `None` says only
    /// that this case does not apply (`pop` then does the rest).
    ///
    /// # Safety
    /// As `pop`.
    #[inline]
    pub(crate) unsafe fn pop_fast(&self) -> Option<T> {
        self.rx.blocks.with_mut(|blocks| {
            // SAFETY: the caller is the only receiver (# Safety).
            let blocks = unsafe { &*blocks };
            let index = self.rx.index.load(Ordering::Relaxed);
            // SAFETY: `head` is never freed while it is `head` (rule 5).
            let head = unsafe { &*blocks.head };
            if head.start != index & !MASK || blocks.free_head != blocks.head {
                return None;
            }
            let slot = index & MASK;
            if head.ready.load(Ordering::Acquire) & (1 << slot) == 0 {
                return None;
            }
            let value = head.slots[slot].with_mut(|p| {
                // SAFETY: the bit is set, so the value is written and visible (rule 1);
                // `index` is read once, as the receiver's index moves past it now.
                unsafe { p.read().assume_init() }
            });
            self.rx
                .index
                .store(index.wrapping_add(1), Ordering::Relaxed);
            Some(value)
        })
    }

    /// [`pop`](Self::pop) in full: moves `head` on, frees blocks, tells empty from busy.
    ///
    /// # Safety
    /// As `pop`.
    #[inline(always)]
    unsafe fn pop_slow(&self) -> Pop<T> {
        self.rx.blocks.with_mut(|blocks| {
            // SAFETY: the caller is the only receiver (# Safety), so nobody else uses the
            // receiver's block pointers now.
            let blocks = unsafe { &mut *blocks };
            let index = self.rx.index.load(Ordering::Relaxed);
            let start = index & !MASK;
            // SAFETY: `head` is never freed while it is `head` (rule 5).
            let mut head = unsafe { &*blocks.head };
            if head.start != start {
                let next = head.next.load(Ordering::Acquire);
                if !next.is_null() {
                    blocks.head = next;
                    // SAFETY: `next` was appended (rule 2) and only the receiver frees.
                    head = unsafe { &*next };
                }
            }
            if blocks.free_head != blocks.head {
                // SAFETY: the caller is the only receiver (# Safety).
                unsafe { Self::reclaim(blocks, index) };
            }
            if head.start != start {
                return self.empty_or_busy(index);
            }
            let slot = index & MASK;
            if head.ready.load(Ordering::Acquire) & (1 << slot) == 0 {
                return self.empty_or_busy(index);
            }
            let value = head.slots[slot].with_mut(|p| {
                // SAFETY: the bit is set, so the value is written and visible (rule 1);
                // `index` is read once, as the receiver's index moves past it now.
                unsafe { p.read().assume_init() }
            });
            self.rx
                .index
                .store(index.wrapping_add(1), Ordering::Relaxed);
            Pop::Value(value)
        })
    }

    fn empty_or_busy(&self, index: usize) -> Pop<T> {
        if self.tx.tail.load(Ordering::Acquire) == index {
            Pop::Empty
        } else {
            Pop::Busy
        }
    }

    /// Frees the blocks before `head` that rule 5 proves unreachable.
    ///
    /// # Safety
    /// Only the single receiver calls it, with its own `blocks` and `index`.
    unsafe fn reclaim(blocks: &mut RxBlocks<T>, index: usize) {
        while blocks.free_head != blocks.head {
            // SAFETY: `free_head` is allocated: only this loop frees, then moves on.
            let block = unsafe { &*blocks.free_head };
            if block.ready.load(Ordering::Acquire) & RELEASED == 0 {
                return;
            }
            if !reached(index, block.released_at.load(Ordering::Relaxed)) {
                return;
            }
            let next = block.next.load(Ordering::Acquire);
            #[cfg(loom)]
            {
                block.alive.with_mut(|_| ());
                blocks.retired.push(blocks.free_head);
            }
            #[cfg(not(loom))]
            // SAFETY: rule 5: released, every index below `released_at` received, and
            // all of its slots were received before `head` moved past it.
            drop(unsafe { Box::from_raw(blocks.free_head) });
            blocks.free_head = next;
        }
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        let index = self.rx.index.load(Ordering::Relaxed);
        let mut ptr = self.rx.blocks.with_mut(|blocks| {
            // SAFETY: `&mut self`: no sender or receiver is left.
            let blocks = unsafe { &mut *blocks };
            #[cfg(loom)]
            for retired in blocks.retired.drain(..) {
                // SAFETY: retired blocks are unreachable (rule 5) and listed once.
                drop(unsafe { Box::from_raw(retired) });
            }
            blocks.free_head
        });
        while !ptr.is_null() {
            // SAFETY: every block from `free_head` on is allocated and owned by the list
            // now (rule 2: the chain holds them all; rule 5: none of them was freed).
            let block = unsafe { Box::from_raw(ptr) };
            let ready = block.ready.load(Ordering::Relaxed);
            for (slot, cell) in block.slots.iter().enumerate() {
                if ready & (1 << slot) != 0 && reached(block.start.wrapping_add(slot), index) {
                    cell.with_mut(|p| {
                        // SAFETY: written (bit set) and never received (at or past the
                        // receiver's index), so it is dropped here exactly once (rule 6).
                        unsafe { (*p).assume_init_drop() }
                    });
                }
            }
            ptr = block.next.load(Ordering::Relaxed);
        }
    }
}

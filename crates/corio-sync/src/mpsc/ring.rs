//! The bounded channel's queue: a multi-producer, single-consumer ring whose capacity
//! is enforced outside it, by the channel's semaphore.
//!
//! Messages get consecutive positions. Position `p` lives in slot `p & mask`, where the
//! slot count is the capacity rounded up to a power of two (so no division; at most
//! twice the slots the capacity needs). A sender claims a position with one
//! `fetch_add` on `tail`, writes the value and publishes it by storing `p + 1` into the
//! slot's `stamp`. The single receiver reads its position's slot without any
//! read-modify-write and without writing the slot at all: it only moves its own
//! `head`. So a receive pulls the slot's cache line in shared, and a send's write is
//! the only store to it.
//!
//! # Rules
//! 1. A sender claims a position only while it holds one of the channel's capacity
//!    permits (the semaphore has `cap <= slots` of them), by `tail.fetch_add(1, AcqRel)`;
//!    it writes the slot exactly once and then stores `stamp = p + 1` (`Release`), its
//!    last access to the slot. The permit stays with the message until the receiver
//!    has read it.
//! 2. The receiver reads position `head` iff its slot's `stamp == head + 1`
//!    (`Acquire`): a slot's stamp is always that of the last position written into it,
//!    so it matches only once `head` itself is written. It moves the value out, moves
//!    `head` on and only then gives the permit back (the semaphore's `AcqRel`
//!    read-modify-write).
//! 3. No slot is overwritten before it is read. The claims of positions `p - cap ..= p`
//!    are `cap + 1` permits; at the latest of their permit acquisitions, at most `cap`
//!    were held, so the receiver had already given back the permit of one of them —
//!    and it reads and gives back in position order, so that of `p - cap` (and of
//!    `p - slots <= p - cap`) first. That acquisition happens-before its claimer's
//!    claim, whose `AcqRel` `fetch_add` happens-before every later claim of `tail`
//!    (all of them read-modify-writes), `p`'s included: the read of `p - slots`
//!    happens-before the write of `p`.
//! 4. A claimed position whose stamp is not yet stored makes the ring *busy*, not
//!    empty: later positions are not read out of order. What is left when the ring drops
//!    (positions written and never read) is dropped then, each exactly once.

use std::mem::MaybeUninit;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

/// What [`Ring::pop`] found at the receiver's position.
pub(crate) enum Pop<T> {
    Value(T),
    /// No position claimed past the receiver's.
    Empty,
    /// The next position is claimed but its sender has not finished writing it (rule 4).
    Busy,
}

struct Slot<T> {
    /// `p + 1` for the last position `p` written here (0: none yet).
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// The senders' claim counter, on its own cache line.
#[repr(align(128))]
struct Tail(AtomicUsize);

/// The receiver's position (written only by the receiver, read by `len`), on its own
/// cache line: senders never read it.
#[repr(align(128))]
struct Head(AtomicUsize);

/// A fixed ring of slots (module docs); the capacity permits live in the channel.
pub(crate) struct Ring<T> {
    tail: Tail,
    head: Head,
    slots: Box<[Slot<T>]>,
    /// `slots.len() - 1` (a power of two minus one).
    mask: usize,
}

// SAFETY: the ring owns its `T`s and hands each to exactly one thread (the receiver or
// the ring's drop); slots are shared under rules 1-3.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above; `&Ring` only allows pushes by permit holders (any thread) and,
// through the `unsafe` receiver methods, pops by one receiver at a time.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// A ring for `cap` permits (`cap >= 1`).
    pub(crate) fn new(cap: usize) -> Self {
        let n = cap.next_power_of_two();
        let slots = (0..n)
            .map(|_| Slot {
                stamp: AtomicUsize::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Ring {
            tail: Tail(AtomicUsize::new(0)),
            head: Head(AtomicUsize::new(0)),
            slots,
            mask: n - 1,
        }
    }

    /// Appends `value`. The caller holds a capacity permit, which now belongs to the
    /// message (rule 1).
    #[inline]
    pub(crate) fn push(&self, value: T) {
        let pos = self.tail.0.fetch_add(1, Ordering::AcqRel);
        let slot = &self.slots[pos & self.mask];
        slot.value.with_mut(|p| {
            // SAFETY: rule 3: the value last written here was read (moved out) before
            // this claim, and no other sender claims `pos`; the slot is ours to write.
            unsafe { (*p).write(value) };
        });
        slot.stamp.store(pos.wrapping_add(1), Ordering::Release);
    }

    /// Takes the message at the receiver's position (rule 2).
    ///
    /// # Safety
    /// Only the single receiver calls it, never concurrently with another `pop`.
    #[inline]
    pub(crate) unsafe fn pop(&self) -> Pop<T> {
        let head = self.head.0.load(Ordering::Relaxed);
        let slot = &self.slots[head & self.mask];
        if slot.stamp.load(Ordering::Acquire) != head.wrapping_add(1) {
            return if self.tail.0.load(Ordering::Acquire) == head {
                Pop::Empty
            } else {
                Pop::Busy
            };
        }
        let value = slot.value.with_mut(|p| {
            // SAFETY: the stamp says position `head` was written (rule 2, `Acquire`
            // pairs with the writer's `Release`); only this receiver reads it, once,
            // and no sender writes it again before the permit goes back (rule 3).
            unsafe { (*p).assume_init_read() }
        });
        self.head.0.store(head.wrapping_add(1), Ordering::Relaxed);
        Pop::Value(value)
    }

    /// Messages claimed and not yet received (in-flight sends included).
    pub(crate) fn len(&self) -> usize {
        let head = self.head.0.load(Ordering::Relaxed);
        let tail = self.tail.0.load(Ordering::Acquire);
        let n = tail.wrapping_sub(head);
        if n > isize::MAX as usize {
            0 // raced with a receive: `head` was read after `tail` moved on
        } else {
            n
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let tail = self.tail.0.load(Ordering::Relaxed);
        let mut pos = self.head.0.load(Ordering::Relaxed);
        while pos != tail {
            let slot = &self.slots[pos & self.mask];
            if slot.stamp.load(Ordering::Relaxed) == pos.wrapping_add(1) {
                slot.value.with_mut(|p| {
                    // SAFETY: written (stamped) and never read (at or past `head`):
                    // dropped here exactly once (rule 4). `&mut self`: no one else.
                    unsafe { (*p).assume_init_drop() }
                });
            }
            pos = pos.wrapping_add(1);
        }
    }
}

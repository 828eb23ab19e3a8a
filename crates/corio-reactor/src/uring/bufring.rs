//! The driver's provided-buffer ring (`io_uring_register_buf_ring`, Linux >= 5.19): a
//! pool of receive buffers the kernel picks from, so a multishot `IORING_OP_RECV`
//! (`stream.rs`) needs no buffer of its own per connection.
//!
//! # Ownership of a buffer (the rules)
//! 1. The pool's memory (the ring of entries and the buffers) is allocated once and
//!    freed only when the driver is dropped with no operation that may select a buffer
//!    still in the kernel (module rule 6); otherwise it is leaked, never freed.
//! 2. A buffer id is owned by exactly one side at a time: the kernel while it is in the
//!    ring; the driver's slot from the completion that names it (`IORING_CQE_F_BUFFER`)
//!    until an owner takes the completion; then that owner (the stream's read side),
//!    which reads only the bytes the completion reported and gives the id back with
//!    [`BufRing::give_back`] once it has copied them out.
//! 3. Every path that drops a completion naming a buffer gives the id back: an orphan's
//!    completion (module rule 3), the queue of a dropped multishot operation, a stream
//!    dropped with a buffer half read, a completion with an error or end of file.
//! 4. When the ring is empty the kernel ends the multishot receive with `ENOBUFS`
//!    without taking any byte from the socket; the stream then reads once into its own
//!    buffer (the plain `RECV` path) and re-arms the multishot receive on the next read,
//!    so running out of buffers costs a round trip, never a byte or a wake-up.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::IoUring;
use parking_lot::Mutex;

/// The buffer group id of the pool (the driver has one).
pub(crate) const GROUP: u16 = 0;
/// The size of each buffer.
pub(crate) const BUF_SIZE: usize = 4096;

/// The pool (see the module rules).
pub(crate) struct BufRing {
    /// `count` entries shared with the kernel; the kernel reads them up to the tail.
    ring: NonNull<BufRingEntry>,
    /// `count * BUF_SIZE` bytes of buffers; buffer `i` starts at `i * BUF_SIZE`.
    bufs: NonNull<u8>,
    count: u16,
    /// Our copy of the ring's tail (the kernel only reads the shared one), under the
    /// lock every giver takes.
    tail: Mutex<u16>,
}

// SAFETY: the pointers are to memory this value owns; the entries are written only
// under `tail`'s lock and the buffers only by the kernel (rule 2), and a buffer's bytes
// are read only by its current owner.
unsafe impl Send for BufRing {}
// SAFETY: as for `Send`: all shared mutation goes through the lock or the kernel.
unsafe impl Sync for BufRing {}

impl BufRing {
    /// The pool's size from `CORIO_URING_BUFS` (a power of two up to 32 768, e.g.
    /// 1024 = 4 MiB); `None` when unset or 0: no pool, and streams use plain receives.
    ///
    /// Off by default: with 4 KiB buffers a 64 KiB message takes 16 completions, and
    /// `echo_bench` measured the multishot path at 0.3-0.5x tokio for 64 KiB messages
    /// where plain 64 KiB receives reach 0.4-0.8x (docs/benchmarks.md, load ~17).
    pub(crate) fn configured_count() -> io::Result<Option<u16>> {
        match std::env::var("CORIO_URING_BUFS") {
            Err(_) => Ok(None),
            Ok(v) => match v.trim().parse::<u16>() {
                Ok(0) => Ok(None),
                Ok(n) if n.is_power_of_two() && n <= 32768 => Ok(Some(n)),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("CORIO_URING_BUFS must be 0 or a power of two up to 32768, got {v:?}"),
                )),
            },
        }
    }

    fn layouts(count: u16) -> (Layout, Layout) {
        let ring = Layout::from_size_align(
            usize::from(count) * std::mem::size_of::<BufRingEntry>(),
            4096,
        )
        .expect("a valid layout");
        let bufs =
            Layout::from_size_align(usize::from(count) * BUF_SIZE, 4096).expect("a valid layout");
        (ring, bufs)
    }

    /// Allocates `count` buffers, registers them with `uring` as group [`GROUP`] and
    /// hands them all to the kernel.
    ///
    /// # Errors
    /// The kernel's refusal (`EINVAL` before Linux 5.19), or out of memory.
    pub(crate) fn new(uring: &IoUring, count: u16) -> io::Result<BufRing> {
        let (ring_layout, bufs_layout) = Self::layouts(count);
        // SAFETY: both layouts have a non-zero size (`count >= 1`).
        let (ring, bufs) = unsafe { (alloc_zeroed(ring_layout), alloc_zeroed(bufs_layout)) };
        let (Some(ring), Some(bufs)) = (NonNull::new(ring.cast()), NonNull::new(bufs)) else {
            return Err(io::ErrorKind::OutOfMemory.into());
        };
        let pool = BufRing {
            ring,
            bufs,
            count,
            tail: Mutex::new(0),
        };
        // SAFETY: the ring is page-aligned, `count` entries long and lives until the
        // pool is dropped, which happens only after the ring is unregistered or the
        // io_uring instance is gone (rule 1).
        unsafe {
            uring.submitter().register_buf_ring_with_flags(
                ring.as_ptr() as u64,
                count,
                GROUP,
                0,
            )?;
        }
        for bid in 0..count {
            pool.give_back(bid);
        }
        Ok(pool)
    }

    /// Buffer `bid`'s first `len` bytes, written by the completion that handed it over.
    ///
    /// # Safety
    /// The caller owns `bid` (rule 2: taken from a completion, not yet given back) and
    /// that completion reported at least `len` bytes.
    pub(crate) unsafe fn bytes(&self, bid: u16, len: usize) -> &[u8] {
        debug_assert!(bid < self.count && len <= BUF_SIZE);
        // SAFETY: `bid < count`, so the range is inside the allocation; the kernel
        // wrote these bytes and writes no more to them until the id is given back.
        unsafe {
            std::slice::from_raw_parts(self.bufs.as_ptr().add(usize::from(bid) * BUF_SIZE), len)
        }
    }

    /// Gives buffer `bid` back to the kernel (rules 2 and 3).
    pub(crate) fn give_back(&self, bid: u16) {
        assert!(bid < self.count, "buffer id {bid} out of range");
        let mut tail = self.tail.lock();
        let index = usize::from(*tail & (self.count - 1));
        // SAFETY: `index < count`, inside the ring; the kernel reads only entries below
        // the published tail, and this one is at it, so nobody else touches it (the
        // lock keeps other givers out).
        unsafe {
            let entry = &mut *self.ring.as_ptr().add(index);
            entry.set_addr(self.bufs.as_ptr().add(usize::from(bid) * BUF_SIZE) as u64);
            entry.set_len(BUF_SIZE as u32);
            entry.set_bid(bid);
        }
        *tail = tail.wrapping_add(1);
        // SAFETY: the tail field overlays the first entry's reserved field of the ring
        // we own; `AtomicU16` has the layout of `u16`.
        let shared_tail = unsafe { &*BufRingEntry::tail(self.ring.as_ptr()).cast::<AtomicU16>() };
        // Release: the kernel reads the entry only after it sees the new tail.
        shared_tail.store(*tail, Ordering::Release);
    }

    /// Frees the pool (rule 1).
    ///
    /// # Safety
    /// No operation that may select a buffer is in the kernel, and the ring is no
    /// longer registered (the io_uring instance is closed) or never will be used again.
    pub(crate) unsafe fn free(self) {
        let (ring_layout, bufs_layout) = Self::layouts(self.count);
        // SAFETY: allocated in `new` with these layouts; by the caller's promise the
        // kernel no longer reads or writes them.
        unsafe {
            dealloc(self.ring.as_ptr().cast(), ring_layout);
            dealloc(self.bufs.as_ptr(), bufs_layout);
        }
    }
}

impl std::fmt::Debug for BufRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufRing")
            .field("count", &self.count)
            .finish()
    }
}

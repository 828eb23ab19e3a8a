//! [`IndexedWakers`]: one waker per index, all reporting to one owner, which takes the
//! indices that were woken since it last looked (a `JoinSet`'s tasks, a `gather`'s
//! futures).
//!
//! # Implementation
//! The wakers' state lives in one reference-counted `Shared`: the woken-index list, the
//! owner's waker and the entries, one per index, allocated in chunks of doubling size
//! (8, 16, 32, …) that never move. A waker is a pointer to its entry; cloning it counts
//! one reference to `Shared`. So N wakers cost about log2(N) allocations, not N. Rules:
//! 1. An entry's `shared` and `index` are written once, before any waker of it exists;
//!    its `queued` flag is the only part that changes afterwards.
//! 2. Only the owner (through `&mut IndexedWakers`) adds chunks; nobody else reads the
//!    chunk list, and chunks are freed only when `Shared` is (the last reference gone).
//!    An entry pointer held by a waker therefore stays valid while the waker lives.
//! 3. A wake sets `queued` (`swap`, acquire-release) and, only if it was clear, pushes the
//!    index on the woken list and wakes the owner: an index is listed at most once until
//!    the owner takes it.
//! 4. The owner takes the whole list, then clears each index's `queued` (`swap`,
//!    acquire-release) before it looks at that index's resource. A wake before the clear
//!    is covered by this look (the clear reads from the waker's `swap`, so the waker's
//!    earlier writes are visible); a wake after it lists the index again. No wake is
//!    lost; an index may be listed again while its resource has nothing new (the owner
//!    tolerates such stale indices).

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::AtomicWaker;
use crate::lock::Mutex;

/// Entries in the first chunk; chunk `k` holds `FIRST << k`.
const FIRST: usize = 8;

struct Entry {
    /// The `Arc<Shared>`'s pointer (rule 1): wakers count references through it.
    shared: *const Shared,
    index: usize,
    /// Rule 3.
    queued: AtomicBool,
}

struct Shared {
    woken: Mutex<Vec<usize>>,
    owner: AtomicWaker,
    /// Rule 2: the chunks (leaked boxed slices), touched only by the owner and by drop.
    chunks: std::cell::UnsafeCell<Vec<NonNull<[Entry]>>>,
}

// SAFETY: `chunks` is only touched by the single owner (rule 2) and by the drop of the
// last reference; the entries are shared read-only apart from their atomics; `woken` and
// `owner` synchronise themselves.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Drop for Shared {
    fn drop(&mut self) {
        for chunk in self.chunks.get_mut().drain(..) {
            // SAFETY: every chunk came from `Box::into_raw` in `grow` and is freed once,
            // here, when no waker (so no entry pointer) is left (rule 2).
            drop(unsafe { Box::from_raw(chunk.as_ptr()) });
        }
    }
}

/// The owner's side: lends a waker per index and takes the woken indices.
///
/// # Examples
///
/// ```
/// use corio_core::waker::IndexedWakers;
///
/// let mut wakers = IndexedWakers::new();
/// let w3 = wakers.waker(3).clone();
/// let w1 = wakers.waker(1).clone();
/// w3.wake_by_ref();
/// w1.wake();
/// w3.wake(); // listed once until taken
/// let mut woken = Vec::new();
/// wakers.take_woken(&mut woken);
/// assert_eq!(woken, [3, 1]);
/// ```
pub struct IndexedWakers {
    shared: Arc<Shared>,
    /// Indices below this have an entry.
    capacity: usize,
}

/// A waker lent by [`IndexedWakers::waker`]: valid while the borrow lasts; clone it to
/// keep one.
pub struct IndexWaker<'a> {
    waker: ManuallyDrop<Waker>,
    _owner: std::marker::PhantomData<&'a IndexedWakers>,
}

impl Deref for IndexWaker<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

impl fmt::Debug for IndexWaker<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexWaker").finish_non_exhaustive()
    }
}

impl IndexedWakers {
    /// No wakers yet (no entry is allocated before the first [`waker`](Self::waker)).
    pub fn new() -> Self {
        IndexedWakers {
            shared: Arc::new(Shared {
                woken: Mutex::new(Vec::new()),
                owner: AtomicWaker::new(),
                chunks: std::cell::UnsafeCell::new(Vec::new()),
            }),
            capacity: 0,
        }
    }

    /// The waker of `index`: waking it lists `index` (once until taken) and wakes the
    /// owner's registered waker.
    #[inline]
    pub fn waker(&mut self, index: usize) -> IndexWaker<'_> {
        while index >= self.capacity {
            self.grow();
        }
        let entry = self.entry(index);
        // SAFETY: the entry lives as long as `Shared` (rule 2), which `self` keeps alive
        // for the borrow; the lent waker is never dropped (`ManuallyDrop`), so it takes
        // no reference of its own, and its clones take one each.
        let waker = unsafe { Waker::from_raw(RawWaker::new(entry.as_ptr().cast(), &VTABLE)) };
        IndexWaker {
            waker: ManuallyDrop::new(waker),
            _owner: std::marker::PhantomData,
        }
    }

    /// Registers the owner's waker, woken by the first wake after it.
    pub fn register(&self, waker: &Waker) {
        self.shared.owner.register(waker);
    }

    /// Appends the indices woken since the last call to `into` (each once), in wake order,
    /// and re-arms them (rule 4): look at each index's resource *after* this returns.
    pub fn take_woken(&mut self, into: &mut Vec<usize>) {
        let start = into.len();
        {
            let mut woken = self.shared.woken.lock();
            if woken.is_empty() {
                return;
            }
            if start == 0 {
                std::mem::swap(&mut *woken, into);
            } else {
                into.append(&mut woken);
            }
        }
        for &index in &into[start..] {
            // SAFETY: a listed index had a waker, so its entry exists (rule 2).
            let entry = unsafe { self.entry(index).as_ref() };
            // Rule 4: acquire the waker's writes before the owner looks.
            entry.queued.swap(false, Ordering::AcqRel);
        }
    }

    /// Adds the next chunk (rule 2).
    #[cold]
    fn grow(&mut self) {
        // SAFETY: only the owner (`&mut self`) touches the chunk list (rule 2).
        let chunks = unsafe { &mut *self.shared.chunks.get() };
        let size = FIRST << chunks.len();
        let shared = Arc::as_ptr(&self.shared);
        let base = self.capacity;
        let chunk: Box<[Entry]> = (0..size)
            .map(|i| Entry {
                shared,
                index: base + i,
                queued: AtomicBool::new(false),
            })
            .collect();
        chunks.push(NonNull::from(Box::leak(chunk)));
        self.capacity += size;
    }

    /// The entry of an index below `capacity`.
    #[inline]
    fn entry(&self, index: usize) -> NonNull<Entry> {
        debug_assert!(index < self.capacity);
        // Chunk k starts at FIRST * (2^k - 1).
        let q = index / FIRST + 1;
        let k = (usize::BITS - 1 - q.leading_zeros()) as usize;
        let offset = index - FIRST * ((1 << k) - 1);
        // SAFETY: only the owner touches the chunk list (rule 2); `index < capacity`, so
        // chunk `k` exists and holds `offset`.
        unsafe {
            let chunks = &*self.shared.chunks.get();
            chunks[k].cast::<Entry>().add(offset)
        }
    }
}

impl Default for IndexedWakers {
    fn default() -> Self {
        IndexedWakers::new()
    }
}

impl fmt::Debug for IndexedWakers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexedWakers")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Entry {
    /// Rule 3.
    fn wake(&self) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: the caller's waker holds a reference to `Shared` (rule 2).
        let shared = unsafe { &*self.shared };
        shared.woken.lock().push(self.index);
        shared.owner.wake();
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// # Safety (all four)
/// `data` is an entry pointer whose `Shared` is kept alive by the waker being used
/// (a counted clone, or the owner's lent waker).
unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: see above; the clone counts one more reference.
    unsafe {
        let entry = &*data.cast::<Entry>();
        Arc::increment_strong_count(entry.shared);
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: the waker is consumed: wake, then give up its reference.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker's reference keeps the entry alive (rule 2).
    unsafe { &*data.cast::<Entry>() }.wake();
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: a counted waker owns one reference; read the pointer before giving it up
    // (the entry may be freed with `Shared`).
    unsafe {
        let shared = (*data.cast::<Entry>()).shared;
        Arc::decrement_strong_count(shared);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn indices_across_chunks_report_themselves() {
        let mut wakers = IndexedWakers::new();
        let held: Vec<Waker> = (0..100).map(|i| wakers.waker(i).clone()).collect();
        for i in (0..100).rev().step_by(7) {
            held[i].wake_by_ref();
        }
        let mut woken = Vec::new();
        wakers.take_woken(&mut woken);
        let expected: Vec<usize> = (0..100).rev().step_by(7).collect();
        assert_eq!(woken, expected);
        // Re-armed: the same wakers list them again.
        held[5].wake_by_ref();
        held[99].wake_by_ref();
        let mut more = vec![42];
        wakers.take_woken(&mut more);
        assert_eq!(more, [42, 5, 99]);
    }

    #[test]
    fn wakers_outlive_the_owner() {
        let mut wakers = IndexedWakers::new();
        let w = wakers.waker(20).clone();
        let w2 = w.clone();
        drop(wakers);
        w.wake();
        w2.wake_by_ref();
        drop(w2);
    }

    #[test]
    fn a_wake_wakes_the_owner_once_until_taken() {
        use std::sync::atomic::AtomicUsize;
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let owner = Waker::from(count.clone());
        let mut wakers = IndexedWakers::new();
        wakers.register(&owner);
        let w = wakers.waker(0).clone();
        w.wake_by_ref();
        w.wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        let mut woken = Vec::new();
        wakers.take_woken(&mut woken);
        assert_eq!(woken, [0]);
        wakers.register(&owner);
        w.wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn wakes_from_other_threads() {
        let mut wakers = IndexedWakers::new();
        let held: Vec<Waker> = (0..16).map(|i| wakers.waker(i).clone()).collect();
        std::thread::scope(|s| {
            for chunk in held.chunks(4) {
                s.spawn(move || chunk.iter().for_each(Waker::wake_by_ref));
            }
        });
        let mut woken = Vec::new();
        wakers.take_woken(&mut woken);
        woken.sort_unstable();
        assert_eq!(woken, (0..16).collect::<Vec<_>>());
    }
}

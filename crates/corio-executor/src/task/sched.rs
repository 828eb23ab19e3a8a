//! [`TaskScheduler`]: the scheduler a task belongs to, as one tagged word in its header.
//!
//! The runtime's [`Scheduler`] enum is two words (a tag and an `Arc`); a task header
//! stores it as one, so the header stays 80 bytes with the context-variable slot (a
//! task with a small future is then a 128-byte glibc chunk: fast bins).
//!
//! # Invariants
//! 1. The low two bits are the variant tag; with them cleared, the word is the pointer
//!    of an `Arc` (from `Arc::into_raw`) owned by this value, except for `BLOCKING`,
//!    whose word is a dangling, never-dereferenced pointer.
//! 2. Every pointee type is at least 4-aligned (checked at compile time), so the two
//!    tag bits are free; the pointer keeps its provenance (`map_addr`).
//! 3. Dropping the value releases its `Arc` exactly once.

use std::ptr::NonNull;
use std::sync::Arc;

use super::raw::Header;
use super::Notified;
use crate::debug::DebugConfig;
use crate::local::LocalShared;
use crate::scheduler::Scheduler;
use crate::{current_thread, multi_thread};

const TAG_MASK: usize = 0b11;
const CURRENT_THREAD: usize = 0;
const MULTI_THREAD: usize = 1;
const BLOCKING: usize = 2;
const LOCAL: usize = 3;

/// The scheduler of a task, in one word (see the module invariants).
pub(crate) struct TaskScheduler(NonNull<u8>);

// SAFETY: the word owns an `Arc` of a `Send + Sync` scheduler state (or nothing).
unsafe impl Send for TaskScheduler {}
// SAFETY: as above; shared access only reads through the `Arc`.
unsafe impl Sync for TaskScheduler {}

/// A decoded [`TaskScheduler`].
pub(crate) enum View<'a> {
    CurrentThread(&'a current_thread::Shared),
    MultiThread(&'a multi_thread::Shared),
    Blocking,
    Local(&'a LocalShared),
}

fn tagged<T>(arc: Arc<T>, tag: usize) -> NonNull<u8> {
    const { assert!(std::mem::align_of::<T>() >= 4) };
    let ptr = NonNull::new(Arc::into_raw(arc) as *mut T).expect("Arc pointers are non-null");
    // Rule 2: tag the address, keep the provenance.
    ptr.cast::<u8>().map_addr(|a| a | tag)
}

impl TaskScheduler {
    /// A task of the blocking pool.
    pub(crate) fn blocking() -> Self {
        // Rule 1: dangling (4-aligned), never dereferenced.
        TaskScheduler(
            NonNull::<u32>::dangling()
                .cast::<u8>()
                .map_addr(|a| a | BLOCKING),
        )
    }

    /// A local task of the set `shared`.
    pub(crate) fn local(shared: Arc<LocalShared>) -> Self {
        TaskScheduler(tagged(shared, LOCAL))
    }

    #[inline(always)]
    fn tag(&self) -> usize {
        self.0.addr().get() & TAG_MASK
    }

    /// The `Arc`'s pointer under tag `TAG` (rule 1: subtracting the known tag restores
    /// the address; provenance is kept).
    #[inline(always)]
    fn ptr<T, const TAG: usize>(&self) -> *const T {
        self.0.as_ptr().wrapping_sub(TAG).cast::<T>()
    }

    #[inline(always)]
    pub(crate) fn view(&self) -> View<'_> {
        // SAFETY: rule 1: for each tag, the untagged pointer is a live `Arc` of that
        // type owned by `self`, so it outlives the returned borrow.
        unsafe {
            match self.tag() {
                CURRENT_THREAD => View::CurrentThread(&*self.ptr::<_, CURRENT_THREAD>()),
                MULTI_THREAD => View::MultiThread(&*self.ptr::<_, MULTI_THREAD>()),
                BLOCKING => View::Blocking,
                _ => View::Local(&*self.ptr::<_, LOCAL>()),
            }
        }
    }

    /// Queues `task` (see [`Scheduler::schedule`]).
    #[inline]
    pub(crate) fn schedule(&self, task: Notified, is_yield: bool) {
        match self.view() {
            View::CurrentThread(s) => s.schedule(task),
            View::MultiThread(s) => s.schedule(task, is_yield),
            View::Blocking => drop(task),
            View::Local(s) => s.schedule(task),
        }
    }

    /// The runtime's debug-mode settings (see [`Scheduler::debug`]).
    #[inline]
    pub(crate) fn debug(&self) -> Option<&DebugConfig> {
        match self.view() {
            View::CurrentThread(s) => s.common.debug.as_deref(),
            View::MultiThread(s) => s.common.debug.as_deref(),
            View::Blocking | View::Local(_) => None,
        }
    }

    /// Removes a completing task from its owned list (see [`Scheduler::release`]).
    #[inline]
    pub(crate) fn release(&self, header: &Header) -> bool {
        match self.view() {
            View::CurrentThread(s) => s.common.owned.remove(header),
            View::MultiThread(s) => s.common.owned.remove(header),
            View::Blocking => false,
            View::Local(s) => s.owned.remove(header),
        }
    }
}

impl From<Scheduler> for TaskScheduler {
    fn from(s: Scheduler) -> Self {
        match s {
            Scheduler::CurrentThread(s) => TaskScheduler(tagged(s, CURRENT_THREAD)),
            Scheduler::MultiThread(s) => TaskScheduler(tagged(s, MULTI_THREAD)),
        }
    }
}

impl Drop for TaskScheduler {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: rule 3: the `Arc` this word owns is released once, with its own type.
        unsafe {
            match self.tag() {
                CURRENT_THREAD => drop(Arc::from_raw(
                    self.ptr::<current_thread::Shared, CURRENT_THREAD>(),
                )),
                MULTI_THREAD => drop(Arc::from_raw(
                    self.ptr::<multi_thread::Shared, MULTI_THREAD>(),
                )),
                BLOCKING => {}
                _ => drop(Arc::from_raw(self.ptr::<LocalShared, LOCAL>())),
            }
        }
    }
}

//! [`gather`]: run many futures concurrently, outputs in input order.
//!
//! # Implementation
//! The futures live in one heap slice of [`Slot`]s, pinned in place for the `Gather`'s
//! whole life (one allocation for all of them, never moved); pending futures are
//! polled with the wakers of one [`IndexedWakers`] (entries in chunks, no allocation
//! per future). Rules:
//! 1. The first poll polls every future once, in input order. The `p`-th future found
//!    pending there (`pending[p]` is its slot) was polled with waker `p`; the futures
//!    that completed at once before the next pending one were polled with that same
//!    waker `p + 1`, lent and not cloned, so a ready future costs one poll and nothing
//!    else (a late wake from one of them is a stale wake of another slot).
//! 2. Later polls register the `Gather`'s own waker, then take the woken indices and
//!    poll each of those slots that still holds a future (a stale index, whose future
//!    finished or was not woken, costs a poll that returns `Pending` or nothing). A
//!    future is polled again only after a wake of its waker.
//! 3. Each poll of the `Gather` takes the woken list once: a future that wakes itself
//!    while polled is polled at the next poll (its wake woke the `Gather`'s task), so
//!    one busy future cannot starve the caller.
//! 4. Outputs are written into the slot they came from; the slice is freed only in
//!    `Drop` (which drops unfinished futures in place). Wakers left in other tasks only
//!    point into the `IndexedWakers`, never into the slice.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use corio_core::waker::IndexedWakers;

/// Runs every future of `futures` concurrently and returns their outputs in input order
/// (asyncio's `gather(*aws)`).
///
/// All futures run inside the returned future, on the task that awaits it; to use more
/// threads, pass `JoinHandle`s of spawned tasks. Only futures that were woken are polled
/// again, so a `gather` of N futures costs O(1) per wake-up, not O(N); futures that are
/// ready at once cost no allocation of their own.
///
/// Unlike asyncio's `gather`, an error does not stop anything: outputs are plain values
/// (a `Result` is just another value). Use [`try_gather`](crate::try_gather()) to stop at
/// the first `Err`, and [`gather_settled`](crate::gather_settled) to also turn panics
/// into errors. For a fixed set of futures of different types, use
/// [`gather!`](crate::gather!).
///
/// # Panics
/// A panic in one of the futures propagates out of the `Gather` (the other futures are
/// dropped when it is). A `Gather` polled again after such a panic (e.g. behind
/// `catch_unwind`) panics too, rather than hang: it cannot be resumed.
///
/// # Examples
///
/// ```
/// use corio_combinators::gather;
///
/// futures::executor::block_on(async {
///     let squares = gather((1..=4).map(|i| async move { i * i })).await;
///     assert_eq!(squares, [1, 4, 9, 16]);
/// });
/// ```
///
/// # Cancel safety
/// Dropping the `Gather` drops every future it still holds; outputs already produced are
/// dropped with it.
pub fn gather<I>(futures: I) -> Gather<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let slots: Box<[Slot<I::Item>]> = futures.into_iter().map(Slot::Running).collect();
    let len = slots.len();
    Gather {
        // Rule 4: freed only in `Drop`.
        slots: NonNull::from(Box::leak(slots)),
        len,
        remaining: len,
        wakers: None,
        pending: Vec::new(),
        woken: Vec::new(),
        started: false,
        done: false,
        unwinding: false,
    }
}

/// One input future, then its output.
enum Slot<F: Future> {
    Running(F),
    Done(F::Output),
    Taken,
}

impl<F: Future> Slot<F> {
    /// Polls the future in this slot, if it still holds one; on completion stores the
    /// output. Returns whether the future finished in this call.
    ///
    /// # Safety
    /// `slot` points to a live slot that never moves again, and the caller (the
    /// `Gather`, through `&mut`) is the only party touching it.
    unsafe fn poll_at(slot: NonNull<Slot<F>>, cx: &mut Context<'_>) -> bool {
        // SAFETY: the caller guarantees exclusive access to a live slot.
        let slot = unsafe { &mut *slot.as_ptr() };
        let Slot::Running(fut) = slot else {
            return false; // rule 2: a stale index
        };
        // SAFETY: the slot never moves (the slice is freed, not moved, rule 4), and the
        // future is only dropped in place (by the assignment below or the slice's drop).
        let fut = unsafe { Pin::new_unchecked(fut) };
        match fut.poll(cx) {
            Poll::Ready(out) => {
                *slot = Slot::Done(out);
                true
            }
            Poll::Pending => false,
        }
    }
}

/// The future returned by [`gather`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Gather<F: Future> {
    /// The leaked `Box<[Slot<F>]>` (rule 4); never moved, freed in `Drop`.
    slots: NonNull<[Slot<F>]>,
    len: usize,
    /// Futures not finished yet.
    remaining: usize,
    /// Rules 1 and 2; created at the first poll.
    wakers: Option<IndexedWakers>,
    /// Rule 1: the slot of each waker index.
    pending: Vec<usize>,
    /// The woken indices being polled (kept to reuse its buffer).
    woken: Vec<usize>,
    started: bool,
    done: bool,
    /// Set while a poll runs: still set at the next poll means a future panicked (and
    /// its slot's state is unknown), so that poll panics instead of waiting forever.
    unwinding: bool,
}

// SAFETY: the `Gather` owns the futures and outputs in its slots (through a raw pointer),
// so it may move to another thread when they may.
unsafe impl<F: Future + Send> Send for Gather<F> where F::Output: Send {}
// SAFETY: `&Gather` only reads counters (`Debug`); it never touches the slots.
unsafe impl<F: Future + Sync> Sync for Gather<F> where F::Output: Sync {}

// The futures are pinned in their heap slice, never inline: moving the `Gather` moves no
// pinned data.
impl<F: Future> Unpin for Gather<F> {}

impl<F: Future> Gather<F> {
    /// Slot `index` of the live slice `slots`.
    fn slot(slots: NonNull<[Slot<F>]>, index: usize) -> NonNull<Slot<F>> {
        debug_assert!(index < slots.len());
        // SAFETY: `index < len`, inside the live slice.
        unsafe { NonNull::new_unchecked(slots.as_ptr().cast::<Slot<F>>().add(index)) }
    }

    /// Rule 1: the first poll.
    fn start(&mut self, cx: &mut Context<'_>) {
        let wakers = self.wakers.insert(IndexedWakers::new());
        wakers.register(cx.waker());
        let mut waker = wakers.waker(0);
        for index in 0..self.len {
            let mut cx = Context::from_waker(&waker);
            // SAFETY: `&mut self` is the only access to the slots; they never move.
            if unsafe { Slot::poll_at(Self::slot(self.slots, index), &mut cx) } {
                self.remaining -= 1;
            } else {
                // Rule 1: waker `p` now belongs to this slot.
                self.pending.push(index);
                waker = wakers.waker(self.pending.len());
            }
        }
    }

    /// Rules 2 and 3: polls the futures that were woken.
    fn poll_woken(&mut self, cx: &mut Context<'_>) {
        let Some(wakers) = self.wakers.as_mut() else {
            return;
        };
        // Register before taking the list, so a wake in between is not lost.
        wakers.register(cx.waker());
        let mut woken = std::mem::take(&mut self.woken);
        wakers.take_woken(&mut woken);
        for &p in &woken {
            // A stale wake from a future that completed in the first pass may name the
            // index after the last pending one (rule 1).
            let Some(&index) = self.pending.get(p) else {
                continue;
            };
            let waker = wakers.waker(p);
            let mut cx = Context::from_waker(&waker);
            // SAFETY: as in `start`.
            if unsafe { Slot::poll_at(Self::slot(self.slots, index), &mut cx) } {
                self.remaining -= 1;
            }
        }
        woken.clear();
        self.woken = woken;
    }

    fn take_outputs(&mut self) -> Vec<F::Output> {
        // SAFETY: every future finished; `&mut self` makes this the only access.
        let slots = unsafe { &mut *self.slots.as_ptr() };
        slots
            .iter_mut()
            .map(|slot| match std::mem::replace(slot, Slot::Taken) {
                Slot::Done(out) => out,
                _ => unreachable!("every future finished"),
            })
            .collect()
    }
}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "`Gather` polled after it completed");
        assert!(
            !this.unwinding,
            "`Gather` polled again after one of its futures panicked"
        );
        this.unwinding = true;
        let poll = this.poll_inner(cx);
        this.unwinding = false;
        poll
    }
}

impl<F: Future> Gather<F> {
    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let this = self;
        if !this.started {
            this.started = true;
            this.start(cx);
        } else {
            this.poll_woken(cx);
        }
        if this.remaining > 0 {
            return Poll::Pending; // the pending futures' wakers wake us
        }
        this.done = true;
        Poll::Ready(this.take_outputs())
    }
}

impl<F: Future> Drop for Gather<F> {
    fn drop(&mut self) {
        // SAFETY: `slots` came from `Box::leak` in `gather` and is freed only here; no
        // reference to it remains.
        drop(unsafe { Box::from_raw(self.slots.as_ptr()) });
    }
}

impl<F: Future> fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("len", &self.len)
            .field("pending", &self.remaining)
            .finish()
    }
}

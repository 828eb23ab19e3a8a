//! [`gather`]: run many futures concurrently, outputs in input order.
//!
//! # Implementation
//! The futures live in one heap slice of [`Slot`]s, pinned in place for the `Gather`'s
//! whole life (one allocation for all of them, never moved). Rules:
//! 1. The first poll runs the futures inline, in input order, while they complete at
//!    once: an already-ready future costs one poll and no allocation or waker of its own.
//! 2. The first future that is pending there becomes the *head*. It was polled with the
//!    waker of a shared [`HeadWake`], which records that it was woken; the head is
//!    polled again only after such a wake-up.
//! 3. Every later future goes, unpolled, into a `FuturesUnordered` of [`SlotRef`]s
//!    (pointers to their slots), which polls each once and then only the woken ones.
//! 4. A slot is touched by exactly one party: the inline pass, the head logic, or its
//!    one `SlotRef`. The output is written into the slot it came from.
//! 5. The slice outlives every `SlotRef`: `Drop` empties the `FuturesUnordered` before
//!    freeing the slice (which drops unfinished futures in place).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio_core::AtomicWaker;
use futures::stream::{FuturesUnordered, StreamExt};

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
        in_flight: FuturesUnordered::new(),
        // Rule 5: freed only in `Drop`, after `in_flight` is emptied.
        slots: NonNull::from(Box::leak(slots)),
        len,
        remaining: len,
        head: None,
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
    /// Polls the future in this slot; on completion stores the output.
    ///
    /// # Safety
    /// `slot` points to a live slot that never moves again, and the caller is the only
    /// party touching it (rule 4).
    unsafe fn poll_at(slot: NonNull<Slot<F>>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the caller guarantees exclusive access to a live slot.
        let slot = unsafe { &mut *slot.as_ptr() };
        let Slot::Running(fut) = slot else {
            return Poll::Ready(());
        };
        // SAFETY: the slot never moves (the slice is freed, not moved, rule 5), and the
        // future is only dropped in place (by the assignment below or the slice's drop).
        let fut = unsafe { Pin::new_unchecked(fut) };
        match fut.poll(cx) {
            Poll::Ready(out) => {
                *slot = Slot::Done(out);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Rule 3: a pointer to one slot, polled by the `FuturesUnordered`.
struct SlotRef<F: Future>(NonNull<Slot<F>>);

// SAFETY: a `SlotRef` is the only party touching its slot (rule 4), so sending it sends
// the future and its output, which must be `Send`.
unsafe impl<F: Future + Send> Send for SlotRef<F> where F::Output: Send {}
// SAFETY: `&SlotRef` gives no access to the slot at all.
unsafe impl<F: Future> Sync for SlotRef<F> {}

impl<F: Future> Future for SlotRef<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the slot lives as long as this `SlotRef` (rule 5) and only it touches
        // the slot (rule 4).
        unsafe { Slot::poll_at(self.0, cx) }
    }
}

/// Rule 2: the head's waker; remembers a wake-up and passes it on to the `Gather`'s task.
struct HeadWake {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for HeadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

struct Head {
    index: usize,
    wake: Arc<HeadWake>,
    waker: Waker,
}

/// The future returned by [`gather`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Gather<F: Future> {
    /// Rule 3. Declared (and emptied in `Drop`) before the slots are freed.
    in_flight: FuturesUnordered<SlotRef<F>>,
    /// The leaked `Box<[Slot<F>]>` (rule 5); never moved, freed in `Drop`.
    slots: NonNull<[Slot<F>]>,
    len: usize,
    /// Futures not finished yet.
    remaining: usize,
    /// Rule 2.
    head: Option<Head>,
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
    fn slot(&self, index: usize) -> NonNull<Slot<F>> {
        debug_assert!(index < self.len);
        // SAFETY: `index < len`, inside the live slice.
        unsafe { NonNull::new_unchecked(self.slots.as_ptr().cast::<Slot<F>>().add(index)) }
    }

    /// Rules 1–3: the first poll.
    fn start(&mut self, cx: &mut Context<'_>) {
        let wake = Arc::new(HeadWake {
            woken: AtomicBool::new(false),
            task: AtomicWaker::new(),
        });
        wake.task.register(cx.waker());
        let waker = Waker::from(wake.clone());
        let mut inline_cx = Context::from_waker(&waker);
        for index in 0..self.len {
            // SAFETY: nothing else touches the slots yet (rule 4); they never move.
            match unsafe { Slot::poll_at(self.slot(index), &mut inline_cx) } {
                Poll::Ready(()) => self.remaining -= 1,
                Poll::Pending => {
                    for rest in index + 1..self.len {
                        self.in_flight.push(SlotRef(self.slot(rest)));
                    }
                    self.head = Some(Head { index, wake, waker });
                    return;
                }
            }
        }
    }

    /// Rule 2: polls the head if it was woken.
    fn poll_head(&mut self, cx: &mut Context<'_>) {
        let Some(head) = &self.head else { return };
        // Register before looking at `woken`, so a wake-up in between is not lost.
        head.wake.task.register(cx.waker());
        if !head.wake.woken.swap(false, Ordering::Acquire) {
            return;
        }
        let mut head_cx = Context::from_waker(&head.waker);
        // SAFETY: only the head logic touches the head's slot (rule 4).
        if unsafe { Slot::poll_at(self.slot(head.index), &mut head_cx) }.is_ready() {
            self.remaining -= 1;
            self.head = None;
        }
    }

    fn take_outputs(&mut self) -> Vec<F::Output> {
        // SAFETY: every future finished, so no `SlotRef` or head refers to the slots any
        // more; `&mut self` makes this the only access.
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
            this.poll_head(cx);
        }
        while !this.in_flight.is_empty() {
            match this.in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some(())) => this.remaining -= 1,
                Poll::Ready(None) => break,
                Poll::Pending => return Poll::Pending,
            }
        }
        if this.remaining > 0 {
            return Poll::Pending; // only the head is left; its waker is registered
        }
        this.done = true;
        Poll::Ready(this.take_outputs())
    }
}

impl<F: Future> Drop for Gather<F> {
    fn drop(&mut self) {
        // Rule 5: no `SlotRef` may outlive the slots.
        self.in_flight.clear();
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

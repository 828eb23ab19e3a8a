//! The channel core shared by the bounded and unbounded flavours.
//!
//! # Rules
//! 1. Messages live in a lock-free single-consumer queue: a fixed [`Ring`](super::ring)
//!    for bounded channels (capacity enforced by a [`RawSemaphore`]: a sender holds a
//!    permit from before its push until the receiver pops the message, so a slot is
//!    never overwritten before it is read: the ring's rule 3), and a block
//!    [`List`](super::list) for unbounded ones. In both, a send is one `fetch_add`
//!    and a store, and a receive reads without a read-modify-write on the queue; a
//!    claimed message still being written makes the queue *busy*, not empty.
//! 2. A receiver that finds the queue empty registers its waker in an [`AtomicWaker`],
//!    sets `rx_parked`, issues a `SeqCst` fence and looks at the queue again. A sender
//!    pushes, issues a `SeqCst` fence and reads `rx_parked`; only if it is set does it
//!    clear it (`swap`) and wake. The two fences order the two sides (store; fence;
//!    load on both), so either the receiver's second look sees the message or the
//!    sender sees `rx_parked` — a message is never missed, and while the receiver is
//!    busy a send costs no read-modify-write on the receiver's cache line.
//!
//!    Only the receiver sets `rx_parked`, and it clears it itself whenever it returns a
//!    message (it is not waiting then), so senders do not wake a busy receiver.
//! 3. `senders` counts live senders. The last one to drop wakes the receiver; its pushes
//!    happen-before its decrement, so a receiver that reads 0 and then finds the queue
//!    empty has seen every message.
//! 4. When the receiver drops (or closes), `rx_closed` is set and the senders' gate is
//!    closed — the bounded channel's semaphore, the unbounded channel's `gate` word —
//!    failing waiting and later sends with the value handed back; buffered messages are
//!    dropped with the receiver.
//! 5. Closing is not the end: a send *admitted* before the gate closed (a bounded
//!    permit held, reserved or not; an unbounded send past its `gate` check) is still
//!    delivered. So after `close` the receiver returns `None` only when the channel is
//!    *idle*: nothing buffered and no admitted send outstanding — every permit back in
//!    the semaphore (`available == cap`: a buffered message holds its permit until it
//!    is received), or every admitted unbounded send received (`gate / 2 == received`).
//!    Admission and closing are read-modify-writes of the same word, so each send is
//!    either admitted (and counted) or refused (and handed back): never lost.
//! 6. A permit given back unused after the close (a dropped `Permit`, a send that found
//!    the receiver closed) may be the last one the receiver waits for, so it wakes the
//!    receiver: release; `SeqCst` fence; read `rx_closed`. The receiver stored
//!    `rx_closed` before its own fence and idle check (rule 2's shape), so either it
//!    sees the permit back or the releaser sees the close and wakes it.

use std::task::{Context, Poll};

use corio_core::{coop, AtomicWaker};

use crate::loom::{fence, AtomicBool, AtomicUsize, Ordering};
use crate::semaphore::raw::RawSemaphore;

use super::error::TryRecvError;
use super::list::{self, List};
use super::ring::{self, Ring};

pub(crate) enum Items<T> {
    Bounded(Ring<T>),
    Unbounded(List<T>),
}

pub(crate) struct Chan<T> {
    items: Items<T>,
    /// Capacity permits (bounded only).
    pub(crate) sem: Option<RawSemaphore>,
    /// Rule 2, on a cache line of its own: senders only read it while the receiver is
    /// busy.
    rx: RxSignal,
    senders: AtomicUsize,
    /// `WeakSender`s alive (for `weak_count`).
    weak: AtomicUsize,
    rx_closed: AtomicBool,
    /// The bounded capacity (0 for unbounded channels).
    cap: usize,
    /// Unbounded only (rule 5): bit 0 is [`GATE_CLOSED`], the rest counts admitted sends
    /// in units of [`GATE_ONE`] (wrapping).
    gate: AtomicUsize,
}

/// `gate` bit: the receiver closed the channel; no send is admitted after it.
const GATE_CLOSED: usize = 1;
/// One admitted send in `gate`.
const GATE_ONE: usize = 2;

/// The receiver's waker and its "waiting" flag (rule 2).
#[repr(align(128))]
struct RxSignal {
    parked: AtomicBool,
    waker: AtomicWaker,
}

impl RxSignal {
    fn new() -> Self {
        RxSignal {
            parked: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }
}

impl<T> Chan<T> {
    pub(crate) fn bounded(cap: usize) -> Self {
        Chan {
            items: Items::Bounded(Ring::new(cap)),
            sem: Some(RawSemaphore::new(cap)),
            rx: RxSignal::new(),
            senders: AtomicUsize::new(1),
            weak: AtomicUsize::new(0),
            rx_closed: AtomicBool::new(false),
            cap,
            gate: AtomicUsize::new(0),
        }
    }

    pub(crate) fn unbounded() -> Self {
        Chan {
            items: Items::Unbounded(List::new()),
            sem: None,
            rx: RxSignal::new(),
            senders: AtomicUsize::new(1),
            weak: AtomicUsize::new(0),
            rx_closed: AtomicBool::new(false),
            cap: 0,
            gate: AtomicUsize::new(0),
        }
    }

    /// Unbounded: admits one send unless the receiver closed the channel (rule 5).
    /// An admitted send must be pushed.
    #[inline]
    pub(crate) fn admit(&self) -> bool {
        let mut cur = self.gate.load(Ordering::Relaxed);
        loop {
            if cur & GATE_CLOSED != 0 {
                return false;
            }
            match self.gate.compare_exchange_weak(
                cur,
                cur.wrapping_add(GATE_ONE),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Bounded: gives back `n` permits that carried no message (rule 6).
    pub(crate) fn release_unsent(&self, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(sem) = &self.sem {
            sem.release(n);
        }
        // Rule 6: the receiver may be waiting for this permit after its close.
        fence(Ordering::SeqCst);
        if self.rx_closed.load(Ordering::Relaxed) {
            self.rx.waker.wake();
        }
    }

    /// Rule 5: nothing buffered and no admitted send outstanding. Meaningful once the
    /// gate is closed (nothing new can be admitted then).
    ///
    /// # Safety
    /// Only the single receiver calls it (rule 1).
    unsafe fn idle(&self) -> bool {
        match (&self.sem, &self.items) {
            (Some(sem), _) => sem.available_permits() == self.cap,
            (None, Items::Unbounded(list)) => {
                let admitted = self.gate.load(Ordering::Acquire) / GATE_ONE;
                // SAFETY: the caller is the single receiver (# Safety).
                let received = unsafe { list.received() };
                admitted == received & (usize::MAX / GATE_ONE)
            }
            (None, Items::Bounded(_)) => unreachable!("bounded channels have a semaphore"),
        }
    }

    /// Pushes a message (a bounded sender holds a permit) and wakes the receiver.
    pub(crate) fn push(&self, value: T) {
        match &self.items {
            Items::Bounded(ring) => ring.push(value),
            Items::Unbounded(q) => q.push_outlined(value),
        }
        // Rule 2: the push happens-before this fence; the receiver's `parked` store
        // happens-before its own fence, followed by its second look at the queue.
        fence(Ordering::SeqCst);
        if self.rx.parked.load(Ordering::Relaxed) && self.rx.parked.swap(false, Ordering::AcqRel) {
            self.rx.waker.wake();
        }
    }

    /// [`push`](Self::push) for an unbounded channel, inlined into its send: the list's
    /// push, the fence and the `parked` read (rule 2) are a few instructions; the wake
    /// is out of line.
    #[inline]
    pub(crate) fn push_unbounded(&self, value: T) {
        let Items::Unbounded(list) = &self.items else {
            unreachable!("push_unbounded on a bounded channel")
        };
        list.push(value);
        // Rule 2, as in `push`.
        fence(Ordering::SeqCst);
        if self.rx.parked.load(Ordering::Relaxed) {
            self.wake_parked();
        }
    }

    /// Rule 2: the receiver looked like it was waiting.
    #[inline(never)]
    fn wake_parked(&self) {
        if self.rx.parked.swap(false, Ordering::AcqRel) {
            self.rx.waker.wake();
        }
    }

    /// Takes the next message. With `wait_busy`, a message whose sender is between its
    /// claim and its write is waited for (a few instructions away, unless that sender
    /// was preempted), so `try_recv` never reports `Empty` while a completed send's
    /// message sits behind it; `poll_recv` passes `false` and relies on the sender's
    /// wake instead (rule 2).
    ///
    /// # Safety
    /// Only the single receiver calls it (rule 1).
    unsafe fn pop(&self, wait_busy: bool) -> Option<T> {
        let mut spins = 0u32;
        let v = match &self.items {
            Items::Bounded(ring) => loop {
                // SAFETY: the caller is the single receiver (# Safety).
                match unsafe { ring.pop() } {
                    ring::Pop::Value(v) => break Some(v),
                    ring::Pop::Empty => break None,
                    ring::Pop::Busy if !wait_busy => break None,
                    ring::Pop::Busy => backoff(&mut spins),
                }
            },
            Items::Unbounded(list) => loop {
                // SAFETY: the caller is the single receiver (# Safety).
                match unsafe { list.pop() } {
                    list::Pop::Value(v) => break Some(v),
                    list::Pop::Empty => break None,
                    list::Pop::Busy if !wait_busy => break None,
                    list::Pop::Busy => backoff(&mut spins),
                }
            },
        }?;
        if let Some(sem) = &self.sem {
            // The message is in hand: a blocked sender's panicking waker must not make
            // the unwind drop it (the panic is discarded; its hook already printed it).
            sem.release_discarding_panic(1);
        }
        Some(v)
    }

    pub(crate) fn len(&self) -> usize {
        match &self.items {
            Items::Bounded(ring) => ring.len(),
            Items::Unbounded(list) => list.len(),
        }
    }

    pub(crate) fn is_rx_closed(&self) -> bool {
        self.rx_closed.load(Ordering::Acquire)
    }

    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// Rule 3.
    pub(crate) fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Pairs with the receiver's fence after it registers (rule 2's store; fence;
            // load shape): either the receiver sees `senders == 0` on its re-check, or
            // this wake sees its registration. Once per channel, so the fence is free.
            fence(Ordering::SeqCst);
            self.rx.waker.wake();
        }
    }

    /// # Safety
    /// Only the single receiver calls it (rule 1).
    pub(crate) unsafe fn try_recv(&self) -> Result<T, TryRecvError> {
        // SAFETY: the caller is the single receiver (# Safety), here and below.
        unsafe { self.recv_now(true) }
    }

    /// # Safety
    /// Only the single receiver calls it (rule 1).
    unsafe fn recv_now(&self, wait_busy: bool) -> Result<T, TryRecvError> {
        // SAFETY: the caller is the single receiver (# Safety), here and below.
        if let Some(v) = unsafe { self.pop(wait_busy) } {
            return Ok(v);
        }
        // Rule 3: pushes before the last sender left are visible now. Rule 5: after a
        // close, only once every admitted send has been received.
        let ended = self.senders.load(Ordering::Acquire) == 0
            || (self.rx_closed.load(Ordering::Acquire) && {
                // SAFETY: the caller is the single receiver (# Safety).
                unsafe { self.idle() }
            });
        if ended {
            // SAFETY: as above.
            return unsafe { self.pop(true) }.ok_or(TryRecvError::Disconnected);
        }
        Err(TryRecvError::Empty)
    }

    /// # Safety
    /// Only the single receiver calls it (rule 1).
    pub(crate) unsafe fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        // The unbounded list's common case inline: the next message is there.
        if let Items::Unbounded(list) = &self.items {
            // SAFETY: the caller is the single receiver (# Safety).
            if let Some(v) = unsafe { list.pop_fast() } {
                // Rule 2: a receiver woken for another reason is not waiting either.
                if self.rx.parked.load(Ordering::Relaxed) {
                    self.rx.parked.store(false, Ordering::Relaxed);
                }
                coop.made_progress();
                return Poll::Ready(Some(v));
            }
        }
        // SAFETY: the caller is the single receiver (# Safety), here and below.
        let r = match unsafe { self.recv_now(false) } {
            Ok(v) => {
                // Rule 2: a receiver woken for another reason is not waiting either.
                if self.rx.parked.load(Ordering::Relaxed) {
                    self.rx.parked.store(false, Ordering::Relaxed);
                }
                Poll::Ready(Some(v))
            }
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => {
                self.rx.waker.register(cx.waker());
                self.rx.parked.store(true, Ordering::Relaxed);
                // Rule 2: look again after the fence.
                fence(Ordering::SeqCst);
                // SAFETY: as above.
                match unsafe { self.recv_now(false) } {
                    Ok(v) => {
                        self.rx.parked.store(false, Ordering::Relaxed); // rule 2
                        Poll::Ready(Some(v))
                    }
                    Err(TryRecvError::Disconnected) => Poll::Ready(None),
                    Err(TryRecvError::Empty) => Poll::Pending,
                }
            }
        };
        if r.is_ready() {
            coop.made_progress();
        }
        r
    }

    /// Receives up to `limit` messages into `buf` (at least one unless the channel has
    /// ended: then 0).
    ///
    /// # Safety
    /// Only the single receiver calls it (rule 1).
    pub(crate) unsafe fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buf: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        // SAFETY: the caller is the single receiver (# Safety), here and below.
        let Some(first) = std::task::ready!(unsafe { self.poll_recv(cx) }) else {
            return Poll::Ready(0);
        };
        buf.push(first);
        let mut n = 1;
        while n < limit {
            // SAFETY: as above.
            match unsafe { self.pop(false) } {
                Some(v) => {
                    buf.push(v);
                    n += 1;
                }
                None => break,
            }
        }
        Poll::Ready(n)
    }

    /// Rule 4: no more sends are admitted; what was buffered or admitted stays
    /// receivable until the receiver drops (rule 5).
    pub(crate) fn close_rx(&self) {
        self.rx_closed.store(true, Ordering::Release);
        match &self.sem {
            Some(sem) => sem.close(),
            None => {
                self.gate.fetch_or(GATE_CLOSED, Ordering::AcqRel);
            }
        }
    }

    /// Drops every buffered message (receiver drop). A message still being written is
    /// dropped with the channel instead.
    ///
    /// # Safety
    /// Only the single receiver calls it (rule 1).
    pub(crate) unsafe fn drain(&self) {
        // SAFETY: the caller is the single receiver (# Safety).
        while unsafe { self.pop(false) }.is_some() {}
    }

    pub(crate) fn sender_count(&self) -> usize {
        self.senders.load(Ordering::Acquire)
    }

    pub(crate) fn weak_count(&self) -> usize {
        self.weak.load(Ordering::Acquire)
    }

    pub(crate) fn add_weak(&self) {
        self.weak.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn drop_weak(&self) {
        self.weak.fetch_sub(1, Ordering::Relaxed);
    }

    /// A new sender from a weak one, unless every sender is gone (then the receiver
    /// may already have seen the end: rule 3).
    pub(crate) fn upgrade_sender(&self) -> bool {
        let mut cur = self.senders.load(Ordering::Relaxed);
        loop {
            if cur == 0 {
                return false;
            }
            match self.senders.compare_exchange_weak(
                cur,
                cur + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The bounded capacity (0 for unbounded channels).
    pub(crate) fn max_capacity(&self) -> usize {
        self.cap
    }
}

/// Waits for a sender between its claim and its write: spins briefly, then yields the
/// thread (loom: yields to the model's scheduler).
fn backoff(spins: &mut u32) {
    *spins += 1;
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    if *spins < 7 {
        for _ in 0..(1u32 << *spins) {
            std::hint::spin_loop();
        }
    } else {
        std::thread::yield_now();
    }
}

//! The channel core shared by the bounded and unbounded flavours.
//!
//! # Rules
//! 1. Messages live in a lock-free queue: a fixed `ArrayQueue` for bounded channels
//!    (capacity enforced by a [`RawSemaphore`]: a sender holds a permit from before its
//!    push until the receiver pops the message, so the array never overflows), a
//!    `SegQueue` for unbounded ones.
//! 2. The receiver registers its waker in an [`AtomicWaker`] and then looks at the queue
//!    again, and every push is followed by a wake, so a message is never missed.
//! 3. `senders` counts live senders. The last one to drop wakes the receiver; its pushes
//!    happen-before its decrement, so a receiver that reads 0 and then finds the queue
//!    empty has seen every message.
//! 4. When the receiver drops (or closes), `rx_closed` is set and the semaphore closed,
//!    failing waiting and later sends with the value handed back; buffered messages are
//!    dropped with the receiver.

use std::task::{Context, Poll};

use corio_core::{coop, AtomicWaker};
use crossbeam_queue::{ArrayQueue, SegQueue};

use crate::loom::{AtomicBool, AtomicUsize, Ordering};
use crate::semaphore::raw::RawSemaphore;

use super::error::TryRecvError;

pub(crate) enum Items<T> {
    Bounded(ArrayQueue<T>),
    Unbounded(SegQueue<T>),
}

pub(crate) struct Chan<T> {
    items: Items<T>,
    /// Capacity permits (bounded only).
    pub(crate) sem: Option<RawSemaphore>,
    rx_waker: AtomicWaker,
    senders: AtomicUsize,
    rx_closed: AtomicBool,
}

impl<T> Chan<T> {
    pub(crate) fn bounded(cap: usize) -> Self {
        Chan {
            items: Items::Bounded(ArrayQueue::new(cap)),
            sem: Some(RawSemaphore::new(cap)),
            rx_waker: AtomicWaker::new(),
            senders: AtomicUsize::new(1),
            rx_closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn unbounded() -> Self {
        Chan {
            items: Items::Unbounded(SegQueue::new()),
            sem: None,
            rx_waker: AtomicWaker::new(),
            senders: AtomicUsize::new(1),
            rx_closed: AtomicBool::new(false),
        }
    }

    /// Pushes a message (a bounded sender holds a permit) and wakes the receiver.
    pub(crate) fn push(&self, value: T) {
        match &self.items {
            Items::Bounded(q) => {
                if q.push(value).is_err() {
                    unreachable!("a permit guarantees a free slot (rule 1)");
                }
            }
            Items::Unbounded(q) => q.push(value),
        }
        self.rx_waker.wake();
    }

    fn pop(&self) -> Option<T> {
        let v = match &self.items {
            Items::Bounded(q) => q.pop(),
            Items::Unbounded(q) => q.pop(),
        }?;
        if let Some(sem) = &self.sem {
            sem.release(1);
        }
        Some(v)
    }

    pub(crate) fn len(&self) -> usize {
        match &self.items {
            Items::Bounded(q) => q.len(),
            Items::Unbounded(q) => q.len(),
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
            self.rx_waker.wake();
        }
    }

    fn disconnected(&self) -> bool {
        self.senders.load(Ordering::Acquire) == 0 || self.rx_closed.load(Ordering::Acquire)
    }

    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(v) = self.pop() {
            return Ok(v);
        }
        if self.disconnected() {
            // Rule 3: pushes before the last sender left are visible now.
            return self.pop().ok_or(TryRecvError::Disconnected);
        }
        Err(TryRecvError::Empty)
    }

    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let r = match self.try_recv() {
            Ok(v) => Poll::Ready(Some(v)),
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => {
                self.rx_waker.register(cx.waker());
                // Rule 2: look again after registering.
                match self.try_recv() {
                    Ok(v) => Poll::Ready(Some(v)),
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

    /// Rule 4: no more sends; what was buffered stays receivable until the receiver
    /// drops.
    pub(crate) fn close_rx(&self) {
        self.rx_closed.store(true, Ordering::Release);
        if let Some(sem) = &self.sem {
            sem.close();
        }
    }

    /// Drops every buffered message (receiver drop).
    pub(crate) fn drain(&self) {
        while self.pop().is_some() {}
    }

    pub(crate) fn sender_count(&self) -> usize {
        self.senders.load(Ordering::Acquire)
    }
}

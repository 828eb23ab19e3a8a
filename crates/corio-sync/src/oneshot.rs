//! A channel for exactly one value: [`channel`] → ([`Sender`], [`Receiver`]).
//!
//! # State machine
//! One atomic word with three bits, each set once and never cleared:
//! - `VALUE_SENT`: the sender wrote the value cell and published it.
//! - `TX_DROPPED`: the sender was dropped without sending.
//! - `RX_CLOSED`: the receiver was dropped or [closed](Receiver::close).
//!
//! Rules:
//! 1. Only the sender writes the value cell, once, before setting `VALUE_SENT` with
//!    release ordering. The receiver reads the cell only after seeing `VALUE_SENT` with
//!    acquire ordering.
//! 2. The sender sets `VALUE_SENT` with a compare-and-swap that fails on `RX_CLOSED`:
//!    then `VALUE_SENT` stays clear, the receiver never reads the cell, and the sender
//!    takes the value back out and returns it in the error. So a value sent before a
//!    [`Receiver::close`] can still be received, and one sent after it comes back.
//! 3. Whatever is left in the cell when the last `Arc` goes is dropped with the shared
//!    state (exclusive access then).
//! 4. Wakers: the receiver's in `rx_waker`, woken after `VALUE_SENT` or `TX_DROPPED` is
//!    set; the sender's (for [`Sender::closed`]) in `tx_waker`, woken after `RX_CLOSED`.
//!    Each side registers first, then re-reads the state, so no wake-up is lost.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use corio_core::AtomicWaker;

use crate::loom::{Arc, AtomicUsize, Ordering, UnsafeCell};

/// The sender wrote and published the value.
const VALUE_SENT: usize = 0b001;
/// The sender was dropped without sending.
const TX_DROPPED: usize = 0b010;
/// The receiver was dropped.
const RX_CLOSED: usize = 0b100;

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: AtomicWaker,
    tx_waker: AtomicWaker,
}

// SAFETY: the value cell is accessed by one side at a time per rules 1-3, and moving a
// `T` between threads needs `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; `&Inner` never hands out `&T`.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Creates a one-value channel.
///
/// # Examples
///
/// ```
/// use corio_sync::oneshot;
///
/// futures::executor::block_on(async {
///     let (tx, rx) = oneshot::channel();
///     tx.send(42).unwrap();
///     assert_eq!(rx.await, Ok(42));
///
///     let (tx, rx) = oneshot::channel::<u8>();
///     drop(tx);
///     assert!(rx.await.is_err()); // the sender went away without sending
/// });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: AtomicWaker::new(),
        tx_waker: AtomicWaker::new(),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

/// Sends the one value; see [`channel`].
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value` without waiting.
    ///
    /// # Errors
    /// The value back, if the receiver is gone.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("a sender sends once");
        if inner.state.load(Ordering::Acquire) & RX_CLOSED != 0 {
            return Err(value);
        }
        // SAFETY: rule 1: only the sender writes the cell, once (`send` takes `self`),
        // and the receiver does not read it before `VALUE_SENT` is published below.
        inner.value.with_mut(|cell| unsafe { *cell = Some(value) });
        let mut cur = inner.state.load(Ordering::Acquire);
        loop {
            if cur & RX_CLOSED != 0 {
                // SAFETY: rule 2: `VALUE_SENT` stays clear, so the receiver never reads
                // the cell.
                let value = inner.value.with_mut(|cell| unsafe { (*cell).take() });
                return Err(value.expect("the value was just written"));
            }
            match inner.state.compare_exchange_weak(
                cur,
                cur | VALUE_SENT,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        inner.rx_waker.wake();
        Ok(())
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| i.state.load(Ordering::Acquire) & RX_CLOSED != 0)
    }

    /// Waits until the receiver is gone (useful to stop computing an unwanted value).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Polls whether the receiver is gone.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = &self.inner else {
            return Poll::Ready(());
        };
        if inner.state.load(Ordering::Acquire) & RX_CLOSED != 0 {
            return Poll::Ready(());
        }
        inner.tx_waker.register(cx.waker());
        if inner.state.load(Ordering::Acquire) & RX_CLOSED != 0 {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.state.fetch_or(TX_DROPPED, Ordering::AcqRel);
            // Dropped while unwinding: the receiver's panicking waker must not abort.
            if let Some(w) = inner.rx_waker.take() {
                crate::wake_list::wake(w);
            }
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The sender was dropped without sending a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot sender dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing was sent yet.
    Empty,
    /// The sender is gone without sending (or the value was already taken).
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no value sent yet"),
            TryRecvError::Closed => f.write_str("oneshot sender dropped without sending"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// Receives the one value: `.await` it (a `Future` of `Result<T, RecvError>`).
///
/// # Panics
/// Polled again after it completed (or after [`try_recv`](Self::try_recv) returned
/// the value or [`TryRecvError::Closed`]), as tokio's.
///
/// # Cancel safety
/// Dropping the receiver discards the value if one was sent; a sender that sends
/// afterwards gets its value back.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if not yet sent, [`TryRecvError::Closed`] if the sender
    /// is gone without sending, the receiver was [closed](Self::close) before a value
    /// came, or the value was already received.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Closed);
        };
        let state = inner.state.load(Ordering::Acquire);
        if state & VALUE_SENT != 0 {
            // SAFETY: rule 1: `VALUE_SENT` was observed with acquire ordering, the
            // sender no longer touches the cell (it would only after `RX_CLOSED`), and
            // `&mut self` makes this the only reader.
            let value = inner.value.with_mut(|cell| unsafe { (*cell).take() });
            self.inner = None;
            return value.ok_or(TryRecvError::Closed);
        }
        if state & (TX_DROPPED | RX_CLOSED) != 0 {
            // Nothing was sent and nothing can be any more (rule 2).
            self.inner = None;
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }
}

impl<T> Receiver<T> {
    /// Closes the channel without dropping the receiver: the sender's
    /// [`send`](Sender::send) fails from now on (handing its value back) and its
    /// [`closed`](Sender::closed) completes. A value sent before the close can still be
    /// received with [`try_recv`](Self::try_recv) or by awaiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel::<u32>();
    /// rx.close();
    /// assert!(rx.is_closed());
    /// assert_eq!(tx.send(1), Err(1)); // refused: the value comes back
    /// assert!(rx.try_recv().is_err());
    ///
    /// let (tx, mut rx) = oneshot::channel::<u32>();
    /// tx.send(2).unwrap();
    /// rx.close();
    /// assert_eq!(rx.try_recv(), Ok(2)); // sent before the close: still received
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = &self.inner {
            let prev = inner.state.fetch_or(RX_CLOSED, Ordering::AcqRel);
            if prev & RX_CLOSED == 0 {
                if let Some(w) = inner.tx_waker.take() {
                    crate::wake_list::wake(w);
                }
            }
        }
    }

    /// Whether no value can be sent any more: the receiver was
    /// [closed](Self::close), the sender dropped without sending, or the receiver has
    /// [terminated](Self::is_terminated). A value sent before a close may still be
    /// waiting: see [`is_empty`](Self::is_empty).
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            None => true,
            Some(inner) => inner.state.load(Ordering::Acquire) & (RX_CLOSED | TX_DROPPED) != 0,
        }
    }

    /// Whether no value is waiting to be received (nothing sent yet, or the value was
    /// already received, or the sender dropped without sending).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert!(rx.is_empty());
    /// tx.send(3).unwrap();
    /// assert!(!rx.is_empty());
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// assert!(rx.is_empty() && rx.is_terminated());
    /// ```
    pub fn is_empty(&self) -> bool {
        match &self.inner {
            None => true,
            Some(inner) => inner.state.load(Ordering::Acquire) & VALUE_SENT == 0,
        }
    }

    /// Whether this receiver has already produced its result (the value or the
    /// error) and must not be polled again.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Waits for the value from synchronous code, blocking the thread.
    ///
    /// # Errors
    /// [`RecvError`] if the sender dropped without sending.
    ///
    /// # Panics
    /// When called from inside a runtime task (it would stall the thread driving it),
    /// as tokio's does.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// std::thread::spawn(move || tx.send("done").unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok("done"));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::blocking::block_on("oneshot::Receiver::blocking_recv", self)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            this.inner.is_some(),
            "`oneshot::Receiver` polled after completion"
        );
        match this.try_recv() {
            Ok(v) => return Poll::Ready(Ok(v)),
            Err(TryRecvError::Closed) => return Poll::Ready(Err(RecvError(()))),
            Err(TryRecvError::Empty) => {}
        }
        let inner = this.inner.as_ref().expect("still open");
        inner.rx_waker.register(cx.waker());
        match this.try_recv() {
            Ok(v) => Poll::Ready(Ok(v)),
            Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError(()))),
            Err(TryRecvError::Empty) => Poll::Pending,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.state.fetch_or(RX_CLOSED, Ordering::AcqRel);
            // Dropped while unwinding: the sender's panicking waker must not abort.
            if let Some(w) = inner.tx_waker.take() {
                crate::wake_list::wake(w);
            }
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

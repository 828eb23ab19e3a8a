//! A multi-producer, multi-consumer broadcast channel: every receiver sees every value
//! sent after it subscribed, unless it falls more than `capacity` values behind, in
//! which case it is told how many it missed ([`RecvError::Lagged`]) and continues with
//! the oldest value still buffered.
//!
//! # Implementation
//! A ring of `capacity` slots under one short lock. Each slot records its position and
//! how many receivers still have to read it; the last reader takes the value instead
//! of cloning it (a documented difference from tokio: see [`Receiver`]). Waiting receivers sit in a [`WaitList`]; a send wakes them all.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{Arc, Mutex};
use crate::mpsc::SendError;
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

struct Slot<T> {
    pos: u64,
    /// Receivers that still have to read this value.
    remaining: usize,
    value: Option<T>,
}

struct State<T> {
    buf: Box<[Slot<T>]>,
    /// Position of the next value to send.
    tail: u64,
    receivers: usize,
    senders: usize,
    waiters: WaitList<Option<Waker>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

impl<T> State<T> {
    fn oldest(&self) -> u64 {
        self.tail.saturating_sub(self.buf.len() as u64)
    }

    /// Marks position `pos` read by one receiver (no value returned).
    fn release(&mut self, pos: u64) -> Option<T> {
        let cap = self.buf.len() as u64;
        let slot = &mut self.buf[(pos % cap) as usize];
        if slot.pos == pos && slot.remaining > 0 {
            slot.remaining -= 1;
            if slot.remaining == 0 {
                return slot.value.take();
            }
        }
        None
    }
}

/// Creates a broadcast channel buffering the last `capacity` values.
///
/// # Panics
/// If `capacity` is 0.
///
/// # Examples
///
/// ```
/// use corio_sync::broadcast::{self, RecvError};
///
/// futures::executor::block_on(async {
///     let (tx, mut a) = broadcast::channel(2);
///     let mut b = tx.subscribe();
///     tx.send(1).unwrap();
///     assert_eq!(a.recv().await, Ok(1));
///     assert_eq!(b.recv().await, Ok(1));
///     for i in 2..=4 {
///         tx.send(i).unwrap();
///     }
///     assert_eq!(a.recv().await, Err(RecvError::Lagged(1))); // missed 2
///     assert_eq!(a.recv().await, Ok(3)); // and continues
/// });
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast::channel needs a capacity of at least 1"
    );
    let buf = (0..capacity)
        .map(|_| Slot {
            pos: u64::MAX,
            remaining: 0,
            value: None,
        })
        .collect();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            buf,
            tail: 0,
            receivers: 1,
            senders: 1,
            waiters: WaitList::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver {
            shared,
            next: 0,
            stream_key: None,
        },
    )
}

/// The sending half; cloneable.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T: Clone> Sender<T> {
    /// Sends `value` to every current receiver; returns how many there are.
    ///
    /// # Errors
    /// [`SendError`] with the value if there is no receiver.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut wakers = WakeList::new();
        let mut state = self.shared.state.lock();
        if state.receivers == 0 {
            return Err(SendError(value));
        }
        let cap = state.buf.len() as u64;
        let tail = state.tail;
        let receivers = state.receivers;
        let slot = &mut state.buf[(tail % cap) as usize];
        slot.pos = tail;
        slot.remaining = receivers;
        let old = slot.value.replace(value);
        state.tail += 1;
        let state = wakers.fill_in_batches(&self.shared.state, state, |state, wakers| {
            wakers.pop_wakers(&mut state.waiters)
        });
        drop(state);
        drop(old);
        wakers.wake_all();
        Ok(receivers)
    }

    /// A new receiver that sees the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = self.shared.state.lock();
        state.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: state.tail,
            stream_key: None,
        }
    }

    /// Number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.state.lock().receivers
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.state.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock();
        state.senders -= 1;
        if state.senders == 0 {
            let mut wakers = WakeList::new();
            let state = wakers.fill_in_batches(&self.shared.state, state, |state, wakers| {
                wakers.pop_wakers(&mut state.waiters)
            });
            drop(state);
            wakers.wake_all();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// Why a broadcast `recv` returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and this receiver has seen every value.
    Closed,
    /// This receiver fell behind and missed this many values; the next `recv` returns
    /// the oldest value still buffered.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel closed"),
            RecvError::Lagged(n) => write!(f, "receiver lagged by {n} messages"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Why a broadcast `try_recv` returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing new yet.
    Empty,
    /// Every sender is gone and everything was received.
    Closed,
    /// Missed this many values (see [`RecvError::Lagged`]).
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
            TryRecvError::Lagged(n) => write!(f, "receiver lagged by {n} messages"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// A receiving half; each receiver sees every value (see the module docs).
///
/// # Clones of the values
/// Each receiver gets its own copy of a value, made with `T::clone` — except the
/// *last* receiver to read a value, which takes the buffered value itself instead of
/// cloning it. So a value sent to `n` receivers is cloned `n - 1` times, not `n` times
/// (tokio clones it for every receiver): a `Clone` implementation with side effects
/// (counting, logging) sees one call fewer per value, and the value a receiver gets
/// may be the very one that was sent.
///
/// # Examples
///
/// A clone starts at the same position as the receiver it was cloned from:
///
/// ```
/// use corio_sync::broadcast;
///
/// let (tx, mut a) = broadcast::channel(4);
/// tx.send(1).unwrap();
/// let mut b = a.clone();
/// tx.send(2).unwrap();
/// assert_eq!((a.try_recv(), b.try_recv()), (Ok(1), Ok(1)));
/// assert_eq!((a.try_recv(), b.try_recv()), (Ok(2), Ok(2)));
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Position of the next value this receiver reads.
    next: u64,
    /// The queue entry of the receiver used as a `Stream` (removed on drop).
    stream_key: Option<WaitKey>,
}

impl<T: Clone> Receiver<T> {
    /// Takes the value at position `*next` from the locked `state`. A free function of
    /// the receiver's position, so callers borrow `shared` and `next` apart instead of
    /// cloning the `Arc` (whose count shares a cache line with the lock) per receive.
    fn try_recv_locked(next: &mut u64, state: &mut State<T>) -> Result<T, TryRecvError> {
        if *next < state.tail {
            let oldest = state.oldest();
            if *next < oldest {
                let missed = oldest - *next;
                *next = oldest;
                return Err(TryRecvError::Lagged(missed));
            }
            let pos = *next;
            *next += 1;
            let cap = state.buf.len() as u64;
            let slot = &mut state.buf[(pos % cap) as usize];
            debug_assert_eq!(slot.pos, pos);
            let value = if slot.remaining <= 1 {
                slot.remaining = 0;
                slot.value.take()
            } else {
                slot.remaining -= 1;
                slot.value.clone()
            };
            return value.ok_or(TryRecvError::Closed);
        }
        if state.senders == 0 {
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    /// Receives the next value if one is there.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`], [`TryRecvError::Closed`] or [`TryRecvError::Lagged`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.state.lock();
        Self::try_recv_locked(&mut self.next, &mut state)
    }

    /// Waits for the next value.
    ///
    /// # Errors
    /// [`RecvError::Lagged`] if values were missed (the receiver continues with the
    /// oldest one still buffered), [`RecvError::Closed`] once every sender is gone.
    ///
    /// # Cancel safety
    /// Cancel-safe: a value is consumed only when the future completes.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            rx: self,
            key: None,
        }
    }

    /// A new receiver starting at the newest position (like a fresh `subscribe`).
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut state = self.shared.state.lock();
        state.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: state.tail,
            stream_key: None,
        }
    }

    /// Values sent and not yet received by this receiver (lagged ones included).
    pub fn len(&self) -> usize {
        (self.shared.state.lock().tail - self.next) as usize
    }

    /// Whether nothing new is there.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Receiver<T> {
    /// A receiver at the same position: it sees every value this one has yet to read.
    fn clone(&self) -> Self {
        let mut state = self.shared.state.lock();
        state.receivers += 1;
        let start = self.next.max(state.oldest());
        let cap = state.buf.len() as u64;
        for pos in start..state.tail {
            let slot = &mut state.buf[(pos % cap) as usize];
            // This receiver has not read `pos`, so the value is still buffered.
            debug_assert!(slot.pos == pos && slot.value.is_some());
            slot.remaining += 1;
        }
        Receiver {
            shared: self.shared.clone(),
            next: self.next,
            stream_key: None,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut dropped = Vec::new();
        let mut state = self.shared.state.lock();
        if let Some(key) = self.stream_key.take() {
            state.waiters.remove(key);
        }
        state.receivers -= 1;
        let start = self.next.max(state.oldest());
        for pos in start..state.tail {
            if let Some(v) = state.release(pos) {
                dropped.push(v);
            }
        }
        drop(state);
        drop(dropped);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish()
    }
}

/// Future of [`Receiver::recv`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
    key: Option<WaitKey>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let rx = &mut *this.rx;
        poll_recv(&rx.shared, &mut rx.next, &mut this.key, cx)
    }
}

/// The receive of [`Recv`] and of the `Stream`: takes the value at `*next`, or queues
/// `key` (borrowed apart from the receiver: no `Arc` clone per receive).
fn poll_recv<T: Clone>(
    shared: &Shared<T>,
    next: &mut u64,
    key: &mut Option<WaitKey>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, RecvError>> {
    let coop = std::task::ready!(corio_core::coop::poll_proceed(cx));
    let mut state = shared.state.lock();
    if let Some(k) = *key {
        match state.waiters.get_mut(k) {
            Some(slot) => {
                // Still queued: re-check below in case of a spurious poll.
                match slot {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *slot = Some(cx.waker().clone()),
                }
            }
            None => *key = None,
        }
    }
    let r = match Receiver::try_recv_locked(next, &mut state) {
        Ok(v) => Ok(v),
        Err(TryRecvError::Closed) => Err(RecvError::Closed),
        Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
        Err(TryRecvError::Empty) => {
            if key.is_none() {
                *key = Some(state.waiters.push_back(Some(cx.waker().clone())));
            }
            return Poll::Pending;
        }
    };
    if let Some(k) = key.take() {
        state.waiters.remove(k);
    }
    drop(state);
    coop.made_progress();
    Poll::Ready(r)
}

/// A receiver is a `Stream` of `Ok(value)` and `Err(RecvError::Lagged(n))` items (a
/// lag does not end it); it ends when every sender is gone and the values left have
/// been received — `RecvError::Closed` is never yielded.
///
/// # Examples
///
/// ```
/// use corio_sync::broadcast;
/// use futures::StreamExt;
///
/// futures::executor::block_on(async {
///     let (tx, rx) = broadcast::channel(4);
///     for i in 0..3 {
///         tx.send(i).unwrap();
///     }
///     drop(tx);
///     let got: Vec<_> = rx.map(Result::unwrap).collect().await;
///     assert_eq!(got, [0, 1, 2]);
/// });
/// ```
impl<T: Clone> futures_core::Stream for Receiver<T> {
    type Item = Result<T, RecvError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match poll_recv(&this.shared, &mut this.next, &mut this.stream_key, cx) {
            Poll::Ready(Err(RecvError::Closed)) => Poll::Ready(None),
            Poll::Ready(r) => Poll::Ready(Some(r)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.rx.shared.state.lock().waiters.remove(key);
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

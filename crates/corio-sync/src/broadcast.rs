//! A multi-producer, multi-consumer broadcast channel: every receiver sees every value
//! sent after it subscribed, unless it falls more than `capacity` values behind, in
//! which case it is told how many it missed ([`RecvError::Lagged`]) and continues with
//! the oldest value still buffered.
//!
//! # Implementation
//! A ring of `capacity` slots, each behind its own short lock, and one channel lock
//! over the send position (`tail`), the sender and receiver counts and the waiting
//! receivers. A slot records the position of the value it holds and how many
//! receivers still have to read it; the last reader takes the value instead of
//! cloning it (a documented difference from tokio: see [`Receiver`]). A receive locks
//! only the slot of its position; it takes the channel lock only when that slot does
//! not hold its position (nothing new yet, lagged, or closed) or when it has to queue.
//!
//! Clones of one value are made one at a time (under its slot's lock), so `T` only
//! has to be `Send`: concurrent `T::clone` calls through shared references would need
//! `T: Sync`.
//!
//! ## Rules
//! 1. A value is written into its slot (position, value, reader count) only under the
//!    channel lock *and* the slot's lock, and `tail` moves past it in the same channel
//!    critical section. Position `p` lives in slot `p % capacity`; sending `p`
//!    overwrites `p - capacity`, so the slot of `p` holds `p` exactly while
//!    `tail - capacity <= p < tail` (the buffered window).
//! 2. Locks nest channel → slot only. The receive fast path takes a slot lock alone;
//!    nothing takes the channel lock while holding a slot lock, so the two cannot
//!    deadlock.
//! 3. A slot's `remaining` counts the receivers that have not read the value in it: set
//!    to the receiver count when it is sent, decremented by each read (and by each
//!    receiver dropped before reading it), incremented by `Receiver::clone` for the
//!    positions the clone has still to read. Subscribing (and `resubscribe`) starts at
//!    `tail` and so counts in no buffered slot. Hence a receiver that reads a position
//!    in the window finds its value still there.
//! 4. A receiver reads position `next` on the fast path iff the slot of `next` holds
//!    `next` (rule 1: it was sent and not overwritten). It clones the value, then
//!    decrements `remaining`; the reader that finds `remaining == 1` takes the value
//!    instead. A `T::clone` that panics consumes nothing.
//! 5. Everything else — lag (`next < tail - capacity`: skip to the oldest buffered
//!    position and report how many were missed), nothing new (`next == tail`), closed
//!    (no sender and `next == tail`) — is decided under the channel lock, where
//!    `tail` and the slots agree (rule 1). A receiver queues only under the channel
//!    lock after seeing `next == tail`, and a send moves `tail` and takes the queue
//!    under that lock: a wake-up is never lost.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{Arc, Mutex};
use crate::mpsc::SendError;
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

struct Slot<T> {
    /// The position of the value held (`u64::MAX`: none yet).
    pos: u64,
    /// Rule 3: receivers that still have to read this value.
    remaining: usize,
    value: Option<T>,
}

impl<T> Slot<T> {
    /// Marks the value read by one receiver without handing it out (a receiver
    /// dropped before reading it); returns it if that was the last reader.
    fn release(&mut self, pos: u64) -> Option<T> {
        if self.pos == pos && self.remaining > 0 {
            self.remaining -= 1;
            if self.remaining == 0 {
                return self.value.take();
            }
        }
        None
    }
}

impl<T: Clone> Slot<T> {
    /// Rule 4: one receiver's read of the value; the caller checked `pos`.
    #[inline]
    fn read(&mut self) -> Option<T> {
        if self.remaining <= 1 {
            self.remaining = 0;
            self.value.take()
        } else {
            let value = self.value.clone();
            self.remaining -= 1;
            value
        }
    }
}

/// A slot on its own cache line, so receivers reading neighbouring positions on
/// different threads do not share one.
#[repr(align(64))]
struct Padded<T>(Mutex<Slot<T>>);

/// Everything under the channel lock (rule 1).
struct State {
    /// Position of the next value to send.
    tail: u64,
    receivers: usize,
    senders: usize,
    waiters: WaitList<Option<Waker>>,
}

struct Shared<T> {
    slots: Box<[Padded<T>]>,
    state: Mutex<State>,
}

impl<T> Shared<T> {
    fn capacity(&self) -> u64 {
        self.slots.len() as u64
    }

    fn slot(&self, pos: u64) -> &Mutex<Slot<T>> {
        &self.slots[(pos % self.capacity()) as usize].0
    }

    /// The oldest buffered position, given the channel's `tail`.
    fn oldest(&self, tail: u64) -> u64 {
        tail.saturating_sub(self.capacity())
    }

    /// A receiver's cursor at position `next`.
    fn cursor(&self, next: u64) -> Cursor {
        Cursor {
            next,
            idx: (next % self.capacity()) as usize,
        }
    }
}

/// A receiver's position and its slot index (`next % capacity`, kept so the fast
/// path does not divide).
#[derive(Debug, Clone, Copy)]
struct Cursor {
    next: u64,
    idx: usize,
}

impl Cursor {
    #[inline]
    fn advance(&mut self, capacity: usize) {
        self.next += 1;
        self.idx += 1;
        if self.idx == capacity {
            self.idx = 0;
        }
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
    let slots = (0..capacity)
        .map(|_| {
            Padded(Mutex::new(Slot {
                pos: u64::MAX,
                remaining: 0,
                value: None,
            }))
        })
        .collect();
    let shared = Arc::new(Shared {
        slots,
        state: Mutex::new(State {
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
            cursor: Cursor { next: 0, idx: 0 },
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
        let tail = state.tail;
        let receivers = state.receivers;
        // Rule 1: written under both locks; `tail` moves in the same critical section.
        let old = {
            let mut slot = self.shared.slot(tail).lock();
            slot.pos = tail;
            slot.remaining = receivers;
            slot.value.replace(value)
        };
        state.tail = tail + 1;
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
        Receiver::at_tail(&self.shared)
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
    cursor: Cursor,
    /// The queue entry of the receiver used as a `Stream` (removed on drop).
    stream_key: Option<WaitKey>,
}

impl<T> Receiver<T> {
    /// Rule 3: a new receiver at `tail`, counted in no buffered slot.
    fn at_tail(shared: &Arc<Shared<T>>) -> Receiver<T> {
        let mut state = shared.state.lock();
        state.receivers += 1;
        Receiver {
            shared: shared.clone(),
            cursor: shared.cursor(state.tail),
            stream_key: None,
        }
    }
}

impl<T: Clone> Shared<T> {
    /// Rule 4: the fast path, under the slot's lock only. `None`: the slot does not
    /// hold `cursor.next` (decide under the channel lock).
    #[inline(always)]
    fn try_read(&self, cursor: &mut Cursor) -> Option<Option<T>> {
        let mut slot = self.slots[cursor.idx].0.lock();
        if slot.pos != cursor.next {
            return None;
        }
        let value = slot.read();
        drop(slot);
        cursor.advance(self.slots.len());
        Some(value)
    }

    /// Rule 5: the receive under the channel lock: lag, nothing new, closed, or the
    /// value (the slot holds it here: rule 1).
    fn recv_locked(&self, cursor: &mut Cursor, state: &State) -> Result<T, TryRecvError> {
        if cursor.next < state.tail {
            let oldest = self.oldest(state.tail);
            if cursor.next < oldest {
                let missed = oldest - cursor.next;
                *cursor = self.cursor(oldest);
                return Err(TryRecvError::Lagged(missed));
            }
            let value = self.try_read(cursor);
            debug_assert!(
                value.is_some(),
                "rule 1: a buffered position is in its slot"
            );
            return value.flatten().ok_or(TryRecvError::Closed);
        }
        if state.senders == 0 {
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value if one is there.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`], [`TryRecvError::Closed`] or [`TryRecvError::Lagged`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(value) = self.shared.try_read(&mut self.cursor) {
            return value.ok_or(TryRecvError::Closed);
        }
        let state = self.shared.state.lock();
        self.shared.recv_locked(&mut self.cursor, &state)
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
        Receiver::at_tail(&self.shared)
    }

    /// Values sent and not yet received by this receiver (lagged ones included).
    pub fn len(&self) -> usize {
        (self.shared.state.lock().tail - self.cursor.next) as usize
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
        let start = self.cursor.next.max(self.shared.oldest(state.tail));
        for pos in start..state.tail {
            let mut slot = self.shared.slot(pos).lock();
            // Rules 1 and 3: this receiver has not read `pos`, so the value is still
            // buffered.
            debug_assert!(slot.pos == pos && slot.value.is_some());
            slot.remaining += 1;
        }
        Receiver {
            shared: self.shared.clone(),
            cursor: self.cursor,
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
        let start = self.cursor.next.max(self.shared.oldest(state.tail));
        for pos in start..state.tail {
            if let Some(v) = self.shared.slot(pos).lock().release(pos) {
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
            .field("next", &self.cursor.next)
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
        poll_recv(&rx.shared, &mut rx.cursor, &mut this.key, cx)
    }
}

/// The receive of [`Recv`] and of the `Stream`: takes the value at the cursor, or
/// queues `key` (borrowed apart from the receiver: no `Arc` clone per receive).
#[inline]
fn poll_recv<T: Clone>(
    shared: &Shared<T>,
    cursor: &mut Cursor,
    key: &mut Option<WaitKey>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, RecvError>> {
    let coop = std::task::ready!(corio_core::coop::poll_proceed(cx));
    // Rule 4: the fast path, unless queued (then the queue entry goes under the
    // channel lock).
    if key.is_none() {
        if let Some(value) = shared.try_read(cursor) {
            coop.made_progress();
            return Poll::Ready(value.ok_or(RecvError::Closed));
        }
    }
    let r = poll_recv_locked(shared, cursor, key, cx);
    if r.is_ready() {
        coop.made_progress();
    }
    r
}

/// Rule 5: [`poll_recv`] under the channel lock.
#[inline(never)]
fn poll_recv_locked<T: Clone>(
    shared: &Shared<T>,
    cursor: &mut Cursor,
    key: &mut Option<WaitKey>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, RecvError>> {
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
    let r = match shared.recv_locked(cursor, &state) {
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
        match poll_recv(&this.shared, &mut this.cursor, &mut this.stream_key, cx) {
            Poll::Ready(Err(RecvError::Closed)) => Poll::Ready(None),
            Poll::Ready(r) => Poll::Ready(Some(r)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key {
            unqueue(&self.rx.shared, key);
        }
    }
}

/// A cancelled [`Recv`] leaves the queue (out of line: the common drop has no key).
#[inline(never)]
fn unqueue<T>(shared: &Shared<T>, key: WaitKey) {
    shared.state.lock().waiters.remove(key);
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

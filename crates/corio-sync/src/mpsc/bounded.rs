//! The bounded channel: senders wait for capacity in FIFO order.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use corio_core::context;

use super::chan::Chan;
use super::error::{SendError, SendTimeoutError, TrySendError};
use crate::loom::Arc;
use crate::semaphore::raw::{RawSemaphore, TryAcquireRaw};

/// Creates a channel buffering up to `capacity` messages; senders wait when it is full.
///
/// # Panics
/// If `capacity` is 0 or above [`Semaphore::MAX_PERMITS`](crate::Semaphore::MAX_PERMITS).
///
/// # Examples
///
/// ```
/// use corio_sync::mpsc;
///
/// futures::executor::block_on(async {
///     let (tx, mut rx) = mpsc::channel(1);
///     tx.send("a").await.unwrap();
///     assert!(tx.try_send("b").unwrap_err().is_full());
///     assert_eq!(rx.recv().await, Some("a"));
///     drop(tx);
///     assert_eq!(rx.recv().await, None); // every sender is gone
/// });
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc::channel needs a capacity of at least 1");
    let chan = Arc::new(Chan::bounded(capacity));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending half of a bounded channel; clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    fn sem(&self) -> &RawSemaphore {
        self.chan
            .sem
            .as_ref()
            .expect("bounded channels have a semaphore")
    }

    /// Sends `value`, waiting for capacity.
    ///
    /// # Errors
    /// [`SendError`] with the value if the receiver is gone or closed.
    ///
    /// # Cancel safety
    /// Cancel-safe and fair: a dropped `send` has sent nothing (the value is dropped with
    /// it) and its place in the capacity queue goes to the next sender.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(SendError(())) => Err(SendError(value)),
        }
    }

    /// Sends `value` if there is capacity now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.sem().try_acquire(1) {
            // Admitted (chan rule 5): delivered even if the receiver closes now.
            Ok(()) => {
                self.chan.push(value);
                Ok(())
            }
            Err(TryAcquireRaw::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquireRaw::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends `value` from synchronous code, blocking the thread until there is
    /// capacity.
    ///
    /// # Errors
    /// [`SendError`] with the value if the receiver is gone or closed.
    ///
    /// # Panics
    /// When called from inside a runtime task (it would stall the thread driving it),
    /// as tokio's does. Call it from `corio::spawn_blocking` or a thread of your own.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         tx.blocking_send(i).unwrap();
    ///     }
    /// });
    /// let mut got = vec![];
    /// while let Some(i) = rx.blocking_recv() {
    ///     got.push(i);
    /// }
    /// producer.join().unwrap();
    /// assert_eq!(got, [0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::blocking::block_on("mpsc::Sender::blocking_send", self.send(value))
    }

    /// Sends `value`, waiting at most `timeout` (on the runtime's clock, so virtual
    /// time included) for capacity.
    ///
    /// # Errors
    /// [`SendTimeoutError::Timeout`] when no capacity came in time,
    /// [`SendTimeoutError::Closed`] if the receiver is gone or closed; the value comes
    /// back in both.
    ///
    /// # Panics
    /// If the channel is full and no corio runtime with a timer is running (the wait
    /// needs a clock).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use corio_sync::mpsc::{self, SendTimeoutError};
    ///
    /// // In a corio runtime, a full channel makes it wait up to the timeout and then
    /// // return `SendTimeoutError::Timeout(value)`; sends that need no wait (room, or a
    /// // closed channel) need no timer, so they run under any executor:
    /// futures::executor::block_on(async {
    ///     let (tx, rx) = mpsc::channel(1);
    ///     tx.send_timeout(1, Duration::from_secs(1)).await.unwrap(); // room: sent at once
    ///     drop(rx);
    ///     match tx.send_timeout(2, Duration::from_secs(1)).await {
    ///         Err(SendTimeoutError::Closed(v)) => assert_eq!(v, 2), // the value comes back
    ///         other => panic!("{other:?}"),
    ///     }
    /// });
    /// ```
    #[track_caller]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), SendTimeoutError<T>>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let mut reserve = pin!(self.reserve());
            let mut sleep = None;
            let outcome = std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = reserve.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                let sleep = sleep.get_or_insert_with(|| {
                    context::now().checked_add(timeout).map(|deadline| {
                        context::try_sleep_until("mpsc::Sender::send_timeout", deadline)
                            .unwrap_or_else(|e| panic!("{e} (called at {caller})"))
                    })
                });
                match sleep {
                    Some(s) => s.as_mut().poll(cx).map(|()| None),
                    // The deadline is beyond the clock's range: no timeout.
                    None => Poll::Pending,
                }
            })
            .await;
            match outcome {
                Some(Ok(permit)) => {
                    permit.send(value);
                    Ok(())
                }
                Some(Err(SendError(()))) => Err(SendTimeoutError::Closed(value)),
                None => Err(SendTimeoutError::Timeout(value)),
            }
        }
    }

    /// Waits for capacity and reserves one slot, to send into later without waiting.
    ///
    /// A reserved slot survives [`Receiver::close`]: its send is still delivered, and
    /// the receiver does not report the end before the permit is used or dropped.
    ///
    /// # Errors
    /// `SendError(())` if the receiver is gone or closed.
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.sem().acquire(1).await.map_err(|()| SendError(()))?;
        Ok(Permit { chan: &self.chan })
    }

    /// Waits for `n` slots at once (queued as one waiter, so FIFO with other senders),
    /// returned as an iterator of permits.
    ///
    /// # Errors
    /// `SendError(())` if the receiver is gone or closed, or if `n` exceeds
    /// [`max_capacity`](Self::max_capacity) (it could never be granted), as tokio's.
    ///
    /// # Cancel safety
    /// As [`send`](Self::send): a dropped call holds no slot.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::mpsc;
    ///
    /// futures::executor::block_on(async {
    ///     let (tx, mut rx) = mpsc::channel(4);
    ///     let permits = tx.reserve_many(3).await.unwrap();
    ///     assert_eq!(tx.capacity(), 1);
    ///     for (permit, v) in permits.zip(["a", "b"]) {
    ///         permit.send(v);
    ///     } // the third permit drops unused: its slot comes back
    ///     assert_eq!(tx.capacity(), 2);
    ///     assert_eq!(rx.recv().await, Some("a"));
    /// });
    /// ```
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        self.sem().acquire(n).await.map_err(|()| SendError(()))?;
        Ok(PermitIterator {
            chan: &self.chan,
            n,
        })
    }

    /// [`reserve_many`](Self::reserve_many) if the slots are free now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] when fewer than `n` slots are free (or `n` exceeds the
    /// capacity), [`TrySendError::Closed`] when the receiver is gone or closed.
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.max_capacity() {
            return Err(TrySendError::Full(()));
        }
        match self.sem().try_acquire(n) {
            Ok(()) => Ok(PermitIterator {
                chan: &self.chan,
                n,
            }),
            Err(TryAcquireRaw::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireRaw::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Reserves one slot if one is free now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(tx.try_reserve().unwrap_err().is_full());
    /// permit.send(7);
    /// assert_eq!(rx.try_recv(), Ok(7));
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.sem().try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquireRaw::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireRaw::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// [`reserve`](Self::reserve) that moves the sender into the permit (for a permit
    /// that must be `'static`, e.g. held across a spawn).
    ///
    /// # Errors
    /// `SendError(())` if the receiver is gone or closed (the sender is dropped).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::mpsc;
    ///
    /// futures::executor::block_on(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     let permit = tx.reserve_owned().await.unwrap();
    ///     let tx = permit.send(1); // the sender comes back
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.sem().acquire(1).await.map_err(|()| SendError(()))?;
        Ok(OwnedPermit { sender: Some(self) })
    }

    /// [`reserve_owned`](Self::reserve_owned) if a slot is free now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the sender.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.sem().try_acquire(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TryAcquireRaw::NoPermits) => Err(TrySendError::Full(self)),
            Err(TryAcquireRaw::Closed) => Err(TrySendError::Closed(self)),
        }
    }

    /// Whether the receiver is gone or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.sem().available_permits()
    }

    /// The capacity given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.max_capacity()
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakSender`]: it does not keep the channel open.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel::<i32>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none()); // the last strong sender is gone
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        self.chan.add_weak();
        WeakSender {
            chan: self.chan.clone(),
        }
    }

    /// Senders (strong) alive.
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// [`WeakSender`]s alive.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.max_capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A sender that does not keep the channel open (from [`Sender::downgrade`]): once
/// every [`Sender`] is gone the receiver sees the end, and
/// [`upgrade`](Self::upgrade) returns `None`.
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> WeakSender<T> {
    /// A [`Sender`], if any sender is still alive.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.upgrade_sender().then(|| Sender {
            chan: self.chan.clone(),
        })
    }

    /// Senders (strong) alive.
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// [`WeakSender`]s alive.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_weak();
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.chan.drop_weak();
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

/// A reserved slot of a bounded channel (from [`Sender::reserve`]); dropping it
/// unused gives the slot back.
#[must_use = "the reserved slot is released if the permit is dropped unused"]
pub struct Permit<'a, T> {
    chan: &'a Arc<Chan<T>>,
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot; never waits.
    ///
    /// The slot was admitted when it was reserved, so the message is delivered even if
    /// the receiver has closed the channel since (the receiver reports the end only
    /// after it); it is dropped only if the receiver itself is gone, with the rest of
    /// the buffer.
    pub fn send(self, value: T) {
        self.chan.push(value);
        std::mem::forget(self); // the permit now belongs to the message
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_unsent(1);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// `n` reserved slots (from [`Sender::reserve_many`]), handed out one [`Permit`] at a
/// time; the slots not taken come back when it drops.
#[must_use = "the reserved slots are released if the iterator is dropped unused"]
pub struct PermitIterator<'a, T> {
    chan: &'a Arc<Chan<T>>,
    n: usize,
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        self.n -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        self.chan.release_unsent(self.n);
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("remaining", &self.n)
            .finish()
    }
}

/// A reserved slot that owns its [`Sender`] (from [`Sender::reserve_owned`]); dropping
/// it unused gives the slot back.
#[must_use = "the reserved slot is released if the permit is dropped unused"]
pub struct OwnedPermit<T> {
    /// `None` only after `send`/`release` took it.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the reserved slot (delivered as [`Permit::send`]'s) and gives
    /// the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("an unused permit holds its sender");
        sender.chan.push(value); // the permit now belongs to the message
        sender
    }

    /// Gives the slot back unused and returns the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("an unused permit holds its sender");
        sender.chan.release_unsent(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sender.chan.release_unsent(1);
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

super::receiver::receiver! {
    /// The receiving half of a bounded channel. Also a [`Stream`](futures_core::Stream) of the messages.
    Receiver
}

//! The bounded channel: senders wait for capacity in FIFO order.

use std::fmt;

use super::chan::Chan;
use super::error::{SendError, TrySendError};
use crate::loom::Arc;
use crate::semaphore::raw::TryAcquireRaw;

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
    (
        Sender {
            chan: chan.clone(),
            capacity,
        },
        Receiver { chan },
    )
}

/// The sending half of a bounded channel; clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
    capacity: usize,
}

impl<T> Sender<T> {
    fn sem(&self) -> &crate::semaphore::raw::RawSemaphore {
        self.chan
            .sem
            .as_ref()
            .expect("bounded channels have a semaphore")
    }

    /// Sends `value`, waiting for capacity.
    ///
    /// # Errors
    /// [`SendError`] with the value if the receiver is gone.
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
            Ok(()) => {}
            Err(TryAcquireRaw::NoPermits) => return Err(TrySendError::Full(value)),
            Err(TryAcquireRaw::Closed) => return Err(TrySendError::Closed(value)),
        }
        if self.chan.is_rx_closed() {
            self.sem().release(1);
            return Err(TrySendError::Closed(value));
        }
        self.chan.push(value);
        Ok(())
    }

    /// Waits for capacity and reserves one slot, to send into later without waiting.
    ///
    /// # Errors
    /// `SendError(())` if the receiver is gone.
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.sem().acquire(1).await.map_err(|()| SendError(()))?;
        if self.chan.is_rx_closed() {
            self.sem().release(1);
            return Err(SendError(()));
        }
        Ok(Permit { sender: self })
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
        self.capacity
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
            capacity: self.capacity,
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
            .field("capacity", &self.capacity)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A reserved slot of a bounded channel (from [`Sender::reserve`]); dropping it
/// unused gives the slot back.
#[must_use = "the reserved slot is released if the permit is dropped unused"]
pub struct Permit<'a, T> {
    sender: &'a Sender<T>,
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot; never waits.
    pub fn send(self, value: T) {
        self.sender.chan.push(value);
        std::mem::forget(self); // the permit now belongs to the message
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.sender.sem().release(1);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

super::receiver::receiver! {
    /// The receiving half of a bounded channel. Also a [`Stream`](futures_core::Stream) of the messages.
    Receiver
}

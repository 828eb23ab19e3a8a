//! The unbounded channel: `send` never waits.

use std::fmt;

use super::chan::Chan;
use super::error::SendError;
use crate::loom::Arc;

/// Creates a channel without a capacity limit; `send` never waits.
///
/// # Examples
///
/// ```
/// use corio_sync::mpsc;
///
/// futures::executor::block_on(async {
///     let (tx, mut rx) = mpsc::unbounded_channel();
///     for i in 0..3 {
///         tx.send(i).unwrap();
///     }
///     drop(rx.recv().await);
///     drop(rx);
///     assert_eq!(tx.send(9).unwrap_err().0, 9); // receiver gone: value handed back
/// });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::unbounded());
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { chan },
    )
}

/// The sending half of an unbounded channel; clone it for more producers.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` (one lock-free push).
    ///
    /// # Errors
    /// [`SendError`] with the value if the receiver is gone or closed.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        // Chan rule 5: an admitted send is delivered even if the receiver closes now.
        if !self.chan.admit() {
            return Err(SendError(value));
        }
        self.chan.push_unbounded(value);
        Ok(())
    }

    /// Whether the receiver is gone or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakUnboundedSender`]: it does not keep the channel open.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<i32>();
    /// let weak = tx.downgrade();
    /// assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    /// let tx2 = weak.upgrade().unwrap();
    /// drop((tx, tx2));
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        self.chan.add_weak();
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }

    /// Senders (strong) alive.
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// [`WeakUnboundedSender`]s alive.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

/// An unbounded sender that does not keep the channel open (from
/// [`UnboundedSender::downgrade`]).
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> WeakUnboundedSender<T> {
    /// An [`UnboundedSender`], if any sender is still alive.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.upgrade_sender().then(|| UnboundedSender {
            chan: self.chan.clone(),
        })
    }

    /// Senders (strong) alive.
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// [`WeakUnboundedSender`]s alive.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_weak();
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for WeakUnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_weak();
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender")
            .finish_non_exhaustive()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

super::receiver::receiver! {
    /// The receiving half of an unbounded channel. Also a [`Stream`](futures_core::Stream) of the
    /// messages.
    UnboundedReceiver
}

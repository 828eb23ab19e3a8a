//! A single-value channel that keeps the latest value: receivers read it whenever they
//! like and can wait for it to change.
//!
//! # Rules
//! 1. `version` goes up by 2 per send; bit 0 means the sender is gone.
//! 2. A send stores the value, bumps the version, then pops every waiter under the
//!    waiter lock; `changed` compares the version again under that lock before it
//!    queues, so a change is never missed.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use corio_core::{WaitKey, WaitList};
use parking_lot::{RwLock, RwLockReadGuard};

use crate::loom::{Arc, AtomicUsize, Mutex, Ordering};
use crate::mpsc::SendError;
use crate::wake_list::WakeList;

const CLOSED: usize = 1;

struct Shared<T> {
    value: RwLock<T>,
    version: AtomicUsize,
    receivers: AtomicUsize,
    waiters: Mutex<WaitList<Option<Waker>>>,
}

impl<T> Shared<T> {
    /// Wakes every waiting receiver; the first panic of a receiver's waker is re-raised
    /// once all are woken (see the `wake_list` module).
    fn wake_all(&self) {
        let mut wakers = WakeList::new();
        self.wake_waiters(&mut wakers);
        wakers.wake_all();
    }

    /// Pops and wakes every waiting receiver, batch by batch; the last batch is left in
    /// `wakers` for the caller to finish. Never unwinds because of a waker.
    fn wake_waiters(&self, wakers: &mut WakeList) {
        let mut list = self.waiters.lock();
        while let Some(w) = list.pop_front() {
            if let Some(w) = w {
                wakers.push(w);
            }
            if !wakers.can_push() {
                drop(list);
                wakers.wake_batch();
                list = self.waiters.lock();
            }
        }
        drop(list);
    }
}

/// Creates a watch channel holding `init`.
///
/// # Examples
///
/// ```
/// use corio_sync::watch;
///
/// futures::executor::block_on(async {
///     let (tx, mut rx) = watch::channel("starting");
///     assert_eq!(*rx.borrow(), "starting");
///     tx.send("running").unwrap();
///     rx.changed().await.unwrap();
///     assert_eq!(*rx.borrow_and_update(), "running");
///     drop(tx);
///     assert!(rx.changed().await.is_err()); // the sender is gone
/// });
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        version: AtomicUsize::new(0),
        receivers: AtomicUsize::new(1),
        waiters: Mutex::new(WaitList::new()),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

/// The sending half (one per channel).
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers.
    ///
    /// # Errors
    /// [`SendError`] with the value if there is no receiver.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receivers.load(Ordering::Acquire) == 0 {
            return Err(SendError(value));
        }
        let old = std::mem::replace(&mut *self.shared.value.write(), value);
        self.shared.version.fetch_add(2, Ordering::AcqRel);
        let mut wakers = WakeList::new();
        self.shared.wake_waiters(&mut wakers);
        drop(old); // if its `Drop` panics, dropping `wakers` still wakes the rest
        wakers.wake_all();
        Ok(())
    }

    /// Replaces the value (even without receivers) and returns the old one.
    ///
    /// # Panics
    /// Never because of a receiver's waker: the old value is returned and a panic of a
    /// waker it wakes is dropped (after the panic hook reported it), where
    /// [`send`](Self::send) and [`send_modify`](Self::send_modify) re-raise it once
    /// every receiver is woken.
    pub fn send_replace(&self, value: T) -> T {
        let old = std::mem::replace(&mut *self.shared.value.write(), value);
        self.shared.version.fetch_add(2, Ordering::AcqRel);
        let mut wakers = WakeList::new();
        self.shared.wake_waiters(&mut wakers);
        wakers.wake_all_discarding_panic();
        old
    }

    /// Modifies the value in place and notifies the receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        modify(&mut self.shared.value.write());
        self.shared.version.fetch_add(2, Ordering::AcqRel);
        self.shared.wake_all();
    }

    /// The current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.value.read(),
            changed: false,
        }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Ordering::AcqRel);
        Receiver {
            shared: self.shared.clone(),
            seen: self.shared.version.load(Ordering::Acquire) & !CLOSED,
        }
    }

    /// Number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Ordering::Acquire)
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.version.fetch_or(CLOSED, Ordering::AcqRel);
        self.shared.wake_all();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The sender of a watch channel is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("watch sender dropped")
    }
}

impl std::error::Error for RecvError {}

/// A receiving half; cloneable. Each receiver tracks which version it has seen.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: usize,
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let version = self.shared.version.load(Ordering::Acquire) & !CLOSED;
        Ref {
            guard: self.shared.value.read(),
            changed: version != self.seen,
        }
    }

    /// The current value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let version = self.shared.version.load(Ordering::Acquire) & !CLOSED;
        let changed = version != self.seen;
        self.seen = version;
        Ref { guard, changed }
    }

    /// Whether a value not yet seen is there.
    ///
    /// # Errors
    /// [`RecvError`] if the sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let version = self.shared.version.load(Ordering::Acquire);
        if version & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(version != self.seen)
    }

    /// Waits for a value not yet seen, and marks it seen.
    ///
    /// # Errors
    /// [`RecvError`] if the sender is gone (and no unseen value is left).
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is marked seen unless the future completes.
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed {
            rx: self,
            key: None,
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Ordering::AcqRel);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.receivers.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("seen", &self.seen)
            .finish()
    }
}

/// A read guard of a watch channel's value.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value was not yet seen by the receiver when it was borrowed.
    pub fn has_changed(&self) -> bool {
        self.changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Future of [`Receiver::changed`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Changed<'a, T> {
    rx: &'a mut Receiver<T>,
    key: Option<WaitKey>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Borrowed apart (no `Arc` clone per poll: its count shares the lock's line).
        let rx = &mut *this.rx;
        let mut list = rx.shared.waiters.lock();
        let version = rx.shared.version.load(Ordering::Acquire);
        let ready = if version & !CLOSED != rx.seen {
            rx.seen = version & !CLOSED;
            Some(Ok(()))
        } else if version & CLOSED != 0 {
            Some(Err(RecvError(())))
        } else {
            None
        };
        if let Some(r) = ready {
            if let Some(key) = this.key.take() {
                list.remove(key);
            }
            return Poll::Ready(r);
        }
        match this.key.and_then(|k| list.get_mut(k)) {
            Some(slot) => match slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            },
            None => this.key = Some(list.push_back(Some(cx.waker().clone()))),
        }
        Poll::Pending
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.rx.shared.waiters.lock().remove(key);
        }
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed").finish_non_exhaustive()
    }
}

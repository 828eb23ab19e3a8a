//! A single-value channel that keeps the latest value: receivers read it whenever they
//! like and can wait for it to change.
//!
//! # Rules
//! 1. `version` goes up by 2 per send; bit 0 means the sender is gone.
//! 2. A send stores the value, bumps the version, then pops every waiter under the
//!    waiter lock; `changed` compares the version again under that lock before it
//!    queues, so a change is never missed.
//! 3. The last receiver to go notifies `rx_gone` (a [`Notify`]'s `notify_waiters`);
//!    [`Sender::closed`] enables its `Notified` before it reads the receiver count,
//!    so that notification is never missed.
//! 4. A receiver used as a `Stream` keeps its queue entry in the receiver itself; the
//!    receiver's drop removes it.
//! 5. A send bumps `version` while it still holds the value's write lock, and a
//!    receiver reads `version` while it holds the read lock, so the version a receiver
//!    marks seen is always the one of the value it read. (Bumped after the unlock, a
//!    receiver could read the new value with the old version and then be woken for a
//!    value it had already seen.)

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use parking_lot::{RwLock, RwLockReadGuard};

use crate::loom::{Arc, AtomicUsize, Mutex, Ordering};
use crate::mpsc::SendError;
use crate::notify::Notify;
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

const CLOSED: usize = 1;

struct Shared<T> {
    value: RwLock<T>,
    version: AtomicUsize,
    receivers: AtomicUsize,
    waiters: Mutex<WaitList<Option<Waker>>>,
    /// Rule 3.
    rx_gone: Notify,
}

impl<T> Shared<T> {
    /// Stores `value` and bumps the version under the write lock (rule 5); returns
    /// the old value, for the caller to drop after the lock is released.
    fn replace(&self, value: T) -> T {
        let mut slot = self.value.write();
        let old = std::mem::replace(&mut *slot, value);
        self.version.fetch_add(2, Ordering::AcqRel);
        old
    }

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
        let list = self.waiters.lock();
        drop(wakers.fill_in_batches(&self.waiters, list, |list, wakers| wakers.pop_wakers(list)));
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
        rx_gone: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver {
            shared,
            seen: 0,
            stream_key: None,
        },
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
        let old = self.shared.replace(value);
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
        let old = self.shared.replace(value);
        let mut wakers = WakeList::new();
        self.shared.wake_waiters(&mut wakers);
        wakers.wake_all_discarding_panic();
        old
    }

    /// Modifies the value in place and notifies the receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place; notifies the receivers only if `modify` returns
    /// `true` (it changed something they should see). Returns what `modify` returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::watch;
    ///
    /// let (tx, rx) = watch::channel(1);
    /// assert!(!tx.send_if_modified(|v| std::mem::replace(v, 1) != 1)); // unchanged
    /// assert!(!rx.has_changed().unwrap());
    /// assert!(tx.send_if_modified(|v| std::mem::replace(v, 2) != 2));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let mut value = self.shared.value.write();
        let modified = modify(&mut value);
        if modified {
            // Rule 5: bumped under the write lock.
            self.shared.version.fetch_add(2, Ordering::AcqRel);
            drop(value);
            self.shared.wake_all();
        }
        modified
    }

    /// Waits until every receiver is gone (returns at once if none is left).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::watch;
    ///
    /// futures::executor::block_on(async {
    ///     let (tx, rx) = watch::channel(());
    ///     let rx2 = rx.clone();
    ///     drop(rx);
    ///     std::thread::spawn(move || drop(rx2));
    ///     tx.closed().await; // the last receiver went away
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&self) {
        loop {
            let mut notified = std::pin::pin!(self.shared.rx_gone.notified());
            // Rule 3: register first, then look.
            notified.as_mut().enable();
            if self.shared.receivers.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
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
            stream_key: None,
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
///
/// It is also a [`Stream`](futures_core::Stream) (for `T: Clone`) that yields a clone
/// of the value each time it changes — values sent while nobody polled are merged
/// into the latest one — and ends when the sender is gone (after yielding a change
/// not yet seen). The value current when the receiver was created is not yielded
/// (it counts as seen), as with [`changed`](Self::changed).
///
/// # Examples
///
/// ```
/// use corio_sync::watch;
/// use futures::StreamExt;
///
/// futures::executor::block_on(async {
///     let (tx, mut rx) = watch::channel(0);
///     tx.send(1).unwrap();
///     assert_eq!(rx.next().await, Some(1));
///     tx.send(2).unwrap();
///     tx.send(3).unwrap(); // merged with 2: a watch keeps only the latest value
///     drop(tx);
///     assert_eq!(rx.next().await, Some(3));
///     assert_eq!(rx.next().await, None);
/// });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: usize,
    /// Rule 4.
    stream_key: Option<WaitKey>,
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        // Rule 5: the version is read under the read lock.
        let guard = self.shared.value.read();
        let version = self.shared.version.load(Ordering::Acquire) & !CLOSED;
        Ref {
            guard,
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
            shared: &self.shared,
            seen: &mut self.seen,
            key: None,
        }
    }

    /// Waits until the value satisfies `f` and returns it, marked seen. The current
    /// value is checked first; then `f` runs on each new value.
    ///
    /// # Errors
    /// [`RecvError`] if the sender is gone before a value satisfied `f` (the last
    /// value is still checked first).
    ///
    /// # Cancel safety
    /// Cancel-safe; a dropped call may have marked values seen that it checked.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::watch;
    ///
    /// futures::executor::block_on(async {
    ///     let (tx, mut rx) = watch::channel(0);
    ///     std::thread::spawn(move || {
    ///         for i in 1..=5 {
    ///             tx.send(i).unwrap();
    ///         }
    ///     });
    ///     let v = *rx.wait_for(|v| *v == 5).await.unwrap();
    ///     assert_eq!(v, 5);
    /// });
    /// ```
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        // Borrowed apart, so the returned guard borrows only `shared`.
        let shared: &Shared<T> = &self.shared;
        let seen = &mut self.seen;
        // Whether a change was awaited (it marked its version seen already).
        let mut woken = false;
        loop {
            let version = {
                let guard = shared.value.read();
                let version = shared.version.load(Ordering::Acquire);
                let changed = woken || version & !CLOSED != *seen;
                *seen = version & !CLOSED;
                if f(&guard) {
                    return Ok(Ref { guard, changed });
                }
                version
            };
            if version & CLOSED != 0 {
                return Err(RecvError(()));
            }
            Changed {
                shared,
                seen: &mut *seen,
                key: None,
            }
            .await?;
            woken = true;
        }
    }

    /// Whether the sender is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.version.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: Clone> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        match poll_changed(&this.shared, &mut this.seen, &mut this.stream_key, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Some(this.shared.value.read().clone())),
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Ordering::AcqRel);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
            stream_key: None,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(key) = self.stream_key.take() {
            self.shared.waiters.lock().remove(key);
        }
        if self.shared.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.rx_gone.notify_waiters(); // rule 3
        }
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
    shared: &'a Shared<T>,
    seen: &'a mut usize,
    key: Option<WaitKey>,
}

/// Completes when the version differs from `*seen` (marking it seen), or with an
/// error once the sender is gone; queues `key` otherwise (rule 2).
fn poll_changed<T>(
    shared: &Shared<T>,
    seen: &mut usize,
    key: &mut Option<WaitKey>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), RecvError>> {
    let mut list = shared.waiters.lock();
    let version = shared.version.load(Ordering::Acquire);
    let ready = if version & !CLOSED != *seen {
        *seen = version & !CLOSED;
        Some(Ok(()))
    } else if version & CLOSED != 0 {
        Some(Err(RecvError(())))
    } else {
        None
    };
    if let Some(r) = ready {
        if let Some(key) = key.take() {
            list.remove(key);
        }
        return Poll::Ready(r);
    }
    match key.and_then(|k| list.get_mut(k)) {
        Some(slot) => match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        },
        None => *key = Some(list.push_back(Some(cx.waker().clone()))),
    }
    Poll::Pending
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Borrowed apart (no `Arc` clone per poll: its count shares the lock's line).
        poll_changed(this.shared, this.seen, &mut this.key, cx)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.shared.waiters.lock().remove(key);
        }
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed").finish_non_exhaustive()
    }
}

//! `Event`: asyncio's `Event`, a flag that tasks wait on until it is set.
//!
//! # Rules
//! 1. `set` stores the flag and pops every waiter under the lock; a waiter whose entry
//!    is gone was released by a `set`, and completes even if the event was cleared
//!    again before it ran (asyncio's semantics).
//! 2. `wait` checks the flag before and, under the lock, again while enqueueing, so a
//!    `set` racing the first poll is never missed.
//! 3. `set` wakes in batches, letting the lock go in between; a `clear` then and a
//!    `wait` after it must not be released by that `set`. So `clear` bumps an epoch,
//!    each entry records the epoch it was queued in, and `set` pops only entries of its
//!    own epoch or older (they are all in front: the list is FIFO).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicBool, Mutex, Ordering};
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

/// A flag that tasks can wait on. [`set`](Self::set) wakes every waiter; until
/// [`clear`](Self::clear), later [`wait`](Self::wait)s complete at once.
///
/// # Examples
///
/// ```
/// use corio_sync::Event;
/// use futures::join;
///
/// futures::executor::block_on(async {
///     let ev = Event::new();
///     let waiter = async {
///         ev.wait().await;
///         "woken"
///     };
///     let setter = async { ev.set() };
///     let (w, ()) = join!(waiter, setter);
///     assert_eq!(w, "woken");
///     assert!(ev.is_set());
///     ev.clear();
///     assert!(!ev.is_set());
/// });
/// ```
pub struct Event {
    flag: AtomicBool,
    waiters: Mutex<Waiters>,
}

struct Waiters {
    list: WaitList<Entry>,
    /// Number of `clear`s so far (rule 3).
    epoch: u64,
}

struct Entry {
    epoch: u64,
    waker: Option<Waker>,
}

impl Event {
    /// A new, unset event.
    pub fn new() -> Self {
        Event {
            flag: AtomicBool::new(false),
            waiters: Mutex::new(Waiters {
                list: WaitList::new(),
                epoch: 0,
            }),
        }
    }

    /// Sets the flag and wakes every waiter.
    ///
    /// # Panics
    /// With the first panic of a waiter's waker, re-raised once every waiter is woken.
    pub fn set(&self) {
        if self.flag.load(Ordering::Acquire) {
            return;
        }
        let mut wakers = WakeList::new();
        let list = self.waiters.lock();
        self.flag.store(true, Ordering::Release);
        let epoch = list.epoch;
        let list = wakers.fill_in_batches(&self.waiters, list, |list, wakers| {
            // Rule 3: stop at the first entry queued after a later `clear`.
            while list.list.front().is_some_and(|e| e.epoch <= epoch) {
                if !wakers.can_push() {
                    return true;
                }
                let entry = list.list.pop_front().expect("the front was just seen");
                if let Some(w) = entry.waker {
                    wakers.push(w);
                }
            }
            false
        });
        drop(list);
        wakers.wake_all();
    }

    /// Clears the flag: later `wait`s block until the next `set`.
    pub fn clear(&self) {
        // Under the lock so a `set` is seen whole (rule 1).
        let mut list = self.waiters.lock();
        list.epoch += 1; // rule 3
        self.flag.store(false, Ordering::Release);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Waits until the flag is set (at once if it is).
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future only removes it from the wait list.
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            event: self,
            key: None,
            done: false,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}

/// Future of [`Event::wait`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Wait<'a> {
    event: &'a Event,
    key: Option<WaitKey>,
    done: bool,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.done, "`Event::wait` future polled after completion");
        let event = self.event;
        match self.key {
            None => {
                if event.flag.load(Ordering::Acquire) {
                    self.done = true;
                    return Poll::Ready(());
                }
                let mut list = event.waiters.lock();
                if event.flag.load(Ordering::Acquire) {
                    drop(list);
                    self.done = true;
                    return Poll::Ready(());
                }
                let epoch = list.epoch;
                self.key = Some(list.list.push_back(Entry {
                    epoch,
                    waker: Some(cx.waker().clone()),
                }));
                Poll::Pending
            }
            Some(key) => {
                let mut list = event.waiters.lock();
                match list.list.get_mut(key) {
                    None => {
                        drop(list);
                        self.key = None;
                        self.done = true;
                        Poll::Ready(())
                    }
                    Some(entry) => {
                        match &mut entry.waker {
                            Some(w) if w.will_wake(cx.waker()) => {}
                            slot => *slot = Some(cx.waker().clone()),
                        }
                        Poll::Pending
                    }
                }
            }
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.event.waiters.lock().list.remove(key);
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

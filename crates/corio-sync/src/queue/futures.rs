//! The waiting futures of a queue: `Put`, `Get`, `Join` (rules in the parent module).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use corio_core::coop;

use super::error::{PutError, QueueShutDown};
use super::storage::Storage;
use super::{Inner, State};
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

fn update_waker(list: &mut WaitList<Option<Waker>>, key: WaitKey, waker: &Waker) -> bool {
    match list.get_mut(key) {
        Some(slot) => {
            match slot {
                Some(w) if w.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
            true
        }
        None => false,
    }
}

/// One side of the queue: its wait list (`putters` or `getters`) and the count of
/// reservations made for it (`reserved_slots` or `reserved_items`).
type Side<T, S> = fn(&mut State<T, S>) -> (&mut WaitList<Option<Waker>>, &mut usize);

/// A `Put` or `Get` dropped while waiting: its entry `key` leaves the wait list that
/// `pick` names. If the entry was already popped (chosen, rule 1) but never served,
/// the reservation counted in `pick`'s counter is released and passed to the next
/// waiter of that list (rule 3): the reserved slot is still free, or the reserved item
/// still stored, since nobody else may take it (rule 2). After `shutdown` there is no
/// reservation to pass on (rule 4).
fn leave<T, S>(inner: &Inner<T, S>, key: WaitKey, pick: Side<T, S>) {
    let mut wakers = WakeList::new();
    let mut state = inner.state.lock();
    let shutdown = state.shutdown;
    let (list, reserved) = pick(&mut state);
    if list.remove(key).is_none() {
        *reserved = reserved.saturating_sub(1);
        if !shutdown {
            if let Some(w) = list.pop_front() {
                *reserved += 1;
                if let Some(w) = w {
                    wakers.push(w);
                }
            }
        }
    }
    drop(state);
    wakers.wake_all();
}

/// Future of [`QueueBase::put`](super::QueueBase::put).
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Put<'a, T, S> {
    inner: &'a Inner<T, S>,
    item: Option<T>,
    key: Option<WaitKey>,
}

impl<'a, T, S: Storage<T>> Put<'a, T, S> {
    pub(super) fn new(inner: &'a Inner<T, S>, item: T) -> Self {
        Put {
            inner,
            item: Some(item),
            key: None,
        }
    }
}

impl<T, S> Unpin for Put<'_, T, S> {}

impl<T, S: Storage<T>> Future for Put<'_, T, S> {
    type Output = Result<(), PutError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let mut wakers = WakeList::new();
        let mut state = this.inner.state.lock();
        let item = this
            .item
            .take()
            .expect("`Queue::put` polled after completion");
        if state.shutdown {
            if let Some(key) = this.key.take() {
                state.putters.remove(key);
            }
            return Poll::Ready(Err(PutError(item)));
        }
        let chosen = match this.key {
            None => state.has_room(this.inner.maxsize),
            Some(key) => {
                if update_waker(&mut state.putters, key, cx.waker()) {
                    false
                } else {
                    // Popped: a slot is reserved for us (rule 1).
                    state.reserved_slots = state.reserved_slots.saturating_sub(1);
                    this.key = None;
                    true
                }
            }
        };
        if chosen {
            state.push(item, &mut wakers);
            drop(state);
            coop.made_progress();
            wakers.wake_all(); // the item is stored: a getter's panicking waker loses nothing
            return Poll::Ready(Ok(()));
        }
        this.item = Some(item);
        if this.key.is_none() {
            this.key = Some(state.putters.push_back(Some(cx.waker().clone())));
        }
        Poll::Pending
    }
}

impl<T, S> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            leave(self.inner, key, |s| (&mut s.putters, &mut s.reserved_slots));
        }
    }
}

impl<T, S> fmt::Debug for Put<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// Future of [`QueueBase::get`](super::QueueBase::get).
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Get<'a, T, S> {
    inner: &'a Inner<T, S>,
    key: Option<WaitKey>,
}

impl<'a, T, S: Storage<T>> Get<'a, T, S> {
    pub(super) fn new(inner: &'a Inner<T, S>) -> Self {
        Get { inner, key: None }
    }
}

impl<T, S> Unpin for Get<'_, T, S> {}

impl<T, S: Storage<T>> Future for Get<'_, T, S> {
    type Output = Result<T, QueueShutDown>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let maxsize = this.inner.maxsize;
        let mut wakers = WakeList::new();
        let mut state = this.inner.state.lock();
        let chosen = match this.key {
            None => state.has_item(),
            Some(key) => {
                if update_waker(&mut state.getters, key, cx.waker()) {
                    false
                } else {
                    // Popped: an item is reserved for us (rule 1), or shutdown woke us.
                    state.reserved_items = state.reserved_items.saturating_sub(1);
                    this.key = None;
                    true
                }
            }
        };
        if chosen || state.shutdown {
            if let Some(key) = this.key.take() {
                state.getters.remove(key);
            }
            if let Some(item) = state.pop(maxsize, &mut wakers) {
                drop(state);
                coop.made_progress();
                // The item is ours: a putter's panicking waker must not unwind it away.
                wakers.wake_all_discarding_panic();
                return Poll::Ready(Ok(item));
            }
            if state.shutdown {
                return Poll::Ready(Err(QueueShutDown(())));
            }
        }
        if this.key.is_none() {
            this.key = Some(state.getters.push_back(Some(cx.waker().clone())));
        }
        Poll::Pending
    }
}

impl<T, S> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            leave(self.inner, key, |s| (&mut s.getters, &mut s.reserved_items));
        }
    }
}

impl<T, S> fmt::Debug for Get<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// Future of [`QueueBase::join`](super::QueueBase::join).
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Join<'a, T, S> {
    inner: &'a Inner<T, S>,
    key: Option<WaitKey>,
}

impl<'a, T, S: Storage<T>> Join<'a, T, S> {
    pub(super) fn new(inner: &'a Inner<T, S>) -> Self {
        Join { inner, key: None }
    }
}

impl<T, S> Unpin for Join<'_, T, S> {}

impl<T, S: Storage<T>> Future for Join<'_, T, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut state = this.inner.state.lock();
        match this.key {
            None => {
                if state.unfinished == 0 {
                    return Poll::Ready(());
                }
                this.key = Some(state.joiners.push_back(Some(cx.waker().clone())));
                Poll::Pending
            }
            Some(key) => {
                if update_waker(&mut state.joiners, key, cx.waker()) {
                    Poll::Pending
                } else {
                    this.key = None;
                    Poll::Ready(())
                }
            }
        }
    }
}

impl<T, S> Drop for Join<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.inner.state.lock().joiners.remove(key);
        }
    }
}

impl<T, S> fmt::Debug for Join<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

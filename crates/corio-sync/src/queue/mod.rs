//! asyncio's `Queue`, `LifoQueue` and `PriorityQueue`: one implementation,
//! [`QueueBase`], generic over the [`Storage`] order.
//!
//! # Rules
//! 1. Waiting getters and putters queue in FIFO wait lists. A `put` that makes an item
//!    available pops the first getter and *reserves* the item for it
//!    (`reserved_items += 1`); a `get` that frees a slot pops the first putter and
//!    reserves the slot (`reserved_slots += 1`). A popped waiter is one that was chosen.
//! 2. Nobody else takes a reserved item or slot: a non-waiting `get` needs
//!    `len > reserved_items`, a non-waiting `put` needs `len + reserved_slots < maxsize`.
//!    So a chosen waiter always finds what it was promised, and no newcomer jumps the
//!    queue.
//! 3. A chosen waiter that is dropped un-served releases its reservation and passes it
//!    to the next waiter (rule 1 again): no item or slot, and no wake-up, is lost.
//! 4. `shutdown` voids all reservations, wakes every waiter, and from then on puts fail
//!    and gets drain what is left, then fail. `shutdown(true)` drops what is left,
//!    marking each dropped item done, which releases `join` once nothing is unfinished.
//! 5. `unfinished` counts items put and not yet marked done; `join` waiters are popped
//!    (released) when it reaches 0.

use std::fmt;
use std::sync::Arc;
use std::task::Waker;

use crate::loom::Mutex;
use crate::wait_list::WaitList;
use crate::wake_list::WakeList;

mod error;
mod futures;
mod storage;

pub use error::{PutError, QueueShutDown, TaskDoneError, TryGetError, TryPutError};
pub use futures::{Get, Join, Put};
pub use storage::{Fifo, Lifo, Priority, Storage};

/// asyncio's `Queue`: first in, first out. See [`QueueBase`] for the API.
///
/// # Examples
///
/// ```
/// use corio_sync::{Queue, TryPutError};
///
/// futures::executor::block_on(async {
///     let q = Queue::new(2); // maxsize 2 (0 = unbounded)
///     q.put(1).await.unwrap();
///     q.put_nowait(2).unwrap();
///     assert!(q.full());
///     assert_eq!(q.put_nowait(3), Err(TryPutError::Full(3))); // item handed back
///     assert_eq!(q.get().await.unwrap(), 1);
///     assert_eq!(q.get_nowait().unwrap(), 2);
///     q.task_done().unwrap();
///     q.task_done().unwrap();
///     assert!(q.task_done().is_err()); // one too many
///     q.join().await; // every item put was marked done
/// });
/// ```
pub type Queue<T> = QueueBase<T, Fifo<T>>;

/// asyncio's `LifoQueue`: last in, first out. See [`QueueBase`] for the API.
///
/// # Examples
///
/// ```
/// use corio_sync::LifoQueue;
///
/// let q = LifoQueue::new(0);
/// q.put_nowait('a').unwrap();
/// q.put_nowait('b').unwrap();
/// assert_eq!(q.get_nowait(), Ok('b'));
/// ```
pub type LifoQueue<T> = QueueBase<T, Lifo<T>>;

/// asyncio's `PriorityQueue`: smallest item first. See [`QueueBase`] for the API.
///
/// # Examples
///
/// ```
/// use corio_sync::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// q.put_nowait((2, "low")).unwrap();
/// q.put_nowait((1, "high")).unwrap();
/// assert_eq!(q.get_nowait(), Ok((1, "high")));
/// ```
pub type PriorityQueue<T> = QueueBase<T, Priority<T>>;

pub(crate) struct State<T, S> {
    pub(crate) items: S,
    pub(crate) unfinished: usize,
    pub(crate) shutdown: bool,
    pub(crate) reserved_items: usize,
    pub(crate) reserved_slots: usize,
    pub(crate) getters: WaitList<Option<Waker>>,
    pub(crate) putters: WaitList<Option<Waker>>,
    pub(crate) joiners: WaitList<Option<Waker>>,
    _item: std::marker::PhantomData<fn(T) -> T>,
}

pub(crate) struct Inner<T, S> {
    /// 0 = unbounded.
    pub(crate) maxsize: usize,
    pub(crate) state: Mutex<State<T, S>>,
}

impl<T, S: Storage<T>> State<T, S> {
    /// Whether a non-reserved slot is free (rule 2).
    pub(crate) fn has_room(&self, maxsize: usize) -> bool {
        maxsize == 0 || self.items.len() + self.reserved_slots < maxsize
    }

    /// Whether a non-reserved item is stored (rule 2).
    pub(crate) fn has_item(&self) -> bool {
        self.items.len() > self.reserved_items
    }

    /// Stores an item and chooses a getter for it (rule 1).
    pub(crate) fn push(&mut self, item: T, wakers: &mut WakeList) {
        self.items.push(item);
        self.unfinished += 1;
        self.choose_getter(wakers);
    }

    /// Takes an item and chooses a putter for the freed slot (rule 1).
    pub(crate) fn pop(&mut self, maxsize: usize, wakers: &mut WakeList) -> Option<T> {
        let item = self.items.pop()?;
        self.choose_putter(maxsize, wakers);
        Some(item)
    }

    pub(crate) fn choose_getter(&mut self, wakers: &mut WakeList) {
        if self.shutdown || !self.has_item() {
            return;
        }
        if let Some(w) = self.getters.pop_front() {
            self.reserved_items += 1;
            if let Some(w) = w {
                wakers.push(w);
            }
        }
    }

    pub(crate) fn choose_putter(&mut self, maxsize: usize, wakers: &mut WakeList) {
        if self.shutdown || !self.has_room(maxsize) {
            return;
        }
        if let Some(w) = self.putters.pop_front() {
            self.reserved_slots += 1;
            if let Some(w) = w {
                wakers.push(w);
            }
        }
    }

    /// Marks one item done; releases `join` at zero (rule 5).
    fn task_done(&mut self) -> Result<(), TaskDoneError> {
        if self.unfinished == 0 {
            return Err(TaskDoneError(()));
        }
        self.unfinished -= 1;
        Ok(())
    }
}

/// Pops every entry of `list`, waking it; relocks between batches of wakers. Never
/// unwinds because of a waker: the last batch (and the first panic) is left in
/// `wakers` for the caller to finish with `wake_all`.
fn release_all<T, S>(
    inner: &Inner<T, S>,
    mut pick: impl FnMut(&mut State<T, S>) -> &mut WaitList<Option<Waker>>,
    wakers: &mut WakeList,
) {
    let state = inner.state.lock();
    drop(
        wakers.fill_in_batches(&inner.state, state, |state, wakers| {
            wakers.pop_wakers(pick(state))
        }),
    );
}

/// The queue shared by [`Queue`], [`LifoQueue`] and [`PriorityQueue`], generic over
/// the storage order `S`. A cloneable handle: clones share the queue, so it can be used
/// from many producers and consumers.
///
/// # Examples
///
/// Producers and consumers with `task_done` and `join`, as in asyncio:
///
/// ```
/// use corio_sync::Queue;
/// use futures::join;
///
/// futures::executor::block_on(async {
///     let q: Queue<u32> = Queue::new(1);
///     let producer = {
///         let q = q.clone();
///         async move {
///             for i in 0..3 {
///                 q.put(i).await.unwrap();
///             }
///         }
///     };
///     let consumer = {
///         let q = q.clone();
///         async move {
///             let mut sum = 0;
///             for _ in 0..3 {
///                 sum += q.get().await.unwrap();
///                 q.task_done().unwrap();
///             }
///             sum
///         }
///     };
///     let ((), sum, ()) = join!(producer, consumer, q.join());
///     assert_eq!(sum, 3);
/// });
/// ```
pub struct QueueBase<T, S> {
    inner: Arc<Inner<T, S>>,
}

impl<T, S> Clone for QueueBase<T, S> {
    fn clone(&self) -> Self {
        QueueBase {
            inner: self.inner.clone(),
        }
    }
}

impl<T, S: Storage<T>> QueueBase<T, S> {
    /// A queue holding at most `maxsize` items; `0` means unbounded.
    pub fn new(maxsize: usize) -> Self {
        QueueBase {
            inner: Arc::new(Inner {
                maxsize,
                state: Mutex::new(State {
                    items: S::default(),
                    unfinished: 0,
                    shutdown: false,
                    reserved_items: 0,
                    reserved_slots: 0,
                    getters: WaitList::new(),
                    putters: WaitList::new(),
                    joiners: WaitList::new(),
                    _item: std::marker::PhantomData,
                }),
            }),
        }
    }

    /// Puts an item, waiting for a free slot if the queue is full.
    ///
    /// # Errors
    /// [`PutError`] with the item if the queue is (or gets) shut down.
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped `put` has not stored its item (the item is dropped with
    /// the future) and, if a slot had been reserved for it, passes the slot on.
    pub fn put(&self, item: T) -> Put<'_, T, S> {
        Put::new(&self.inner, item)
    }

    /// Gets the next item, waiting until one is available.
    ///
    /// # Errors
    /// [`QueueShutDown`] once the queue is shut down and drained.
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped `get` never takes an item; if one had been reserved for
    /// it, it goes to the next waiting getter.
    pub fn get(&self) -> Get<'_, T, S> {
        Get::new(&self.inner)
    }

    /// Puts an item if there is room now.
    ///
    /// # Errors
    /// [`TryPutError::Full`] (asyncio's `QueueFull`) or [`TryPutError::ShutDown`], with
    /// the item.
    pub fn put_nowait(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut wakers = WakeList::new();
        let mut state = self.inner.state.lock();
        if state.shutdown {
            return Err(TryPutError::ShutDown(item));
        }
        if !state.has_room(self.inner.maxsize) {
            return Err(TryPutError::Full(item));
        }
        state.push(item, &mut wakers);
        drop(state);
        wakers.wake_all(); // the item is stored: a getter's panicking waker loses nothing
        Ok(())
    }

    /// Gets an item if one is available now.
    ///
    /// # Errors
    /// [`TryGetError::Empty`] (asyncio's `QueueEmpty`), or [`TryGetError::ShutDown`]
    /// once shut down and drained.
    pub fn get_nowait(&self) -> Result<T, TryGetError> {
        let mut wakers = WakeList::new();
        let mut state = self.inner.state.lock();
        if state.has_item() || (state.shutdown && !state.items.is_empty()) {
            let item = state.pop(self.inner.maxsize, &mut wakers);
            drop(state);
            // The item is ours: a putter's panicking waker must not unwind it away.
            wakers.wake_all_discarding_panic();
            return item.ok_or(TryGetError::Empty);
        }
        if state.shutdown {
            Err(TryGetError::ShutDown)
        } else {
            Err(TryGetError::Empty)
        }
    }

    /// Marks one item taken with `get` as processed (asyncio's `task_done`).
    ///
    /// # Errors
    /// [`TaskDoneError`] if called more times than items were put.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = self.inner.state.lock();
        state.task_done()?;
        let release = state.unfinished == 0 && !state.joiners.is_empty();
        drop(state);
        if release {
            let mut wakers = WakeList::new();
            release_all(&self.inner, |s| &mut s.joiners, &mut wakers);
            wakers.wake_all();
        }
        Ok(())
    }

    /// Waits until every item put has been marked done with
    /// [`task_done`](Self::task_done) (at once if none is unfinished).
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future only leaves the wait list.
    pub fn join(&self) -> Join<'_, T, S> {
        Join::new(&self.inner)
    }

    /// Shuts the queue down (asyncio 3.13): later puts fail, gets drain what is left
    /// and then fail, and every waiting `put`/`get` is woken to re-check. With
    /// `immediate`, the items left are dropped and counted as done, which releases
    /// `join` once nothing is unfinished, and waiting getters fail at once.
    ///
    /// # Panics
    /// With the first panic of a waiter's waker, re-raised once every waiting getter,
    /// putter and joiner has been woken.
    pub fn shutdown(&self, immediate: bool) {
        let mut dropped = Vec::new();
        {
            let mut state = self.inner.state.lock();
            state.shutdown = true;
            state.reserved_items = 0;
            state.reserved_slots = 0;
            if immediate {
                while let Some(item) = state.items.pop() {
                    dropped.push(item);
                    let _ = state.task_done();
                }
            }
        }
        drop(dropped); // user Drop code runs outside the lock

        // One list for the three releases: a panicking waker among the getters must
        // not keep the putters and joiners asleep.
        let mut wakers = WakeList::new();
        release_all(&self.inner, |s| &mut s.getters, &mut wakers);
        release_all(&self.inner, |s| &mut s.putters, &mut wakers);
        if self.inner.state.lock().unfinished == 0 {
            release_all(&self.inner, |s| &mut s.joiners, &mut wakers);
        }
        wakers.wake_all();
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        self.inner.state.lock().shutdown
    }

    /// Number of items a [`get_nowait`](Self::get_nowait) could take now: the items
    /// stored, less those already promised to a woken getter that has not run yet
    /// (rule 1). So `qsize() > 0` exactly when `get_nowait` would succeed (until
    /// another task acts).
    pub fn qsize(&self) -> usize {
        let state = self.inner.state.lock();
        state.items.len().saturating_sub(state.reserved_items)
    }

    /// Whether [`get_nowait`](Self::get_nowait) would fail with
    /// [`TryGetError::Empty`] now (asyncio: `empty()` is true exactly when
    /// `get_nowait` raises `QueueEmpty`). Items promised to a woken getter do not
    /// count, so a loop `while !q.empty() { q.get_nowait() }` never spins.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether [`put_nowait`](Self::put_nowait) would fail with
    /// [`TryPutError::Full`] now: the items stored plus the slots promised to woken
    /// putters reach `maxsize` (never, if unbounded).
    pub fn full(&self) -> bool {
        !self.inner.state.lock().has_room(self.inner.maxsize)
    }

    /// The capacity given to [`new`](Self::new) (0 = unbounded).
    pub fn maxsize(&self) -> usize {
        self.inner.maxsize
    }

    /// Number of items put and not yet marked done.
    pub fn unfinished_tasks(&self) -> usize {
        self.inner.state.lock().unfinished
    }
}

impl<T, S: Storage<T>> fmt::Debug for QueueBase<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.lock();
        f.debug_struct("Queue")
            .field("maxsize", &self.inner.maxsize)
            .field("qsize", &state.items.len())
            .field("unfinished", &state.unfinished)
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len())
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

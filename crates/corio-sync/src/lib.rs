//! Runtime-agnostic async synchronization: locks, semaphores, events, barriers,
//! asyncio-style queues, channels and a rate limiter.
//!
//! Everything here works through wakers only, so it runs under any executor — corio's
//! runtime (as `corio::sync`), or `futures::executor::block_on`, or another one. The
//! only exception is [`RateLimiter`], which needs a timer: it sleeps on the current
//! corio runtime's clock (virtual time included).
//!
//! | asyncio | corio-sync |
//! |---|---|
//! | `Lock` | [`Mutex`] (guards data; `lock`, `try_lock`, `lock_owned`) |
//! | `Semaphore` / `BoundedSemaphore` | [`Semaphore`] / [`BoundedSemaphore`] |
//! | `Event`, `Condition`, `Barrier` | [`Event`], [`Condition`], [`Barrier`] |
//! | `Condition(lock)` (conditions sharing a lock) | [`Condvar`] with any [`Mutex`] guard |
//! | `Queue`, `LifoQueue`, `PriorityQueue` | [`Queue`], [`LifoQueue`], [`PriorityQueue`] |
//! | — | [`RwLock`], [`Notify`], [`mpsc`], [`oneshot`], [`broadcast`], [`watch`] |
//!
//! Every waiting operation is cancel-safe: dropping its future at any point never
//! loses a permit, an item, a message or a wake-up, and waiters are served first come,
//! first served (a cancelled waiter that had already been chosen passes its turn on).
//!
//! # Panicking wakers
//! `Waker::wake` is foreign code and may panic. Such a panic never cuts an operation
//! short: the operation (say [`Notify::notify_waiters`], [`Semaphore::add_permits`],
//! dropping a guard, [`Queue::shutdown`]) first finishes in full — every other waiter it
//! should wake is woken, every permit is handed to a waiter or counted, no lock is held
//! while a waker runs — and only then re-raises the first waker panic to its caller. The
//! waiter whose waker panicked keeps what it was granted and gets it when polled
//! again. Calls that hand a value to their caller (a queue `get`, the barrier leader's
//! result, a rate limiter's tokens, `watch::Sender::send_replace`) return it and drop
//! the panic instead (the panic hook has reported it), and a wake-up made while the
//! thread is already unwinding drops it too, rather than abort the process.
//!
//! # Examples
//!
//! corio-sync on its own, under `futures`' executor:
//!
//! ```
//! use corio_sync::{mpsc, Queue, Semaphore};
//! use futures::executor::block_on;
//! use futures::join;
//!
//! block_on(async {
//!     // A bounded channel between a producer and a consumer.
//!     let (tx, mut rx) = mpsc::channel(2);
//!     let producer = async move {
//!         for i in 0..5 {
//!             tx.send(i).await.unwrap();
//!         }
//!     }; // `tx` drops here: the receiver sees the end
//!     let consumer = async {
//!         let mut got = vec![];
//!         while let Some(i) = rx.recv().await {
//!             got.push(i);
//!         }
//!         got
//!     };
//!     let ((), got) = join!(producer, consumer);
//!     assert_eq!(got, [0, 1, 2, 3, 4]);
//!
//!     // asyncio's Queue with task_done/join.
//!     let q = Queue::new(0);
//!     q.put("job").await.unwrap();
//!     assert_eq!(q.get().await.unwrap(), "job");
//!     q.task_done().unwrap();
//!     q.join().await;
//!
//!     // A semaphore limiting concurrency.
//!     let sem = Semaphore::new(1);
//!     let _permit = sem.acquire().await.unwrap();
//!     assert_eq!(sem.available_permits(), 0);
//! });
//! ```
//!
//! # Implementation
//! Waiters queue in a `WaitList` (private: FIFO, O(1) removal on cancellation)
//! under a short lock; the uncontended paths avoid the lock: a semaphore acquire or
//! release (and so a mutex lock/unlock) is one CAS, a bounded `mpsc` send is a permit
//! CAS plus a lock-free array-queue push, an unbounded send a lock-free segment-queue
//! push. Under `cfg(loom)` the atomics and locks come from loom so the cores can be
//! model-checked.

#![warn(clippy::undocumented_unsafe_blocks)]

mod barrier;
mod blocking;
mod bounded_semaphore;
pub mod broadcast;
mod cancellation_token;
mod condition;
mod condvar;
mod error;
mod event;
mod loom;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod queue;
mod rate_limiter;
mod rwlock;
mod semaphore;
mod wait_list;
mod wake_list;
pub mod watch;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use bounded_semaphore::{BoundedPermit, BoundedSemaphore};
pub use cancellation_token::{
    CancellationToken, DropGuard, RunUntilCancelled, RunUntilCancelledOwned,
    WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use condition::Condition;
pub use condvar::Condvar;
pub use error::{
    AcquireError, BoundedReleaseError, BrokenBarrierError, TryAcquireError, TryLockError,
};
pub use event::{Event, Wait};
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError, SetOnce, SetOnceError};
pub use queue::{
    Fifo, Get, Join, Lifo, LifoQueue, Priority, PriorityQueue, Put, PutError, Queue, QueueBase,
    QueueShutDown, Storage, TaskDoneError, TryGetError, TryPutError,
};
pub use rate_limiter::{RateLimitError, RateLimiter};
pub use rwlock::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{Acquire, OwnedSemaphorePermit, Semaphore, SemaphorePermit};

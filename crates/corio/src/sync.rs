//! asyncio's synchronization primitives, queues and channels, plus a rate limiter
//! (re-exported from `corio-sync`; they work under any executor).
//!
//! | asyncio | corio |
//! |---|---|
//! | `asyncio.Lock` | [`Mutex`] |
//! | `asyncio.Semaphore` / `BoundedSemaphore` | [`Semaphore`] / [`BoundedSemaphore`] |
//! | `asyncio.Event` / `Condition` / `Barrier` | [`Event`] / [`Condition`] / [`Barrier`] |
//! | `asyncio.Condition(lock)` (conditions sharing a lock) | [`Condvar`] with a [`Mutex`] guard |
//! | `asyncio.Queue` / `LifoQueue` / `PriorityQueue` | [`Queue`] / [`LifoQueue`] / [`PriorityQueue`] |
//! | none (a token bucket, usually written by hand over `asyncio.sleep`) | [`RateLimiter`] |
//!
//! # Examples
//!
//! ```
//! use corio::sync::Queue;
//!
//! corio::run(async {
//!     let queue = Queue::new(0);
//!     let producer = {
//!         let queue = queue.clone();
//!         corio::spawn(async move {
//!             for i in 0..3 {
//!                 queue.put(i).await.unwrap();
//!             }
//!         })
//!     };
//!     let mut got = vec![];
//!     for _ in 0..3 {
//!         got.push(queue.get().await.unwrap());
//!         queue.task_done().unwrap();
//!     }
//!     queue.join().await;
//!     producer.await.unwrap();
//!     assert_eq!(got, [0, 1, 2]);
//! });
//! ```

// An explicit list (no glob): what the facade exposes is decided here.
pub use corio_sync::{broadcast, mpsc, oneshot, watch};
pub use corio_sync::{
    Acquire, AcquireError, Barrier, BarrierWait, BarrierWaitResult, BoundedPermit,
    BoundedReleaseError, BoundedSemaphore, BrokenBarrierError, CancellationToken, Condition,
    Condvar, DropGuard, Event, Fifo, Get, Join, Lifo, LifoQueue, Mutex, MutexGuard, Notified,
    Notify, OnceCell, OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard,
    OwnedSemaphorePermit, Priority, PriorityQueue, Put, PutError, Queue, QueueBase, QueueShutDown,
    RateLimitError, RateLimiter, RunUntilCancelled, RunUntilCancelledOwned, RwLock,
    RwLockReadGuard, RwLockWriteGuard, Semaphore, SemaphorePermit, SetError, SetOnce, SetOnceError,
    Storage, TaskDoneError, TryAcquireError, TryGetError, TryLockError, TryPutError, Wait,
    WaitForCancellationFuture, WaitForCancellationFutureOwned,
};

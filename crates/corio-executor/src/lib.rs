//! corio's executor: tasks, a current-thread and a work-stealing multi-thread scheduler,
//! `block_on`, `yield_now` and the blocking pool.
//!
//! Usable on its own (it depends only on `corio-core`). Its [`Builder`] is the one place
//! a runtime is assembled: it takes a [`DriverStack`] (a factory from the runtime's
//! clock to the [`Driver`](corio_core::Driver) it parks on and the
//! [`RuntimeContext`](corio_core::RuntimeContext) it installs on its threads); the
//! `corio` facade's `Runtime` is [`Executor`] on a timer-over-reactor stack.
//!
//! # Examples
//!
//! ```
//! use corio_executor::{spawn, spawn_blocking, task, yield_now, Executor};
//!
//! let rt = Executor::builder_multi_thread().worker_threads(2).build().unwrap();
//! let total = rt.block_on(async {
//!     let mut handles = Vec::new();
//!     for i in 0..10u64 {
//!         handles.push(spawn(async move {
//!             yield_now().await;
//!             i * i
//!         }));
//!     }
//!     let blocking = spawn_blocking(|| 1000u64);
//!     let named = task::Builder::new().name("answer").spawn(async { 42u64 });
//!     let mut sum = blocking.await.unwrap() + named.await.unwrap();
//!     for h in handles {
//!         sum += h.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(total, 1000 + 42 + 285);
//! ```
//!
//! # Implementation
//! - A task is one allocation: a header (state word with flags and reference count,
//!   vtable, scheduler, id, join waker, spawn location, optional name) and the future,
//!   later replaced by its output. Wakers are the task pointer itself. See `task`.
//! - Current-thread: a `VecDeque` for tasks woken on the driving thread, a global queue
//!   for the others; the driver is unparked only if it is parked.
//! - Multi-thread: per-worker 256-slot ring queues with a LIFO slot, batch stealing of
//!   half a victim's queue, a global queue; one idle worker parks on the driver, the
//!   others on their own condvar; new work wakes one sleeper unless one is searching;
//!   a searcher out of work spins for ~5 µs on the queues before it parks.
//! - Every task poll runs inside `corio_core::coop::budget`, so an always-ready task
//!   yields after a bounded amount of work; busy workers still poll the driver every
//!   61 ticks and the global queue every 31.
//! - Virtual time: workers hold `clock.busy()` while not parked, blocking jobs from
//!   submission to completion.
//! - Diagnostics, always on: every task counts its polls in the header (a `u32` that
//!   shares a word with its owned-list slot, so the header stays 80 bytes); each worker
//!   counts task runs and steals in its own cache-padded slot (the current-thread
//!   scheduler counts runs in a plain field and publishes them at maintenance points); [`Handle::dump`] walks
//!   the owned-task list and [`Handle::metrics`] sums the slots.
//! - Debug mode ([`Builder::debug`], or `CORIO_DEBUG=1` when the builder does not say): a task spawned in debug mode
//!   gets a vtable whose `run` polls out of line, timed: it stamps the last-poll time
//!   and reports polls slower than the threshold ([`SlowPoll`]). Off, the poll path has
//!   no debug test at all.
//! - [`Builder::rng_seed`]: the current-thread scheduler pops a random task of its local
//!   queue (`corio_core::rand`'s xorshift64* owned by the scheduler core), so a seed
//!   replays an interleaving; the multi-thread workers seed their steal-victim choice
//!   from it, and the runtime context's seeded stream drives `select!`'s choices.

#![warn(clippy::undocumented_unsafe_blocks)]

mod block_on;
mod blocking;
mod context;
mod current_thread;
mod debug;
mod executor;
mod handle;
mod inject;
mod local;
mod loom;
mod metrics;
mod multi_thread;
mod queue;
mod scheduler;
mod shutdown;
mod sync;
pub mod task;
mod yield_now;

pub use block_on::block_on;
pub use corio_core::{DriverStack, JoinError, SpawnError, TaskId};
pub use debug::SlowPoll;
pub use executor::{Builder, Executor, DEFAULT_SHUTDOWN_GRACE, MAX_WORKER_THREADS};
pub use handle::{spawn, spawn_blocking, try_spawn, Handle};
pub use local::{spawn_local, try_spawn_local, LocalSet, LocalSpawnError, RunUntil};
pub use metrics::RuntimeMetrics;
pub use task::{AbortHandle, JoinHandle, JoinSet};
pub use yield_now::{yield_now, YieldNow};

/// Internals exposed to the loom models in `tests/loom_*.rs` only.
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::queue::{local, Local, Steal, CAPACITY};
    pub use crate::task::raw::MetaModel;
    pub use crate::task::state::{
        State, ToIdle, ToNotified, ToRunning, CANCELLED, CANCEL_REQUESTED, COMPLETE, JOIN_INTEREST,
        JOIN_WAKER, NOTIFIED, RUNNING,
    };
}

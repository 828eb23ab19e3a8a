//! corio: asyncio for Rust.
//!
//! One runtime with the asyncio toolbox — an event loop, tasks you can cancel and join,
//! a thread pool for blocking calls — built from small crates that also work alone, and
//! written to be faster than tokio.
//!
//! | asyncio | corio |
//! |---|---|
//! | `asyncio.run(main())` | [`corio::run(main())`](run) |
//! | `asyncio.create_task(c)` / `Task.cancel()` | [`corio::spawn(f)`](spawn) / [`JoinHandle::abort`] |
//! | `await asyncio.sleep(0)` | [`corio::yield_now().await`](yield_now) |
//! | `asyncio.to_thread(f)` / `run_in_executor` | [`corio::to_thread(f)`](to_thread) / [`spawn_blocking`] |
//! | the event loop | [`Runtime`], [`Handle`] |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! async fn fetch(id: u32) -> u32 {
//!     corio::yield_now().await; // let the other tasks run
//!     id * 10
//! }
//!
//! let total = corio::run(async {
//!     let tasks: Vec<_> = (1..=3).map(|id| corio::spawn(fetch(id))).collect();
//!     // Blocking work goes to the thread pool, like asyncio.to_thread.
//!     let file_len = corio::to_thread(|| "pretend this read a file".len()).await.unwrap();
//!     let mut total = file_len as u32;
//!     for t in tasks {
//!         total += t.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 24 + 60);
//!
//! // A custom runtime: one thread, virtual time.
//! let rt = corio::Runtime::builder().current_thread().start_paused(true).build().unwrap();
//! let t0 = rt.handle().clock().now();
//! rt.handle().clock().advance(Duration::from_secs(5)).unwrap();
//! assert_eq!(rt.handle().clock().now() - t0, Duration::from_secs(5));
//! ```
//!
//! # Crate map
//! - `corio-core`: the seams (driver, clock, runtime context, spawn seam, errors).
//! - `corio-executor`: tasks, schedulers, `block_on`, the blocking pool.
//! - `corio-reactor`: epoll, sockets (wired in by the facade).
//! - `corio-timer`: timing wheel, `sleep`, `interval`, virtual-time auto-advance.
//! - `corio-sync`: locks, semaphores, queues, channels, rate limiter.
//! - `corio-combinators`: `gather`, `wait`, `as_completed`, `timeout`, `TaskGroup`.
//! - `corio` (this crate): [`Runtime`], [`run`], re-exports.

#![warn(clippy::undocumented_unsafe_blocks)]

pub mod io;
pub mod prelude;
pub mod runtime;
pub mod sync;
pub mod task;
pub mod time;

use std::future::Future;

pub use corio_executor::{JoinError, JoinHandle, SpawnError};
pub use runtime::{Handle, Runtime, RuntimeMetrics, SlowPoll};

/// `#[corio::main]` and `#[corio::test]`: run an `async fn` on a corio runtime.
pub use corio_macros::{main, test};

// Combinators and structured concurrency (asyncio's gather / wait / as_completed /
// TaskGroup / `async with` / async generators), at the crate root like asyncio's.
pub use corio_combinators::{
    as_completed, as_completed_with_timeout, gather, gather_settled, race, scope, select, shield,
    stream, timeout_scope, timeout_scope_at, try_gather, try_with_resource, wait, with_resource,
    AsCompleted, AsCompletedTimeout, ChildFailure, Deadline, Exit, Gather, GatherSettled,
    Generator, Race, ReturnWhen, Scope, Shield, ShieldHandle, TaskGroup, TaskGroupError, TryGather,
    Wait, Yielder,
};
// Cancel scopes: movable deadlines, move_on/fail shapes, shields (asyncio's timeout
// context, trio's CancelScope).
pub use corio_combinators::{fail_after, fail_at, move_on_after, move_on_at, CancelScope, MoveOn};
// Identity-keeping wait / as_completed (the FIRST_COMPLETED loop).
pub use corio_combinators::{as_completed_keyed, wait_keyed, AsCompletedKeyed, WaitKeyed};
// A task group whose body belongs to the group (issue 13).
pub use corio_combinators::{
    local_scope, task_group, ChildHandle, GroupHandle, GroupSpawnError, GroupSpawnErrorKind,
    LocalScope, TaskGroupRun,
};

/// Runs `future` on a new default (multi-thread) runtime and returns its output, then
/// cancels every task still running, giving their async cleanups a bounded grace
/// ([`Builder::shutdown_grace`](runtime::Builder::shutdown_grace)), and shuts the runtime
/// down (asyncio's `run`).
///
/// # Examples
///
/// ```
/// let v = corio::run(async { corio::spawn(async { 7 }).await.unwrap() });
/// assert_eq!(v, 7);
/// ```
///
/// # Panics
/// Inside a running runtime ("Cannot start a runtime from within a runtime..."), or if
/// the runtime cannot be built (the OS refused a thread).
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    let rt = Runtime::new().unwrap_or_else(|e| panic!("failed to build the corio runtime: {e}"));
    let out = rt.block_on(future);
    drop(rt);
    out
}

pub use corio_executor::{spawn, spawn_blocking, try_spawn};

/// asyncio's `to_thread`: runs `f` on the blocking pool (same as [`spawn_blocking`]).
///
/// # Panics
/// Outside a runtime, with a message naming the fix.
#[track_caller]
pub fn to_thread<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match Handle::try_current() {
        Ok(h) => h.spawn_blocking(f),
        Err(_) => panic!("{}", corio_core::NoRuntime::new("corio::to_thread")),
    }
}

pub use corio_executor::yield_now;

// Local (`!Send`) tasks and tokio-style task locals (issue 13; see `corio::task`).
pub use corio_executor::{spawn_local, task_local, try_spawn_local, LocalSet};

pub use corio_reactor::{fs, net, process, signal};

pub use time::{interval, interval_at, sleep, sleep_until, timeout, timeout_at};

// The README's example is compiled as a doc test, so it cannot drift from the API.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

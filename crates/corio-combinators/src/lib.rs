//! corio's combinators: asyncio's `gather`, `wait`, `as_completed`, `shield`,
//! `TaskGroup`, timeouts for blocks of code, `async with` resources and async
//! generators, for any `std::future::Future` and `futures::Stream`.
//!
//! Most of this crate needs no runtime at all: the combinators poll the futures you give
//! them, so they work under any executor. The few that must start a task or a timer
//! ([`shield`], [`TaskGroup`], the timeouts of [`wait`] and [`as_completed_with_timeout`],
//! [`timeout_scope`], and the background release of a cancelled [`with_resource`]) reach
//! the current corio runtime through `corio-core`'s spawn and timer seams, and say so
//! clearly when there is none. The facade re-exports everything here at `corio::`.
//!
//! | asyncio | corio |
//! |---|---|
//! | `gather(*aws)` | [`gather()`], [`gather!`] |
//! | first error cancels the rest | [`try_gather()`], [`try_gather!`] |
//! | `gather(..., return_exceptions=True)` | [`gather_settled`] |
//! | `wait(aws, timeout, return_when)` | [`wait`], [`ReturnWhen`]; [`wait_keyed`] to know which finished |
//! | `as_completed(aws, timeout=)` | [`as_completed`], [`as_completed_with_timeout`]; [`as_completed_keyed`] yields the key with each output |
//! | `wait(..., FIRST_COMPLETED)` + cancel the rest | [`select!`], [`race`] |
//! | `async with timeout(d)` / `timeout_at(t)` | [`timeout_scope`], [`timeout_scope_at`] |
//! | `timeout`'s `when()`/`reschedule()`/`expired()`, trio's cancel scopes | [`CancelScope`], [`move_on_after`], [`fail_after`] |
//! | `shield(aw)` | [`shield`] |
//! | `TaskGroup()` / trio nursery | [`TaskGroup`], [`scope`] |
//! | `async with` / `@asynccontextmanager` | [`with_resource`], [`try_with_resource`] |
//! | `async def` with `yield` | [`stream`] |
//! | async comprehensions | [`prelude`] (`StreamExt`) |
//!
//! # Examples
//!
//! Used on its own, under `futures`' executor:
//!
//! ```
//! use corio_combinators::{gather, race, select, stream};
//! use futures::future::{pending, ready};
//! use futures::StreamExt;
//!
//! futures::executor::block_on(async {
//!     // gather: concurrently, results in input order.
//!     let pages = gather(["a", "bb", "ccc"].map(|s| async move { s.len() })).await;
//!     assert_eq!(pages, [1, 2, 3]);
//!
//!     // gather!: different types, a tuple back.
//!     let (n, s) = corio_combinators::gather!(async { 1 }, async { "one" }).await;
//!     assert_eq!((n, s), (1, "one"));
//!
//!     // select!: the first to finish wins, the others are dropped.
//!     let winner = select! {
//!         _ = pending::<()>() => "never",
//!         v = ready("ready") => v,
//!     };
//!     assert_eq!(winner, "ready");
//!     assert_eq!(race(pending(), ready(1)).await, 1);
//!
//!     // An async generator, consumed as a stream.
//!     let evens = stream(|mut y| async move {
//!         for i in (0..10).step_by(2) {
//!             y.yield_(i).await;
//!         }
//!     });
//!     assert_eq!(evens.take(3).collect::<Vec<_>>().await, [0, 2, 4]);
//! });
//! ```
//!
//! # Where corio differs from asyncio
//! - `gather` has no "first exception" mode: an `Err` is an ordinary output. The
//!   fail-fast [`try_gather()`] *cancels* the other futures on the first `Err`, whereas
//!   asyncio's `gather` raises the first exception and lets the others run on.
//!   [`gather_settled`] is `return_exceptions=True` and also turns panics into errors.
//! - Plain futures are lazy and owned: dropping a combinator drops (cancels) the futures
//!   it holds. Pass spawned `JoinHandle`s where work must outlive the combinator
//!   ([`wait`] and [`as_completed`] hand unfinished ones back).
//! - Timeouts count from the first poll (when the combinator is awaited), as in asyncio.
//! - [`scope`] children run inside the scope future (they may borrow); [`TaskGroup`]
//!   children are spawned tasks (`'static`, parallel).
//!
//! # Implementation
//! [`gather()`] polls each pending future with a waker of its own from
//! `corio_core::waker::IndexedWakers`; the other collection combinators keep their
//! futures in a `futures::stream::FuturesUnordered` tagged with input positions. Either
//! way a wake-up polls only the woken future. Unsafe code is
//! limited to pin projections, each with a `// SAFETY:` note.

#![warn(clippy::undocumented_unsafe_blocks)]

mod as_completed;
mod cancel_scope;
mod gather;
mod gather_macro;
mod gather_settled;
mod generator;
mod group_error;
mod indexed;
mod lazy_timer;
pub mod prelude;
mod resource;
mod scope;
mod select;
mod shield;
mod task_group;
mod timeout_scope;
mod try_gather;
mod wait;

pub use as_completed::{
    as_completed, as_completed_keyed, as_completed_with_timeout, AsCompleted, AsCompletedKeyed,
    AsCompletedTimeout,
};
pub use cancel_scope::{
    fail_after, fail_at, move_on_after, move_on_at, CancelScope, Deadline, MoveOn,
};
pub use gather::{gather, Gather};
pub use gather_settled::{gather_settled, GatherSettled};
pub use generator::{stream, Generator, Yield, Yielder};
pub use group_error::{ChildFailure, TaskGroupError};
pub use resource::{try_with_resource, with_resource, Exit};
pub use scope::{local_scope, scope, LocalKind, LocalScope, Scope, ScopeFuture, SendKind};
pub use select::{race, Race};
pub use shield::{shield, Shield, ShieldHandle};
pub use task_group::{
    task_group, ChildHandle, GroupHandle, GroupSpawnError, GroupSpawnErrorKind, Join, TaskGroup,
    TaskGroupRun,
};
pub use timeout_scope::{timeout_scope, timeout_scope_at};
pub use try_gather::{try_gather, TryGather};
pub use wait::{wait, wait_keyed, ReturnWhen, Wait, WaitKeyed};

/// Re-exports used by the macros; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::select::random_below;
    pub use futures::future::{maybe_done, try_maybe_done};
}

//! The seams every corio crate shares.
//!
//! corio is split into small crates that can be used alone — an executor, a reactor, a
//! timer, sync primitives and combinators — and a facade that wires them into one
//! runtime. They cooperate without depending on each other through the pieces here:
//!
//! - [`driver`]: what an executor parks on when idle ([`Driver`], [`Unparker`]), a
//!   plain thread parker ([`ParkThread`]), and the factory of a runtime's driver stack
//!   ([`DriverStack`]). The reactor and the timer implement `Driver`.
//! - [`context`]: the one thread-local [`RuntimeContext`] through which every crate
//!   reaches the current runtime's clock, spawner, timer, reactor and random numbers
//!   (one slot per service: a lookup is a field read).
//! - [`rand`]: the small seedable generator behind scheduling choices.
//! - [`clock`]: real or virtual (paused, advanced, auto-advanced) time.
//! - [`task`]: task ids and the spawn seam ([`task::spawn`] returns a [`TaskHandle`]).
//! - [`coop`]: the cooperative scheduling budget.
//! - [`waker`]: [`AtomicWaker`], the one-slot waker cell.
//! - errors: [`JoinError`], [`Elapsed`], [`NoRuntime`], [`SpawnError`], [`Closed`].
//!
//! # Examples
//!
//! A driver, a clock and the context, used by hand (an executor does this for you):
//!
//! ```
//! use corio_core::{clock::Clock, context::{self, RuntimeContext}, Driver, ParkThread};
//! use std::time::Duration;
//!
//! let clock = Clock::new_paused();
//! let _cx = RuntimeContext::new(clock.clone()).enter();
//! let t0 = context::now();
//! clock.advance(Duration::from_secs(2)).unwrap();
//! assert_eq!(context::now() - t0, Duration::from_secs(2));
//!
//! let mut parker = ParkThread::new();
//! parker.unparker().unpark();
//! assert!(parker.park(None)); // the earlier unpark is not lost
//! ```

#![warn(clippy::undocumented_unsafe_blocks)]

pub mod cancel;
pub mod clock;
pub mod context;
pub mod coop;
pub mod driver;
mod error;
pub mod local;
mod lock;
mod loom;
pub mod rand;
pub mod task;
pub mod waker;

pub use clock::Clock;
pub use context::RuntimeContext;
pub use driver::{Driver, DriverStack, IoDriver, ParkThread, SelectIo, Unpark, Unparker};
pub use error::{panic_message, Closed, Elapsed, JoinError, NoRuntime, SpawnError};
pub use task::{TaskHandle, TaskId};
pub use waker::AtomicWaker;

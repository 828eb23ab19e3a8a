//! The one test toolkit of corio's crates (test-only, not published).
//!
//! Every crate's tests depend on this crate instead of rewriting its helpers. It depends
//! on `corio-core` only, so the leaf crates (executor, reactor, timer, sync,
//! combinators) can use it and still not depend on each other.
//!
//! - Polling by hand: [`poll_once`] (no-op waker), [`poll_with`], [`CountWaker`] /
//!   [`count_waker`], and tokio-test's harness: [`spawn`] returns a [`Spawn`] that records
//!   wake-ups, checked with [`assert_pending!`] / [`assert_ready!`].
//! - Counting: [`DropCounter`] (tokens that count their drops) and [`Counters`] (wraps a
//!   future and counts its polls and its drop).
//! - Runtimes: [`TestRuntime`], a single-threaded runtime on a paused clock with a spawner
//!   and a timer (virtual time for crates below the facade), and [`block_on_driver`], the
//!   hand-written poll loop over any [`Driver`](corio_core::Driver) (a real timer or
//!   reactor tested without an executor).
//! - Property tests (feature `proptest`): `prop_config`, the settings every
//!   `prop_*.rs` model uses; the models poll by hand with [`spawn`] and check
//!   [`Spawn::poll_not_lost`] after every step.
//! - Child processes: [`run_child`] / [`as_child`] re-run one test of the binary as a
//!   child and return what it printed with `std::println!` (the examples' output).
//! - Outside tools: [`tool`] (skip outside CI, fail in CI when missing), [`TempDir`],
//!   [`free_port`], [`Child`] (killed on drop), [`wait_listening`].
//! - Odds and ends: [`Rng`] (a seeded generator), [`Log`] (an event log), [`yield_now`],
//!   [`scaled`] (smaller loops under Miri).
//!
//! # Examples
//!
//! ```
//! use corio_test_util::{count_waker, poll_with, sleep, TestRuntime};
//! use std::time::Duration;
//!
//! let rt = TestRuntime::new();
//! let _cx = rt.enter();
//! let mut nap = Box::pin(sleep(Duration::from_secs(5)));
//! let (wakes, waker) = count_waker();
//! assert!(poll_with(&mut nap, &waker).is_pending());
//! assert!(rt.advance_to_next_timer());
//! assert_eq!(wakes.count(), 1);
//! assert!(poll_with(&mut nap, &waker).is_ready());
//! assert_eq!(rt.elapsed(), Duration::from_secs(5));
//! ```

mod child;
mod counters;
mod driver;
mod misc;
mod poll;
mod tools;
mod virtual_rt;

pub use child::{as_child, run_child};
pub use counters::{Counted, Counters, DropCounter, DropToken};
pub use driver::{block_on_driver, ThreadSpawner};
pub use misc::{scaled, yield_now, Log, Rng};
pub use poll::{count_waker, poll_once, poll_with, spawn, CountWaker, Spawn};
pub use tools::{free_port, tool, wait_listening, Child, TempDir};
pub use virtual_rt::{sleep, TestRuntime};

/// The proptest settings of the model-based property tests: `cases` cases (enough to
/// find ordering bugs, few enough that each test stays well under 10 s in a debug build
/// on a loaded machine), or `PROPTEST_CASES`; no failure persistence files.
#[cfg(feature = "proptest")]
pub fn prop_config(cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

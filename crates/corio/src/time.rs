//! Time: `sleep`, `interval`, `timeout` and the runtime's clock (re-exported from
//! `corio-timer`), including virtual time.
//!
//! | asyncio | corio |
//! |---|---|
//! | `await asyncio.sleep(s)` | [`sleep(d)`](sleep)`.await` |
//! | `await asyncio.wait_for(c, timeout)` | [`timeout(d, f)`](timeout)`.await` → `Result<T, Elapsed>` |
//! | `async with asyncio.timeout_at(when)` | [`timeout_at(deadline, f)`](timeout_at) |
//! | `loop.time()` | [`Instant::now()`] |
//!
//! # Virtual time
//! A runtime built with `Runtime::builder().start_paused(true)` (or after [`pause()`])
//! runs on a virtual clock: it only moves by [`advance`], or by jumping straight to the
//! next timer whenever every task is idle (auto-advance). A test of code that sleeps for
//! hours runs in microseconds, and observes exact durations.
//!
//! Auto-advance never jumps over work outside the runtime that it is told about: a
//! blocking-pool job in flight, pending I/O readiness, a corio child process that is
//! still running, or a [`hold()`] (take one around a wait on a `std::thread` or on a
//! peer process over a socket). While held, virtual time flows at real speed, so a
//! timeout cannot fire before its real duration. `#[corio::test]` runs on real time
//! unless given `start_paused = true`.
//!
//! # Examples
//!
//! ```
//! use corio::time::{sleep, timeout, Instant};
//! use std::time::Duration;
//!
//! let rt = corio::Runtime::builder().current_thread().start_paused(true).build().unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     // Three "downloads" of 2 s each, concurrently: 2 s in all, not 6 s.
//!     corio::gather(vec![
//!         sleep(Duration::from_secs(2)),
//!         sleep(Duration::from_secs(2)),
//!         sleep(Duration::from_secs(2)),
//!     ])
//!     .await;
//!     assert_eq!(start.elapsed(), Duration::from_secs(2));
//!
//!     // asyncio.wait_for: the slow operation is cancelled after 2 s.
//!     let slow = sleep(Duration::from_secs(5));
//!     assert!(timeout(Duration::from_secs(2), slow).await.is_err());
//!     assert_eq!(start.elapsed(), Duration::from_secs(4));
//! });
//! ```

pub use corio_core::Elapsed;
// An explicit list (no glob): what the facade exposes is decided here. The timer's
// driver (`corio_timer::TimerDriver`) is assembled by the runtime and stays out;
// `TimerHandle` is the seam crates on the facade (corio-hyper's timer) reach the timer by.
pub use corio_timer::{
    advance, hold, interval, interval_at, pause, resume, sleep, sleep_until, timeout, timeout_at,
    try_interval, try_sleep, try_timeout, Instant, Interval, IntervalError, MissedTickBehavior,
    Sleep, Timeout, TimerHandle,
};

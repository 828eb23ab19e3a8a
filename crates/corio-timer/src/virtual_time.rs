//! Virtual time on the current runtime: [`pause`], [`resume`], [`advance`].
//!
//! While the clock is paused, time only moves when [`advance`] moves it, or when the timer
//! driver auto-advances it: whenever every task is idle and nothing else is busy (no
//! blocking-pool job in flight, no I/O readiness pending), the clock jumps straight to the
//! next timer's deadline (trio's autojump clock, tokio's `start_paused`). A test of a
//! `sleep(2s)` then takes microseconds and always observes exactly 2 s.
//!
//! Work the runtime cannot see — a `std::thread` that answers through a channel, a peer
//! process on a socket — takes a [`hold`]: while one is live the paused clock does not
//! jump but flows at real speed, so a timeout cannot fire before its real duration.
//! corio's child processes hold the clock while they run; blocking-pool jobs count as
//! busy.

use std::time::Duration;

use corio_core::context;
use corio_core::NoRuntime;

use crate::handle::TimerHandle;
use crate::sleep::Sleep;

/// Holds the current runtime's paused clock while work outside the runtime is in flight:
/// until the guard is dropped, auto-advance lets virtual time flow at real speed instead
/// of jumping to the next timer. On a clock that is not paused it changes nothing.
///
/// Take one around a wait whose other side is not a corio task (a thread, another
/// process on a socket); corio's child processes take one themselves.
///
/// # Examples
///
/// ```
/// # corio::Runtime::builder().current_thread().build().unwrap().block_on(async {
/// use corio_timer::{hold, pause, timeout};
/// use std::time::Duration;
///
/// pause();
/// let (tx, rx) = futures::channel::oneshot::channel();
/// let worker = std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(20)); // real work, outside the runtime
///     tx.send(42).unwrap();
/// });
/// let _hold = hold(); // without it, the idle runtime would jump 5 s and time out
/// assert_eq!(timeout(Duration::from_secs(5), rx).await.unwrap().unwrap(), 42);
/// worker.join().unwrap();
/// # });
/// ```
///
/// # Panics
/// Outside a runtime.
#[track_caller]
pub fn hold() -> corio_core::clock::HoldGuard {
    current_clock("corio::time::hold").hold()
}

/// Pauses the current runtime's clock: `Instant::now()` stops, and timers fire only as
/// time is advanced (by hand or automatically when the runtime is idle).
///
/// # Examples
///
/// ```
/// # corio::Runtime::builder().current_thread().build().unwrap().block_on(async {
/// use corio_timer::{pause, resume, sleep, Instant};
/// use std::time::Duration;
///
/// pause();
/// let start = Instant::now();
/// sleep(Duration::from_secs(3600)).await; // auto-advanced: returns at once
/// assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// resume();
/// # });
/// ```
///
/// # Panics
/// Outside a runtime, or if time is already paused.
#[track_caller]
pub fn pause() {
    let clock = current_clock("corio::time::pause");
    if let Err(e) = clock.pause() {
        panic!("`corio::time::pause` failed: {e}");
    }
    wake_driver();
}

/// Resumes the current runtime's clock: it runs at real speed again from where it stood.
///
/// # Panics
/// Outside a runtime, or if time is not paused.
#[track_caller]
pub fn resume() {
    let clock = current_clock("corio::time::resume");
    if let Err(e) = clock.resume() {
        panic!("`corio::time::resume` failed: {e}");
    }
    wake_driver();
}

/// Moves paused time forward by `duration`, then waits until the timer driver has fired
/// every timer due at the new instant (so their tasks are woken before `advance` returns).
///
/// # Examples
///
/// ```
/// # corio::Runtime::builder().current_thread().start_paused(true).build().unwrap().block_on(async {
/// use corio_timer::{advance, sleep, Instant};
/// use futures::FutureExt;
/// use std::time::Duration;
///
/// let start = Instant::now();
/// let mut nap = sleep(Duration::from_secs(2));
/// assert!((&mut nap).now_or_never().is_none());
/// advance(Duration::from_secs(2)).await;
/// assert!(nap.is_elapsed());
/// assert_eq!(start.elapsed(), Duration::from_secs(2));
/// # });
/// ```
///
/// # Panics
/// Outside a runtime with a timer, or if time is not paused (`"... call pause() first"`).
/// A duration that would overflow the clock leaves it where it is.
pub async fn advance(duration: Duration) {
    let handle = TimerHandle::expect_current("corio::time::advance");
    if let Err(e) = handle.clock.advance(duration) {
        panic!("`corio::time::advance` failed: {e}");
    }
    let now = handle.now();
    // Completes only once the driver's pass over `now` fired it, i.e. after every timer
    // due at `now` that was registered before it.
    Sleep::through_driver(handle, now).await
}

#[track_caller]
fn current_clock(function: &'static str) -> corio_core::Clock {
    match context::clock() {
        Some(c) => c,
        None => panic!("{}", NoRuntime::new(function)),
    }
}

/// The driver parks differently paused and running: make it re-evaluate.
fn wake_driver() {
    if let Some(h) = context::timer_as::<TimerHandle>() {
        h.handoff.unpark();
    }
}

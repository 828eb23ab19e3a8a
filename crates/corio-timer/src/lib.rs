//! corio's timers: a hierarchical timing wheel, [`sleep`], [`interval`], [`timeout`], and
//! virtual time ([`pause`], [`advance`], auto-advance).
//!
//! The timer is a driver *layer*: [`TimerDriver`] wraps an inner [`Driver`] (corio's
//! reactor, or a plain [`ParkThread`]) and parks it until the nearest deadline. Timers are
//! created from any thread through an [`Arc<TimerHandle>`](TimerHandle), which a runtime
//! installs in its context; the free functions find it there. In the `corio` facade all of
//! this is wired for you and re-exported as `corio::time` (plus `corio::sleep`,
//! `corio::timeout`, ...).
//!
//! # Examples
//!
//! corio-timer used alone: a `TimerDriver` over a `ParkThread`, a paused clock, and a
//! hand-written loop that polls one future and parks the driver when it is pending.
//!
//! ```
//! use corio_core::{coop, Clock, Driver, ParkThread, RuntimeContext, Unparker};
//! use corio_timer::{interval, sleep, timeout, Instant, TimerDriver};
//! use std::future::Future;
//! use std::sync::Arc;
//! use std::task::{Context, Poll, Wake, Waker};
//! use std::time::Duration;
//!
//! struct Unpark(Unparker);
//! impl Wake for Unpark {
//!     fn wake(self: Arc<Self>) {
//!         self.0.unpark()
//!     }
//! }
//!
//! fn block_on<F: Future>(clock: Clock, fut: F) -> F::Output {
//!     let mut driver = TimerDriver::new(ParkThread::new(), clock.clone());
//!     let cx = driver.handle().attach(RuntimeContext::new(clock.clone()));
//!     let _entered = cx.enter();
//!     let waker = Waker::from(Arc::new(Unpark(driver.unparker())));
//!     let mut task_cx = Context::from_waker(&waker);
//!     let mut fut = std::pin::pin!(fut);
//!     loop {
//!         let busy = clock.busy(); // "a worker is running" (virtual time holds still)
//!         if let Poll::Ready(out) = coop::budget(|| fut.as_mut().poll(&mut task_cx)) {
//!             return out;
//!         }
//!         drop(busy);
//!         driver.park(None); // until the nearest deadline (or jump to it, if paused)
//!     }
//! }
//!
//! // Virtual time: an hour of sleeping takes no real time and is measured exactly.
//! let elapsed = block_on(Clock::new_paused(), async {
//!     let start = Instant::now();
//!     sleep(Duration::from_secs(3600)).await;
//!     let mut ticks = interval(Duration::from_secs(1));
//!     for _ in 0..3 {
//!         ticks.tick().await;
//!     }
//!     assert!(timeout(Duration::from_secs(1), sleep(Duration::from_secs(2))).await.is_err());
//!     start.elapsed()
//! });
//! assert_eq!(elapsed, Duration::from_secs(3600 + 2 + 1));
//!
//! // Real time works the same way (timers must be created inside the loop's context).
//! block_on(Clock::new(), async { sleep(Duration::from_millis(1)).await });
//! ```
//!
//! # Implementation
//! - **Wheel**: 8 levels of 64 slots with a 1 ms tick and a 64-bit occupied bitmap per
//!   level; O(1) insert and cancel (a slab with index-linked slots). Each slot keeps the
//!   smallest deadline filed in it, so the driver knows the *exact* nearest deadline.
//! - **Precision**: the driver parks the inner driver until the exact nearest deadline,
//!   not the next tick boundary, so `sleep(1ms)` is not rounded to 2 ms. It is as precise as
//!   the inner driver's timed park (`ParkThread`: the OS condition variable, microseconds;
//!   a reactor: its own timeout resolution). Timers due in one pass fire in deadline order,
//!   equal deadlines in registration order.
//! - **Threads**: the wheel sits behind a mutex that the driver holds while it turns and
//!   releases before it blocks. A timer future that finds the lock free registers,
//!   resets and cancels in the wheel directly; one that finds it taken never waits: it
//!   goes through a lock-free queue (`crossbeam_queue::SegQueue`) and one atomic
//!   deadline word per timer, which the driver drains on its next turn. Either way, a
//!   registration earlier than the deadline the driver is parked for unparks it. A direct
//!   filing is staged on a list that the driver's next pass links into the slots, so a
//!   timer cancelled before that pass never touches a slot. A timer
//!   is allocated (one `Arc`) only when first polled with its deadline still ahead, and
//!   a dropped timer's entry that nothing else references is kept (up to 64), with its
//!   waker until the driver next blocks, for the next direct registration to re-arm
//!   (the same task re-registers without a waker clone); a staged timer holds no
//!   reference count (the wheel's rule 8); a timer cancelled through the queue is unfiled
//!   on the driver's next turn, and the wheel's memory returns to its baseline (plus
//!   those spares) when it empties.
//! - **`timeout`** polls its future first and starts its limit at that first poll, so a
//!   future ready at once reads no clock and touches no wheel.
//! - **Virtual time**: see [`pause`] and the [`TimerDriver`] park protocol.
//! - **Limits**: `Duration::MAX` (any deadline that overflows `Instant`), and deadlines more
//!   than ~584 years after the driver started, never fire.

#![warn(clippy::undocumented_unsafe_blocks)]

mod driver;
mod entry;
mod handle;
mod instant;
mod interval;
mod loom;
mod sleep;
mod timeout;
mod virtual_time;
mod wheel;

#[cfg(loom)]
#[doc(hidden)]
pub mod loom_model;

pub use corio_core::Elapsed;
pub use driver::TimerDriver;
pub use handle::TimerHandle;
pub use instant::Instant;
pub use interval::{
    interval, interval_at, try_interval, Interval, IntervalError, MissedTickBehavior,
};
pub use sleep::{sleep, sleep_until, try_sleep, Sleep};
pub use timeout::{timeout, timeout_at, try_timeout, Timeout};
pub use virtual_time::{advance, hold, pause, resume};

#[cfg(doc)]
use corio_core::{Driver, ParkThread};

//! [`CorioTimer`] and [`CorioSleep`]: hyper's `Timer` on corio's timer wheel and clock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant as StdInstant};

use corio::time::{Instant, Sleep, TimerHandle};

/// hyper's timer on the current corio runtime: its sleeps are corio [`Sleep`]s and its
/// clock is the runtime's clock, so hyper's timeouts (`header_read_timeout`, HTTP/2
/// keep-alive pings, the client pool's idle timeout) follow virtual time in a runtime
/// built with `start_paused(true)`.
///
/// Like hyper-util's `TokioTimer`, it holds no state: each sleep is made on the runtime
/// of the calling thread (hyper creates them from the task driving the connection).
///
/// # Examples
///
/// ```
/// use corio_hyper::CorioTimer;
/// use hyper::rt::Timer;
/// use std::time::Duration;
///
/// let rt = corio::Runtime::builder().current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let timer = CorioTimer::new();
///     let start = timer.now();
///     timer.sleep(Duration::from_secs(30)).await; // virtual time: returns at once
///     assert_eq!(timer.now() - start, Duration::from_secs(30));
/// });
/// ```
///
/// # Panics
/// `sleep` and `sleep_until` panic outside a corio runtime, with a message naming
/// `CorioTimer`. `now` outside a runtime is the real monotonic clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct CorioTimer {
    _priv: (),
}

impl CorioTimer {
    /// A timer on the current corio runtime's clock.
    pub fn new() -> CorioTimer {
        CorioTimer { _priv: () }
    }
}

#[track_caller]
fn current(method: &str) -> Arc<TimerHandle> {
    match TimerHandle::try_current() {
        Ok(handle) => handle,
        Err(e) => panic!("corio_hyper::CorioTimer::{method}: {e}"),
    }
}

impl hyper::rt::Timer for CorioTimer {
    #[track_caller]
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep {
            inner: current("sleep").sleep(duration),
        })
    }

    #[track_caller]
    fn sleep_until(&self, deadline: StdInstant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep {
            inner: current("sleep_until").sleep_until(Instant::from_std(deadline)),
        })
    }

    fn now(&self) -> StdInstant {
        Instant::now().into_std()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: StdInstant) {
        match sleep.as_mut().downcast_mut_pin::<CorioSleep>() {
            // Reuses the registered timer entry instead of allocating a new one.
            Some(mut ours) => ours.inner.reset(Instant::from_std(new_deadline)),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// The sleep future of [`CorioTimer`]: a corio [`Sleep`] that hyper can box and reset.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct CorioSleep {
    inner: Sleep,
}

impl CorioSleep {
    /// The instant (on the runtime's clock) at which this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.inner.deadline()
    }
}

impl Future for CorioSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.inner).poll(cx)
    }
}

impl hyper::rt::Sleep for CorioSleep {}

impl fmt::Debug for CorioSleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorioSleep")
            .field("deadline", &self.inner.deadline())
            .finish()
    }
}

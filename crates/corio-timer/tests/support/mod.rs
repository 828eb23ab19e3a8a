//! Test support: a standalone timer runtime (TimerDriver over ParkThread, one future,
//! corio-test-util's poll loop) and a driver that records its parks.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio_core::context::EnterGuard;
use corio_core::{Clock, Driver, ParkThread, RuntimeContext, Unparker};
use corio_test_util::block_on_driver;
use corio_timer::{Instant, TimerDriver, TimerHandle};

pub struct Rt<D: Driver = ParkThread> {
    pub clock: Clock,
    pub driver: TimerDriver<D>,
    pub handle: Arc<TimerHandle>,
    pub cx: RuntimeContext,
    pub start: Instant,
}

impl Rt<ParkThread> {
    /// Virtual time, auto-advance on.
    pub fn paused() -> Self {
        Rt::with(ParkThread::new(), Clock::new_paused())
    }

    /// Real time.
    pub fn real() -> Self {
        Rt::with(ParkThread::new(), Clock::new())
    }
}

impl<D: Driver> Rt<D> {
    pub fn with(inner: D, clock: Clock) -> Self {
        let driver = TimerDriver::new(inner, clock.clone());
        let handle = driver.handle();
        let cx = handle.attach(RuntimeContext::new(clock.clone()));
        let start = Instant::from_std(clock.now());
        Rt {
            clock,
            driver,
            handle,
            cx,
            start,
        }
    }

    pub fn enter(&self) -> EnterGuard {
        self.cx.enter()
    }

    /// Virtual time since the runtime was built.
    pub fn elapsed(&self) -> Duration {
        Instant::from_std(self.clock.now()) - self.start
    }

    /// Polls `fut` to completion, parking the timer driver whenever it is pending
    /// (corio-test-util's poll loop, as an executor worker runs it).
    pub fn block_on<F: Future>(&mut self, fut: F) -> F::Output {
        block_on_driver(&mut self.driver, &self.cx, fut)
    }
}

/// An inner driver that records each park's timeout and result, around a ParkThread.
/// The second field counts parks *entered* (before the inner park blocks), so a test can
/// wait until the driver is parked rather than guess with a sleep.
#[derive(Clone, Default)]
pub struct Log(
    pub Arc<Mutex<Vec<ParkRecord>>>,
    pub Arc<std::sync::atomic::AtomicUsize>,
);

/// One inner park: the timeout asked for, and whether it observed anything.
pub type ParkRecord = (Option<Duration>, bool);

pub struct Recording {
    pub inner: ParkThread,
    pub log: Log,
}

impl Recording {
    pub fn new() -> (Self, Log) {
        let log = Log::default();
        (
            Recording {
                inner: ParkThread::new(),
                log: log.clone(),
            },
            log,
        )
    }
}

impl Driver for Recording {
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        self.log.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let r = self.inner.park(timeout);
        self.log.0.lock().unwrap().push((timeout, r));
        r
    }
    fn unparker(&self) -> Unparker {
        self.inner.unparker()
    }
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

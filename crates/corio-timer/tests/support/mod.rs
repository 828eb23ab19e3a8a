//! Test support: a standalone timer runtime (TimerDriver over ParkThread, one future,
//! a hand-written poll loop) and small waker/driver helpers.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use corio_core::context::EnterGuard;
use corio_core::{coop, Clock, Driver, ParkThread, RuntimeContext, Unparker};
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

    /// Polls `fut` to completion, parking the timer driver whenever it is pending.
    /// Holds a busy guard while polling, like an executor worker.
    pub fn block_on<F: Future>(&mut self, fut: F) -> F::Output {
        let _entered = self.cx.enter();
        let waker = Waker::from(Arc::new(UnparkWaker(self.driver.unparker())));
        let mut task_cx = Context::from_waker(&waker);
        let mut fut = std::pin::pin!(fut);
        loop {
            let busy = self.clock.busy();
            if let Poll::Ready(out) = coop::budget(|| fut.as_mut().poll(&mut task_cx)) {
                return out;
            }
            drop(busy);
            self.driver.park(None);
        }
    }
}

struct UnparkWaker(Unparker);

impl Wake for UnparkWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark()
    }
}

/// A waker that counts its wakes.
#[derive(Default)]
pub struct CountWaker(pub AtomicUsize);

impl CountWaker {
    pub fn new() -> (Waker, Arc<CountWaker>) {
        let c = Arc::new(CountWaker::default());
        (Waker::from(c.clone()), c)
    }
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `fut` once with `waker`.
pub fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    std::pin::Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// An inner driver that records each park's timeout and result, around a ParkThread.
#[derive(Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<ParkRecord>>>);

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
        let r = self.inner.park(timeout);
        self.log.0.lock().unwrap().push((timeout, r));
        r
    }
    fn unparker(&self) -> Unparker {
        self.inner.unparker()
    }
}

/// Counts drops.
pub struct DropCount(pub Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Returns `Pending` once after waking itself (lets sibling futures run).
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

//! What the model-based property tests (`prop_*.rs`) share: a future polled by hand
//! with a waker that records whether it was woken, and the proptest settings.
//!
//! The check every model runs after every step is [`Probe::check_not_lost`]: a pending
//! future that was *not* woken must still be pending when polled. A future that
//! completes without having been woken is a lost wake-up: a real executor would never
//! have polled it again.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use proptest::test_runner::Config;

/// Cases per property: `cases` (enough to find ordering bugs, few enough that each test
/// stays well under 10 s in a debug build on a loaded machine), or `PROPTEST_CASES`.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A future under test, polled by hand.
pub struct Probe<F: Future> {
    fut: Pin<Box<F>>,
    flag: Arc<Flag>,
    waker: Waker,
}

impl<F: Future> Probe<F> {
    pub fn new(fut: F) -> Self {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        Probe {
            fut: Box::pin(fut),
            waker: Waker::from(flag.clone()),
            flag,
        }
    }

    /// Polls once; the woken flag is cleared first.
    pub fn poll(&mut self) -> Poll<F::Output> {
        self.flag.0.store(false, Ordering::SeqCst);
        self.fut
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// The future itself (to call its methods between polls).
    pub fn get_mut(&mut self) -> &mut F
    where
        F: Unpin,
    {
        self.fut.as_mut().get_mut()
    }

    /// Whether the waker was woken since the last poll.
    pub fn woken(&self) -> bool {
        self.flag.0.load(Ordering::SeqCst)
    }

    /// A probe that was not woken must still be pending (no lost wake-up). Returns the
    /// output if it completed after a wake-up.
    pub fn check_not_lost(&mut self, what: &str) -> Poll<F::Output> {
        let woken = self.woken();
        let polled = self.poll();
        assert!(
            woken || polled.is_pending(),
            "{what}: completed without a wake-up (a lost wake-up)"
        );
        polled
    }
}

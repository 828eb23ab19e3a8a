//! Shared by the `stress_*` test binaries: the size knob, the seeded generator, the two
//! runtime flavors, a hang-guard watchdog and a helper that runs a body as a task.
//!
//! # Sizes
//! Every stress test has a CI size (the default: each binary well under 20 s in a debug
//! build on a loaded 2-core machine) and a big size. `CORIO_STRESS=big` selects the big
//! size; `CORIO_STRESS=<factor>` (a positive number, e.g. `0.1` or `3`) multiplies the
//! CI size instead. The big sizes are the ones the issue names (100 000 tasks, 10 000
//! connections, ...).

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use corio::Runtime;

/// The size to use: `default` for CI, `big` under `CORIO_STRESS=big`, or `default`
/// times the factor under `CORIO_STRESS=<factor>` (at least 1).
pub fn size(default: usize, big: usize) -> usize {
    match std::env::var("CORIO_STRESS") {
        Ok(v) if v.eq_ignore_ascii_case("big") => big,
        Ok(v) => match v.trim().parse::<f64>() {
            Ok(f) if f > 0.0 => ((default as f64 * f) as usize).max(1),
            _ => panic!("CORIO_STRESS must be `big` or a positive factor, got {v:?}"),
        },
        Err(_) => default,
    }
}

/// The seeded generator of every stress test (one copy, in corio-test-util).
#[allow(unused_imports)] // not every stress binary draws random numbers
pub use corio_test_util::Rng;

/// The current-thread runtime on a paused clock, and a 2-worker multi-thread runtime on
/// the real clock.
pub fn runtimes() -> [(&'static str, Runtime); 2] {
    [
        (
            "current_thread(paused)",
            Runtime::builder()
                .current_thread()
                .start_paused(true)
                .build()
                .unwrap(),
        ),
        (
            "multi_thread(2)",
            Runtime::builder()
                .multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
    ]
}

/// Runs `body` as a task on `rt` and waits for it, re-raising its panic (so a failing
/// assertion inside the body fails the test with its own message).
pub fn on<F>(rt: &Runtime, body: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match rt.block_on(rt.spawn(body)) {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// A hang guard: if the returned guard is not dropped within `limit`, the whole process
/// is aborted with `what` (a hung test would otherwise stall CI until its global
/// timeout). Never a timing assertion: `limit` is generous.
#[must_use = "the watchdog disarms when the guard is dropped"]
pub struct Watchdog(Option<mpsc::Sender<()>>);

impl Watchdog {
    /// Arms the watchdog.
    pub fn arm(what: &'static str, limit: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                eprintln!("watchdog: `{what}` did not finish within {limit:?}; aborting");
                std::process::abort();
            }
        });
        Watchdog(Some(tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Dropping the sender disconnects the channel: the watchdog thread exits.
        self.0.take();
    }
}

/// Waits (yielding, then sleeping a little on the runtime's clock) until `cond` holds;
/// panics with `what` after `max_rounds` checks. For counts that settle once detached
/// tasks finish.
pub async fn settle(what: &str, max_rounds: usize, mut cond: impl FnMut() -> bool) {
    for round in 0..max_rounds {
        if cond() {
            return;
        }
        if round < 64 {
            corio::yield_now().await;
        } else {
            corio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    assert!(cond(), "{what}: did not settle after {max_rounds} rounds");
}

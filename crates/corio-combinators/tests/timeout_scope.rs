//! `timeout_scope` / `timeout_scope_at`: a deadline for a block of code.

use std::time::Duration;

use corio_combinators::{timeout_scope, timeout_scope_at};
use corio_core::Elapsed;
use corio_test_util::{sleep, Counters, Log, TestRuntime};

#[test]
fn deadline_drops_the_inner_future() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let log = Log::new();
    let l = log.clone();
    let out = rt.block_on(async {
        let r = timeout_scope(
            Duration::from_secs(2),
            c.wrap(async move {
                sleep(Duration::from_secs(1)).await;
                l.push("step 1");
                sleep(Duration::from_secs(5)).await;
                l.push("step 2");
            }),
        )
        .await;
        assert_eq!(
            c.drops(),
            1,
            "the body is dropped before Elapsed is returned"
        );
        r
    });
    assert_eq!(out, Err(Elapsed::new()));
    assert_eq!(rt.elapsed(), Duration::from_secs(2));
    assert_eq!(log.take(), ["step 1"]);
}

#[test]
fn the_clock_starts_at_the_first_poll() {
    let rt = TestRuntime::new();
    // Built outside the runtime (the argument of `block_on`), started inside.
    let scoped = timeout_scope(Duration::from_secs(2), sleep_then(1, 7));
    rt.block_on(async {
        sleep(Duration::from_secs(5)).await;
        assert_eq!(scoped.await, Ok(7));
    });
    assert_eq!(rt.elapsed(), Duration::from_secs(6));
}

async fn sleep_then(secs: u64, v: u32) -> u32 {
    sleep(Duration::from_secs(secs)).await;
    v
}

#[test]
fn body_that_finishes_in_time_returns_ok() {
    let rt = TestRuntime::new();
    let out = rt.block_on(timeout_scope(Duration::from_secs(2), async {
        sleep(Duration::from_secs(1)).await;
        7
    }));
    assert_eq!(out, Ok(7));
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
}

#[test]
fn absolute_deadline_and_past_deadline() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let start = corio_core::context::now();
        let d = timeout_scope_at(
            start + Duration::from_secs(3),
            sleep(Duration::from_secs(4)),
        );
        assert_eq!(d.await, Err(Elapsed::new()));
        // A past deadline still gives the body one poll.
        assert_eq!(timeout_scope_at(start, async { 1 }).await, Ok(1));
        assert_eq!(
            timeout_scope_at(start, sleep(Duration::from_secs(1))).await,
            Err(Elapsed::new())
        );
    });
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
}

#[test]
fn duration_max_means_no_deadline_and_needs_no_runtime() {
    let d = timeout_scope(Duration::MAX, async { 5 });
    assert_eq!(futures::executor::block_on(d), Ok(5));
}

#[test]
fn outside_a_runtime_a_pending_body_panics_naming_the_function() {
    // The timer is armed lazily, after the body's first poll (a body that finishes at once
    // never touches the timer: the fast path); a pending body then needs the runtime.
    let c = Counters::new();
    let body = c.wrap(futures::future::pending::<()>());
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(timeout_scope(Duration::from_secs(1), body))
    }))
    .unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(msg.contains("`corio::timeout_scope`"), "{msg}");
    assert_eq!(c.polls(), 1, "the body had its first poll");
    let ready = timeout_scope(Duration::from_secs(1), async { 3 });
    assert_eq!(futures::executor::block_on(ready), Ok(3), "no timer needed");
}

//! `with_resource` / `try_with_resource`: the async release runs on all four exits.

use std::time::Duration;

use corio_combinators::{timeout_scope, try_with_resource, with_resource, Exit};
use corio_test_util::{sleep, Log, TestRuntime};
use futures::FutureExt;

struct Conn {
    log: Log,
}

fn acquire(log: &Log) -> impl std::future::Future<Output = Conn> {
    let log = log.clone();
    async move {
        sleep(Duration::from_secs(1)).await;
        log.push("acquired");
        Conn { log }
    }
}

async fn release(conn: Conn, exit: Exit) {
    sleep(Duration::from_secs(1)).await;
    conn.log.push(format!("released after {exit:?}"));
}

#[test]
fn release_runs_after_success() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let out = rt.block_on(with_resource(
        acquire(&log),
        async |conn: &mut Conn| {
            sleep(Duration::from_secs(1)).await;
            conn.log.push("used");
            5
        },
        release,
    ));
    assert_eq!(out, 5);
    assert_eq!(log.take(), ["acquired", "used", "released after Ok"]);
    assert_eq!(
        rt.elapsed(),
        Duration::from_secs(3),
        "the release was awaited in place"
    );
}

#[test]
fn release_runs_after_an_error() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let out: Result<(), String> = rt.block_on(try_with_resource(
        acquire(&log),
        async |_conn: &mut Conn| Err("query failed".to_string()),
        release,
    ));
    assert_eq!(out, Err("query failed".to_string()));
    assert_eq!(log.take(), ["acquired", "released after Err"]);
}

#[test]
fn release_runs_after_a_panic_then_the_panic_resumes() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let caught = rt.block_on(
        std::panic::AssertUnwindSafe(with_resource(
            acquire(&log),
            async |_conn: &mut Conn| -> u8 { panic!("body blew up") },
            release,
        ))
        .catch_unwind(),
    );
    let payload = caught.unwrap_err();
    assert_eq!(
        corio_core::panic_message(&*payload).as_deref(),
        Some("body blew up")
    );
    assert_eq!(log.take(), ["acquired", "released after Panic"]);
    assert_eq!(rt.elapsed(), Duration::from_secs(2));
}

#[test]
fn release_completes_in_the_background_when_cancelled() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let out = rt.block_on(timeout_scope(
        Duration::from_secs(2),
        with_resource(
            acquire(&log),
            async |conn: &mut Conn| {
                conn.log.push("using");
                sleep(Duration::from_secs(10)).await;
                conn.log.push("never");
            },
            release,
        ),
    ));
    assert!(out.is_err());
    assert_eq!(log.snapshot(), ["acquired", "using"]);
    assert_eq!(rt.live_tasks(), 1, "the release runs as a background task");
    rt.block_on(sleep(Duration::from_secs(5)));
    assert_eq!(
        log.take(),
        ["acquired", "using", "released after Cancelled"]
    );
    assert_eq!(rt.live_tasks(), 0);
}

#[test]
fn a_release_cancelled_midway_is_finished_in_the_background() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let slow_release = |conn: Conn, exit: Exit| async move {
        conn.log.push("release started");
        sleep(Duration::from_secs(3)).await;
        conn.log.push(format!("release finished after {exit:?}"));
    };
    let out = rt.block_on(timeout_scope(
        Duration::from_secs(2),
        with_resource(acquire(&log), async |_c: &mut Conn| (), slow_release),
    ));
    assert!(out.is_err(), "cancelled during the release");
    assert_eq!(log.snapshot(), ["acquired", "release started"]);
    rt.block_on(sleep(Duration::from_secs(5)));
    assert_eq!(
        log.take(),
        ["acquired", "release started", "release finished after Ok"],
        "the release continued where it stood (not restarted)"
    );
}

#[test]
fn cancelled_while_acquiring_releases_nothing() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let out = rt.block_on(timeout_scope(
        Duration::from_millis(500),
        with_resource(acquire(&log), async |_c: &mut Conn| (), release),
    ));
    assert!(out.is_err());
    rt.block_on(sleep(Duration::from_secs(5)));
    assert!(log.take().is_empty());
    assert_eq!(rt.spawned(), 0);
}

//! `shield`: the work survives the caller's cancellation.

// Handles are carried out of one `block_on` to be awaited in the next.
#![allow(clippy::async_yields_async)]

mod support;

use std::time::Duration;

use corio_combinators::{shield, timeout_scope};
use corio_core::Elapsed;
use support::{sleep, Log, TestRuntime};

#[test]
fn shield_survives_outer_cancellation() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let l = log.clone();
    let handle = rt.block_on(async move {
        let shielded = shield(async move {
            sleep(Duration::from_secs(5)).await;
            l.push("saved");
            42
        });
        let handle = shielded.handle();
        let out = timeout_scope(Duration::from_secs(1), shielded).await;
        assert!(matches!(out, Err(e) if e == Elapsed::new()));
        handle
    });
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
    assert!(log.snapshot().is_empty());
    assert!(!handle.is_finished());
    // The shield was dropped by the timeout; the work goes on and its result arrives.
    assert_eq!(rt.block_on(handle).unwrap(), 42);
    assert_eq!(log.take(), ["saved"]);
    assert_eq!(rt.elapsed(), Duration::from_secs(5));
}

#[test]
fn awaiting_the_shield_gives_the_output() {
    let rt = TestRuntime::new();
    let out = rt.block_on(async { shield(async { "done" }).await });
    assert_eq!(out.unwrap(), "done");
}

#[test]
fn dropping_every_claimant_does_not_cancel() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let l = log.clone();
    rt.block_on(async move {
        drop(shield(async move {
            sleep(Duration::from_secs(1)).await;
            l.push("ran");
        }));
        sleep(Duration::from_secs(2)).await;
    });
    assert_eq!(log.take(), ["ran"]);
}

#[test]
fn abort_cancels_and_panic_is_reported() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let s = shield(sleep(Duration::from_secs(10)));
        let id = s.id();
        s.abort();
        let err = s.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.id(), id);

        let s = shield(async { panic!("shielded work failed") });
        let err = s.handle().await.unwrap_err();
        assert_eq!(err.panic_message().as_deref(), Some("shielded work failed"));
    });
}

#[test]
fn a_second_claimant_after_the_outcome_was_taken_panics() {
    let rt = TestRuntime::new();
    let handle = rt.block_on(async {
        let s = shield(async { 1 });
        let h = s.handle();
        assert_eq!(s.await.unwrap(), 1);
        h
    });
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(handle))).unwrap_err();
    assert!(corio_core::panic_message(&*err)
        .unwrap()
        .contains("already taken"));
}

#[test]
fn outside_a_runtime_panics_naming_spawn() {
    let err = std::panic::catch_unwind(|| {
        drop(shield(async {}));
    })
    .unwrap_err();
    assert!(corio_core::panic_message(&*err)
        .unwrap()
        .contains("`corio::spawn`"));
}

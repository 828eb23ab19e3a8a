//! `shield`: the work survives the caller's cancellation.

// Handles are carried out of one `block_on` to be awaited in the next.
#![allow(clippy::async_yields_async)]

use std::time::Duration;

use corio_combinators::{shield, timeout_scope};
use corio_core::Elapsed;
use corio_test_util::{sleep, Log, TestRuntime};

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

/// A shielded `CancelScope` inside `move_on_after`/`fail_after` (scopes without a handle,
/// whose shared state is created only when a shielded scope inside needs to be counted):
/// both outer deadlines pass while the shielded body runs; they wait for it, then cancel
/// at the next await.
#[test]
fn shielded_scope_inside_scopes_without_a_handle_delays_their_cancel() {
    use corio_combinators::{fail_after, move_on_after, CancelScope};
    let rt = TestRuntime::new();
    let log = Log::new();
    let l = log.clone();
    let out = rt.block_on(async move {
        move_on_after(Duration::from_secs(1), async move {
            fail_after(Duration::from_secs(2), async move {
                let saved = CancelScope::new()
                    .shielded()
                    .move_on(async {
                        sleep(Duration::from_secs(3)).await;
                        l.push("cleanup done");
                        7
                    })
                    .await;
                assert_eq!(saved, Some(7));
                sleep(Duration::from_secs(1)).await;
                l.push("unreachable");
            })
            .await
        })
        .await
    });
    // Neither cancelled during the shield (3 s, past both deadlines). When it ended, the
    // body went on to its next await inside the inner scope, which cancelled it there
    // (as the `CancelScope::shielded` example shows); the outer scope got its `Err`.
    assert!(matches!(out, Some(Err(_))), "{out:?}");
    assert_eq!(log.take(), ["cleanup done"]);
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
}

/// The same scopes without a shield inside never allocate shared state, and still cancel
/// at their own deadline.
#[test]
fn scopes_without_a_handle_cancel_at_their_deadline() {
    use corio_combinators::{fail_after, move_on_after};
    let rt = TestRuntime::new();
    let out = rt.block_on(async {
        let inner = fail_after(Duration::from_secs(1), sleep(Duration::from_secs(5)));
        let outer = move_on_after(Duration::from_secs(2), inner).await;
        (
            outer,
            move_on_after(Duration::from_secs(1), async { 3 }).await,
        )
    });
    assert!(matches!(out.0, Some(Err(_))));
    assert_eq!(out.1, Some(3));
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
}

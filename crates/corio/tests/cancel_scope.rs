//! Cancel scopes on the real runtime's virtual clock, both flavors: deadlines read and
//! moved while running, cancel by hand, move_on/fail shapes, the outermost-reports rule
//! for nested scopes, shields, and the bad inputs (a deadline in the past, `Duration::MAX`).

mod support;

use support::{on, runtimes, SEC};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::time::{sleep, Instant};
use corio::{fail_after, move_on_after, move_on_at, timeout_scope, CancelScope};

#[test]
fn when_reschedule_and_expired_while_running() {
    for (flavor, rt) in runtimes() {
        let (r, at, expired) = on(&rt, async {
            let start = Instant::now();
            let scope = CancelScope::after(2 * SEC);
            assert_eq!(scope.when(), None, "relative: not started yet");
            let inner = scope.clone();
            let r = scope
                .fail(async move {
                    // Push the deadline out to 10 s, then pull it back to 3 s.
                    inner.reschedule(Some((start + 10 * SEC).into_std()));
                    sleep(SEC).await;
                    inner.reschedule(Some((start + 3 * SEC).into_std()));
                    sleep(5 * SEC).await;
                })
                .await;
            (r, start.elapsed(), scope.expired())
        });
        assert!(r.is_err(), "{flavor}");
        assert_eq!(at, 3 * SEC, "{flavor}: the moved deadline fired");
        assert!(expired, "{flavor}");
    }
}

#[test]
fn when_reports_the_started_deadline() {
    for (flavor, rt) in runtimes() {
        let ok = on(&rt, async {
            let start = Instant::now();
            let scope = CancelScope::after(2 * SEC);
            let inner = scope.clone();
            scope
                .move_on(async move {
                    sleep(SEC).await;
                    inner.when() == Some((start + 2 * SEC).into_std())
                })
                .await
        });
        assert_eq!(ok, Some(true), "{flavor}");
    }
}

#[test]
fn reschedule_into_the_past_fires_at_once_and_none_means_never() {
    for (flavor, rt) in runtimes() {
        let (r, at) = on(&rt, async {
            let start = Instant::now();
            let scope = CancelScope::after(100 * SEC);
            let inner = scope.clone();
            let r = scope
                .move_on(async move {
                    sleep(SEC).await;
                    inner.reschedule(Some(start.into_std())); // the past
                    sleep(50 * SEC).await;
                })
                .await;
            (r, start.elapsed())
        });
        assert_eq!(r, None, "{flavor}");
        assert_eq!(at, SEC, "{flavor}: fired at once");

        let (r, at) = on(&rt, async {
            let start = Instant::now();
            let scope = CancelScope::after(SEC);
            scope.reschedule(None);
            let r = scope.fail(sleep(30 * SEC)).await;
            (r, start.elapsed())
        });
        assert!(r.is_ok(), "{flavor}");
        assert_eq!(at, 30 * SEC, "{flavor}");
    }
}

#[test]
fn a_deadline_already_past_gives_the_body_one_poll() {
    for (flavor, rt) in runtimes() {
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let r = on(&rt, async move {
            let past = Instant::now();
            sleep(SEC).await;
            move_on_at(past.into_std(), async move {
                p.fetch_add(1, Ordering::SeqCst);
                sleep(SEC).await;
                p.fetch_add(1, Ordering::SeqCst);
            })
            .await
        });
        assert_eq!(r, None, "{flavor}");
        assert_eq!(polls.load(Ordering::SeqCst), 1, "{flavor}");
        // A ready body finishes even with a past deadline.
        let v = on(&rt, async {
            move_on_at(Instant::now().into_std(), async { 5 }).await
        });
        assert_eq!(v, Some(5), "{flavor}");
    }
}

#[test]
fn duration_max_never_fires() {
    for (flavor, rt) in runtimes() {
        let r = on(&rt, async {
            fail_after(Duration::MAX, async {
                sleep(1_000_000 * SEC).await;
                1
            })
            .await
        });
        assert_eq!(r, Ok(1), "{flavor}");
    }
}

#[test]
fn cancel_by_hand_ends_the_body_without_expiring() {
    for (flavor, rt) in runtimes() {
        let (r, at, expired) = on(&rt, async {
            let start = Instant::now();
            let scope = CancelScope::new();
            let canceller = scope.clone();
            corio::spawn(async move {
                sleep(4 * SEC).await;
                canceller.cancel();
            })
            .detach();
            let r = scope.move_on(sleep(100 * SEC)).await;
            (r, start.elapsed(), scope.expired())
        });
        assert_eq!(r, None, "{flavor}");
        assert_eq!(at, 4 * SEC, "{flavor}");
        assert!(!expired, "{flavor}: cancelled, not timed out");
    }
}

#[test]
fn nested_scopes_expiring_together_report_the_outermost() {
    // CPython test_timeouts.py::test_nested_timeouts: the outer raises TimeoutError, the
    // inner sees cancellation.
    for (flavor, rt) in runtimes() {
        let inner_reported = Arc::new(AtomicUsize::new(0));
        let i = inner_reported.clone();
        let outer = on(&rt, async move {
            let deadline = (Instant::now() + SEC).into_std();
            corio::timeout_scope_at(deadline, async move {
                let r = corio::timeout_scope_at(deadline, sleep(10 * SEC)).await;
                // Reached only if the inner scope reported.
                i.fetch_add(1, Ordering::SeqCst);
                r
            })
            .await
        });
        assert!(
            outer.is_err(),
            "{flavor}: the outer scope reports the timeout"
        );
        assert_eq!(inner_reported.load(Ordering::SeqCst), 0, "{flavor}");
    }
}

#[test]
fn an_inner_scope_expiring_alone_reports_itself() {
    for (flavor, rt) in runtimes() {
        let r = on(&rt, async {
            fail_after(10 * SEC, async {
                let inner = fail_after(SEC, sleep(5 * SEC)).await;
                assert!(inner.is_err());
                "outer goes on"
            })
            .await
        });
        assert_eq!(r, Ok("outer goes on"), "{flavor}");
    }
}

#[test]
fn a_shielded_scope_runs_to_its_end_then_the_outer_cancels() {
    for (flavor, rt) in runtimes() {
        let steps = Arc::new(AtomicUsize::new(0));
        let s = steps.clone();
        let (r, at) = on(&rt, async move {
            let start = Instant::now();
            let r = timeout_scope(SEC, async move {
                CancelScope::new()
                    .shielded()
                    .fail(async {
                        sleep(3 * SEC).await;
                        s.fetch_add(1, Ordering::SeqCst);
                    })
                    .await
                    .unwrap();
                sleep(SEC).await; // the outer deadline already passed: cancelled here
                s.fetch_add(1, Ordering::SeqCst);
            })
            .await;
            (r, start.elapsed())
        });
        assert!(r.is_err(), "{flavor}");
        assert_eq!(at, 3 * SEC, "{flavor}: the outer waited for the shield");
        assert_eq!(steps.load(Ordering::SeqCst), 1, "{flavor}");
    }
}

#[test]
fn a_shielded_scope_keeps_its_own_deadline() {
    for (flavor, rt) in runtimes() {
        let r = on(&rt, async {
            CancelScope::after(SEC)
                .shielded()
                .move_on(sleep(5 * SEC))
                .await
        });
        assert_eq!(r, None, "{flavor}");
    }
}

#[test]
fn scopes_outside_a_runtime_run_without_a_deadline_and_name_the_function_with_one() {
    assert_eq!(
        futures::executor::block_on(move_on_after(Duration::MAX, async { 1 })),
        Some(1)
    );
    assert_eq!(
        futures::executor::block_on(fail_after(Duration::from_secs(1), async { 2 })),
        Ok(2)
    );
    let err = std::panic::catch_unwind(|| {
        futures::executor::block_on(fail_after(
            Duration::from_secs(1),
            futures::future::pending::<()>(),
        ))
    })
    .unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(msg.contains("corio::fail_after"), "{msg}");
}

#[test]
fn cancel_inside_a_shielded_scope() {
    for (flavor, rt) in runtimes() {
        let (outer_r, own_r, at) = on(&rt, async {
            let start = Instant::now();
            // An enclosing scope cancelled by hand while a shielded scope runs: it waits
            // for the shield, as for its deadline.
            let outer = CancelScope::new();
            let o = outer.clone();
            let outer_r = outer
                .move_on(async move {
                    CancelScope::new()
                        .shielded()
                        .move_on(async {
                            o.cancel();
                            sleep(2 * SEC).await;
                        })
                        .await
                        .expect("the shield holds the outer cancel back");
                    sleep(SEC).await; // cancelled here
                    unreachable!("the outer scope was cancelled");
                })
                .await;
            // The shielded scope's own cancel applies to it (the shield guards against
            // enclosing scopes only).
            let own = CancelScope::new().shielded();
            let me = own.clone();
            let own_r = own
                .move_on(async move {
                    me.cancel();
                    sleep(10 * SEC).await;
                })
                .await;
            (outer_r, own_r, start.elapsed())
        });
        assert_eq!(outer_r, None, "{flavor}");
        assert_eq!(own_r, None, "{flavor}");
        assert_eq!(
            at,
            2 * SEC,
            "{flavor}: waited for the shield, not for the sleeps"
        );
    }
}

#[test]
fn a_task_cancel_inside_a_shielded_scope_needs_task_shielded() {
    for (flavor, rt) in runtimes() {
        let finished = Arc::new(AtomicUsize::new(0));
        let f = finished.clone();
        let (plain, with_task_shield, at) = on(&rt, async move {
            let start = Instant::now();
            // A scope's shield guards against enclosing scopes, not the task's own
            // cooperative cancel: the body is dropped at its await.
            let (tx, rx) = corio::sync::oneshot::channel();
            let h = corio::spawn(CancelScope::new().shielded().move_on(async move {
                tx.send(()).unwrap();
                sleep(10 * SEC).await;
            }));
            rx.await.unwrap();
            h.cancel();
            let plain = h.await.unwrap_err();
            // `task::shielded` is the task-level shield: the body finishes, then the
            // cancel lands at the next await.
            let (tx, rx) = corio::sync::oneshot::channel();
            let h = corio::spawn(async move {
                CancelScope::new()
                    .shielded()
                    .move_on(corio::task::shielded(async move {
                        tx.send(()).unwrap();
                        sleep(SEC).await;
                        f.fetch_add(1, Ordering::SeqCst);
                    }))
                    .await;
                corio::yield_now().await;
                unreachable!("cancelled at the await above");
            });
            rx.await.unwrap();
            h.cancel();
            (plain, h.await.unwrap_err(), start.elapsed())
        });
        assert!(plain.is_cancelled(), "{flavor}");
        assert!(with_task_shield.is_cancelled(), "{flavor}");
        assert_eq!(finished.load(Ordering::SeqCst), 1, "{flavor}");
        assert_eq!(at, SEC, "{flavor}");
    }
}

//! CPython `Lib/test/test_asyncio/test_timeouts.py`.

use std::time::Duration;

use corio::time::{sleep, Instant};
use corio::{timeout_scope, timeout_scope_at, CancelScope};

use crate::on_both;

const MS: Duration = Duration::from_millis(1);

#[test]
fn test_timeout_basic() {
    on_both(|| async {
        let cm = CancelScope::after(10 * MS);
        let r = cm.fail(sleep(10_000 * MS)).await;
        assert!(r.is_err());
        assert!(cm.expired());
    });
}

#[test]
fn test_timeout_at_basic() {
    on_both(|| async {
        let deadline = (Instant::now() + 10 * MS).into_std();
        let cm = CancelScope::at(deadline);
        let r = cm.fail(sleep(10_000 * MS)).await;
        assert!(r.is_err());
        assert!(cm.expired());
        assert_eq!(cm.when(), Some(deadline));
    });
}

#[test]
fn test_nested_timeouts() {
    // The outer scope reports the timeout; the inner one is cancelled (dropped).
    on_both(|| async {
        let outer = CancelScope::after(10 * MS);
        let inner = CancelScope::after(10 * MS);
        let i = inner.clone();
        let r = outer
            .fail(async move {
                let _ = i.fail(sleep(10_000 * MS)).await;
                unreachable!("the inner scope never reports")
            })
            .await;
        assert!(r.is_err());
        assert!(outer.expired());
        assert!(
            !inner.expired(),
            "the inner scope saw cancellation, not its timeout"
        );
    });
}

#[test]
fn test_timeout_zero() {
    on_both(|| async {
        let cm = CancelScope::after(Duration::ZERO);
        assert!(cm.fail(sleep(10_000 * MS)).await.is_err());
        assert!(cm.expired());
    });
}

#[test]
fn test_timeout_zero_sleep_zero() {
    on_both(|| async {
        // Deliberate difference: CPython raises TimeoutError; corio's body always gets its
        // first poll, and a zero sleep finishes in it (docs/asyncio-to-corio.md).
        let cm = CancelScope::after(Duration::ZERO);
        assert!(cm.fail(sleep(Duration::ZERO)).await.is_ok());
        assert!(!cm.expired());
    });
}

#[test]
fn test_timeout_in_the_past_sleep_zero() {
    on_both(|| async {
        let past = (Instant::now()).into_std();
        sleep(10 * MS).await;
        let cm = CancelScope::at(past);
        let r = cm.fail(sleep(10_000 * MS)).await;
        assert!(r.is_err());
        assert!(cm.expired());
    });
}

#[test]
fn test_timeout_not_called() {
    on_both(|| async {
        let start = Instant::now();
        let cm = CancelScope::after(10_000 * MS);
        assert!(cm.fail(sleep(10 * MS)).await.is_ok());
        assert!(!cm.expired());
        assert_eq!(start.elapsed(), 10 * MS);
        assert!(cm.when().unwrap() > Instant::now().into_std());
    });
}

#[test]
fn test_timeout_disabled() {
    on_both(|| async {
        let cm = CancelScope::new();
        assert!(cm.fail(sleep(10 * MS)).await.is_ok());
        assert_eq!(cm.when(), None);
        assert!(!cm.expired());
        // Duration::MAX is Python's `timeout(None)` too.
        assert!(timeout_scope(Duration::MAX, sleep(10 * MS)).await.is_ok());
    });
}

#[test]
fn test_timeout_at_disabled() {
    on_both(|| async {
        let cm = CancelScope::at((Instant::now() + 10 * MS).into_std());
        cm.reschedule(None);
        assert!(cm.fail(sleep(20 * MS)).await.is_ok());
        assert_eq!(cm.when(), None);
    });
}

#[test]
fn test_timeout_exception_cause() {
    // The timeout error is its own type, `Elapsed` (Python's TimeoutError).
    on_both(|| async {
        let e = timeout_scope(MS, sleep(10 * MS)).await.unwrap_err();
        assert_eq!(e.to_string(), corio_core::Elapsed::new().to_string());
    });
}

#[test]
fn test_reschedule() {
    on_both(|| async {
        let start = Instant::now();
        let cm = CancelScope::new();
        let c = cm.clone();
        let r = cm
            .fail(async move {
                c.reschedule(Some((start + 20 * MS).into_std()));
                assert_eq!(c.when(), Some((start + 20 * MS).into_std()));
                sleep(10 * MS).await;
                c.reschedule(Some((start + 30 * MS).into_std()));
                sleep(1_000 * MS).await;
            })
            .await;
        assert!(r.is_err());
        assert_eq!(start.elapsed(), 30 * MS);
    });
}

#[test]
fn test_timeout_after_cancellation() {
    // A scope entered after the task handled a cancel still works.
    on_both(|| async {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let h = corio::spawn(async move {
            let caught = corio::task::catch_cancel(async move {
                tx.send(()).unwrap();
                std::future::pending::<()>().await
            });
            let _ = caught.await;
            timeout_scope(MS, sleep(10 * MS)).await
        });
        rx.await.unwrap();
        h.cancel();
        assert!(h.await.unwrap().is_err());
    });
}

#[test]
fn test_timeout_at_in_the_past_gives_one_step() {
    on_both(|| async {
        let past = Instant::now().into_std();
        sleep(MS).await;
        // A body that finishes in its first step is not cancelled.
        assert_eq!(timeout_scope_at(past, async { 5 }).await, Ok(5));
    });
}

/// Sets its flag when dropped: a translated body's `except CancelledError:` (the scope
/// cancels by dropping its body).
struct OnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn test_waiter_cancelled() {
    // The body waiting when the scope expires sees its cancellation.
    on_both(|| async {
        let cancelled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let guard = OnDrop(cancelled.clone());
        let r = timeout_scope(10 * MS, async move {
            let _g = guard;
            sleep(10_000 * MS).await;
        })
        .await;
        assert!(r.is_err());
        assert!(cancelled.load(std::sync::atomic::Ordering::SeqCst));
    });
}

#[test]
fn test_foreign_exception_passed() {
    // An error of the body's own passes through the scope, which has not expired.
    on_both(|| async {
        let cm = CancelScope::after(10 * MS);
        let r = cm.fail(async { Err::<(), _>("KeyError") }).await;
        assert_eq!(r, Ok(Err("KeyError")));
        assert!(!cm.expired());
    });
}

#[test]
fn test_foreign_exception_on_timeout() {
    // The body's cleanup fails while the scope cancels it (`finally: 1/0`): that failure,
    // not the timeout, is what comes out. A Rust cleanup that fails panics in `Drop`; the
    // panic leaves the scope and fails the task.
    on_both(|| async {
        struct FailingCleanup;
        impl Drop for FailingCleanup {
            fn drop(&mut self) {
                panic!("division by zero");
            }
        }
        let h = corio::spawn(async {
            timeout_scope(10 * MS, async {
                let _cleanup = FailingCleanup;
                sleep(1_000 * MS).await;
            })
            .await
        });
        let err = h.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            err.into_panic().downcast_ref::<&str>(),
            Some(&"division by zero")
        );
    });
}

#[test]
fn test_foreign_cancel_doesnt_timeout_if_not_expired() {
    // The task cancels itself inside a scope that has not expired: the task ends
    // cancelled, and the scope does not report a timeout.
    on_both(|| async {
        let cm = CancelScope::after(10_000 * MS);
        let c = cm.clone();
        let h = corio::spawn(async move {
            c.fail(async {
                corio::task::current().abort_handle().cancel();
                sleep(10_000 * MS).await;
            })
            .await
        });
        assert!(h.await.unwrap_err().is_cancelled());
        assert!(!cm.expired());
    });
}

#[test]
fn test_outer_task_is_not_cancelled() {
    // A timeout inside a task is the task's own business: the task ends normally.
    on_both(|| async {
        let h = corio::spawn(async {
            assert!(timeout_scope(MS, sleep(10_000 * MS)).await.is_err());
        });
        h.await.unwrap();
    });
}

#[test]
fn test_cancel_in_timeout_after_cancellation() {
    // The task caught a cancel; inside a later scope it is cancelled again: that cancel
    // ends the task (not a timeout).
    on_both(|| async {
        let (started_tx, started) = futures::channel::oneshot::channel::<()>();
        let passed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let p = passed.clone();
        let h = corio::spawn(async move {
            let caught = corio::task::catch_cancel(async move {
                started_tx.send(()).unwrap();
                std::future::pending::<()>().await
            })
            .await;
            assert!(caught.is_err(), "the first cancel was caught");
            let r = timeout_scope(1_000 * MS, async {
                corio::task::current().abort_handle().cancel();
                sleep(2_000 * MS).await;
            })
            .await;
            p.store(true, std::sync::atomic::Ordering::SeqCst);
            r
        });
        started.await.unwrap();
        h.cancel();
        assert!(h.await.unwrap_err().is_cancelled());
        assert!(
            !passed.load(std::sync::atomic::Ordering::SeqCst),
            "the second cancel ended the task inside the scope"
        );
    });
}

//! CPython `Lib/test/test_asyncio/test_waitfor.py` (`wait_for` is `corio::timeout`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::task;
use corio::time::{sleep, Instant};

use crate::on_both;

const MS: Duration = Duration::from_millis(1);

#[test]
fn test_wait_for_timeout_less_then_0_or_0_future_done() {
    on_both(|| async {
        let r = corio::timeout(Duration::ZERO, async { "done" }).await;
        assert_eq!(r.unwrap(), "done");
    });
}

#[test]
fn test_wait_for() {
    on_both(|| async {
        let start = Instant::now();
        let r = corio::timeout(100 * MS, sleep(10_000 * MS)).await;
        assert!(r.is_err());
        assert_eq!(start.elapsed(), 100 * MS);
    });
}

#[test]
fn test_wait_for_blocking() {
    on_both(|| async {
        assert_eq!(corio::timeout(Duration::MAX, async { 7 }).await.unwrap(), 7);
    });
}

#[test]
fn test_wait_for_race_condition() {
    // The future finishes at the same instant as the timeout: its result wins.
    on_both(|| async {
        let r = corio::timeout(10 * MS, async {
            sleep(10 * MS).await;
            "result"
        })
        .await;
        assert_eq!(r.unwrap(), "result");
    });
}

#[test]
fn test_wait_for_with_global_loop() {
    on_both(|| async {
        let h = corio::spawn(async {
            sleep(10 * MS).await;
            42
        });
        assert_eq!(corio::timeout(1_000 * MS, h).await.unwrap().unwrap(), 42);
    });
}

#[test]
fn test_wait_for_cancels_the_task_on_timeout() {
    // asyncio's wait_for cancels the task it gives up on; its cleanup runs.
    on_both(|| async {
        let (cleaned_tx, cleaned) = futures::channel::oneshot::channel::<()>();
        let h = corio::spawn(task::finally(sleep(10_000 * MS), move || async move {
            cleaned_tx.send(()).unwrap();
        }));
        assert!(corio::timeout(10 * MS, h).await.is_err());
        // The cancel is carried out by the task itself, on any worker: wait for the
        // cleanup's signal (an error if the task was dropped without it).
        assert_eq!(
            corio::timeout(GUARD, cleaned).await,
            Ok(Ok(())),
            "the cancelled task's cleanup ran"
        );
    });
}

#[test]
fn test_wait_for_self_cancellation() {
    // The task running wait_for is cancelled: the cancel ends it (the inner future is
    // dropped with it), not the timeout.
    on_both(|| async {
        let inner_dropped = Arc::new(AtomicUsize::new(0));
        let d = inner_dropped.clone();
        struct Guard(Arc<AtomicUsize>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let h = corio::spawn(async move {
            let g = Guard(d);
            corio::timeout(10_000 * MS, async move {
                let _g = g;
                sleep(20_000 * MS).await
            })
            .await
        });
        sleep(MS).await;
        h.cancel();
        assert!(h.await.unwrap_err().is_cancelled());
        assert_eq!(inner_dropped.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn test_wait_for_reraises_exception_during_cancellation() {
    // The inner future's own failure is returned as is when it comes first.
    on_both(|| async {
        let r = corio::timeout(1_000 * MS, async { Err::<(), _>("inner failed") }).await;
        assert_eq!(r.unwrap(), Err("inner failed"));
    });
}

/// A bound on waits for a cancelled task to be dropped (the paused clock jumps to it
/// only if nothing is left to run, so it never fires while the task is still being
/// cancelled; it turns a task that is never dropped into a failure instead of a hang).
const GUARD: Duration = Duration::from_secs(60);

/// `true` once the task holding `finally`'s sender has dropped it (cancelled or done);
/// `false` if that did not happen within [`GUARD`].
async fn was_dropped(finally: futures::channel::oneshot::Receiver<()>) -> bool {
    matches!(corio::timeout(GUARD, finally).await, Ok(Err(_)))
}

#[test]
fn test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started() {
    // Kept different (docs/asyncio-to-corio.md): asyncio times out a coroutine with a
    // zero timeout before it starts; corio gives it its first poll, as a scope does
    // (`test_timeout_zero_sleep_zero`), so a body that finishes at once returns.
    on_both(|| async {
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        let r = corio::timeout(Duration::ZERO, async move {
            s.store(true, Ordering::SeqCst);
        })
        .await;
        assert!(r.is_ok());
        assert!(started.load(Ordering::SeqCst));
    });
}

#[test]
fn test_wait_for_timeout_less_then_0_or_0() {
    // A started task under a zero (or past) timeout: the timeout fires at once, and the
    // task is cancelled (its `finally` runs).
    for past in [false, true] {
        on_both(move || async move {
            let (started_tx, started) = futures::channel::oneshot::channel::<()>();
            let (finally, dropped) = futures::channel::oneshot::channel::<()>();
            let fut = corio::spawn(async move {
                let _finally = finally; // dropped when the task is cancelled
                started_tx.send(()).unwrap();
                sleep(10_000 * MS).await;
                "done"
            });
            started.await.unwrap();
            let t0 = Instant::now();
            let r = if past {
                let deadline = Instant::now();
                sleep(MS).await;
                corio::timeout_at(deadline, fut).await
            } else {
                corio::timeout(Duration::ZERO, fut).await
            };
            assert!(r.is_err());
            assert!(t0.elapsed() <= MS);
            assert!(
                was_dropped(dropped).await,
                "the task was cancelled and dropped"
            );
        });
    }
}

/// `_test_cancel_wait_for`: cancelling the task that runs `wait_for(task, timeout)`
/// cancels the awaited task too (Python issue #23219).
fn cancel_wait_for(timeout: Duration) {
    on_both(move || async move {
        let (started_tx, started) = futures::channel::oneshot::channel::<()>();
        let (finally, dropped) = futures::channel::oneshot::channel::<()>();
        let task = corio::spawn(async move {
            let _finally = finally; // dropped when the task is cancelled
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await
        });
        started.await.unwrap();
        // Cancel `wait` only once it has polled the handle: a handle never awaited
        // detaches its task when dropped (a bare `yield_now` raced with the other
        // worker on the multi-thread runtime). The signal is sent in the poll that awaits
        // the handle, and a cancel lands at the task's next scheduling point.
        let (polling_tx, polling) = futures::channel::oneshot::channel::<()>();
        let wait = corio::spawn(corio::timeout(timeout, async move {
            polling_tx.send(()).unwrap();
            task.await
        }));
        polling.await.unwrap();
        wait.cancel();
        assert!(wait.await.unwrap_err().is_cancelled());
        assert!(was_dropped(dropped).await, "the blocked task was cancelled");
    });
}

#[test]
fn test_cancel_blocking_wait_for() {
    cancel_wait_for(Duration::MAX);
}

#[test]
fn test_cancel_wait_for() {
    cancel_wait_for(60_000 * MS);
}

#[test]
fn test_wait_for_issue86296() {
    // wait_for on a future that finishes at once, then a sleep; cancelling the task after
    // its first step ends it there: the rest never runs.
    on_both(|| async {
        let reached_end = Arc::new(AtomicBool::new(false));
        let r = reached_end.clone();
        let (stepped_tx, stepped) = futures::channel::oneshot::channel::<()>();
        let task = corio::spawn(async move {
            corio::timeout(100_000 * MS, async {}).await.unwrap();
            stepped_tx.send(()).unwrap();
            sleep(1_000 * MS).await;
            r.store(true, Ordering::SeqCst);
        });
        stepped.await.unwrap();
        assert!(!task.is_finished());
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(!reached_end.load(Ordering::SeqCst));
    });
}

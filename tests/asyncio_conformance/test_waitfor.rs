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
        let cleaned = Arc::new(AtomicBool::new(false));
        let c = cleaned.clone();
        let h = corio::spawn(task::finally(sleep(10_000 * MS), move || async move {
            c.store(true, Ordering::SeqCst);
        }));
        assert!(corio::timeout(10 * MS, h).await.is_err());
        for _ in 0..10 {
            corio::yield_now().await;
        }
        assert!(cleaned.load(Ordering::SeqCst));
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

//! Combinators never leak a spawned task (issue 14 item 4): when `timeout`, `gather`,
//! `try_gather`, `as_completed`, `race`, `select!` or a timed-out `wait` followed by a drop
//! give up on a `JoinHandle`, the task is cancelled — cooperatively, so its
//! `task::finally` cleanup runs — on both flavors, on virtual time.

mod support;

use support::{on, runtimes, SEC};

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio::task::{self, JoinHandle};
use corio::time::{sleep, Instant};
use corio_test_util::DropCounter;
use futures::StreamExt;

/// Spawns a task that never finishes; its cleanup bumps `cleaned`, and its future's drop
/// counts in `dropped`.
fn forever(cleaned: &Arc<AtomicUsize>, dropped: &DropCounter) -> JoinHandle<u32> {
    let (c, g) = (cleaned.clone(), dropped.token());
    corio::spawn(task::finally(
        async move {
            let _g = g;
            pending::<u32>().await
        },
        move || async move {
            sleep(SEC).await; // an async cleanup
            c.fetch_add(1, Ordering::SeqCst);
        },
    ))
}

fn counters() -> (Arc<AtomicUsize>, DropCounter) {
    (Arc::new(AtomicUsize::new(0)), DropCounter::new())
}

/// Waits (virtual time) until `n` cleanups ran.
async fn cleaned_up(cleaned: &AtomicUsize, n: usize) {
    for _ in 0..100 {
        if cleaned.load(Ordering::SeqCst) == n {
            return;
        }
        sleep(SEC).await;
    }
    panic!("{} of {n} cleanups ran", cleaned.load(Ordering::SeqCst));
}

#[test]
fn timeout_around_a_spawned_task_cancels_it_at_the_deadline() {
    for (flavor, rt) in runtimes() {
        let (cleaned, dropped) = counters();
        let (c, d) = (cleaned.clone(), dropped.clone());
        let elapsed = on(&rt, async move {
            let start = Instant::now();
            let r = corio::timeout(5 * SEC, forever(&c, &d)).await;
            assert!(r.is_err());
            let at = start.elapsed();
            cleaned_up(&c, 1).await;
            at
        });
        assert_eq!(elapsed, 5 * SEC, "{flavor}");
        assert_eq!(dropped.drops(), 1, "{flavor}: its drop guard ran");
    }
}

#[test]
fn a_dropped_gather_of_handles_cancels_every_child() {
    for (flavor, rt) in runtimes() {
        let (cleaned, dropped) = counters();
        let (c, d) = (cleaned.clone(), dropped.clone());
        on(&rt, async move {
            let handles: Vec<_> = (0..5).map(|_| forever(&c, &d)).collect();
            let r = corio::timeout(SEC, corio::gather(handles)).await;
            assert!(r.is_err());
            cleaned_up(&c, 5).await;
        });
        assert_eq!(dropped.drops(), 5, "{flavor}");
    }
}

#[test]
fn try_gather_cancels_the_other_tasks_on_the_first_error() {
    for (flavor, rt) in runtimes() {
        let (cleaned, dropped) = counters();
        let (c, d) = (cleaned.clone(), dropped.clone());
        on(&rt, async move {
            let failing = corio::spawn(async {
                sleep(SEC).await;
                panic!("child failed")
            });
            let mut handles = vec![failing];
            handles.extend((0..3).map(|_| forever(&c, &d)));
            let r = corio::try_gather(handles).await;
            assert!(r.unwrap_err().is_panic());
            cleaned_up(&c, 3).await;
        });
        assert_eq!(dropped.drops(), 3, "{flavor}");
    }
}

#[test]
fn an_abandoned_as_completed_cancels_what_is_left() {
    for (flavor, rt) in runtimes() {
        let (cleaned, dropped) = counters();
        let (c, d) = (cleaned.clone(), dropped.clone());
        on(&rt, async move {
            // The quick task finishes after the others were first polled: a handle that
            // `as_completed` never polled (an earlier one was already done) was never
            // awaited, so dropping it detaches its task (docs/asyncio-to-corio.md).
            let quick = corio::spawn(async {
                sleep(SEC).await;
                1u32
            });
            let mut handles = vec![quick];
            handles.extend((0..4).map(|_| forever(&c, &d)));
            let mut s = corio::as_completed(handles);
            assert_eq!(s.next().await.unwrap().unwrap(), 1);
            drop(s); // the loop broke out early
            cleaned_up(&c, 4).await;
        });
        assert_eq!(dropped.drops(), 4, "{flavor}");
    }
}

#[test]
fn race_and_select_cancel_the_losing_task() {
    for (flavor, rt) in runtimes() {
        let (cleaned, dropped) = counters();
        let (c, d) = (cleaned.clone(), dropped.clone());
        on(&rt, async move {
            let quick = corio::spawn(async {
                sleep(SEC).await;
                7u32
            });
            let r = corio::race(forever(&c, &d), quick).await;
            assert_eq!(r.unwrap(), 7);
            let loser = forever(&c, &d);
            let v = corio::select! {
                r = loser => r.unwrap(),
                _ = sleep(SEC) => 0,
            };
            assert_eq!(v, 0);
            cleaned_up(&c, 2).await;
        });
        assert_eq!(dropped.drops(), 2, "{flavor}");
    }
}

#[test]
fn wait_hands_pending_tasks_back_and_dropping_them_cancels_them() {
    for (flavor, rt) in runtimes() {
        let (cleaned, dropped) = counters();
        let (c, d) = (cleaned.clone(), dropped.clone());
        on(&rt, async move {
            let handles: Vec<_> = (0..3).map(|_| forever(&c, &d)).collect();
            let (done, pending) =
                corio::wait(handles, corio::ReturnWhen::AllCompleted, Some(SEC)).await;
            assert!(done.is_empty());
            assert_eq!(pending.len(), 3);
            // As asyncio's wait: nothing was cancelled by the timeout itself.
            sleep(5 * SEC).await;
            assert_eq!(c.load(Ordering::SeqCst), 0);
            // Dropping the awaited handles gives up on them: cancelled.
            drop(pending);
            cleaned_up(&c, 3).await;
        });
        assert_eq!(dropped.drops(), 3, "{flavor}");
    }
}

#[test]
fn detach_keeps_a_given_up_task_running() {
    for (flavor, rt) in runtimes() {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        on(&rt, async move {
            let mut h = corio::spawn(async move {
                sleep(2 * SEC).await;
                r.fetch_add(1, Ordering::SeqCst);
            });
            assert!(corio::timeout(SEC, &mut h).await.is_err());
            h.detach();
            sleep(5 * SEC).await;
        });
        assert_eq!(ran.load(Ordering::SeqCst), 1, "{flavor}");
    }
}

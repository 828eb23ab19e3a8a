//! `corio::TaskGroup` on the real runtime, current-thread and 2 workers: the first
//! failure cancels siblings running on other workers, every failure is reported,
//! dropping an unjoined group aborts its children, a panicking child is a `JoinError`.

mod support;

use support::{on, runtimes};

use std::collections::HashSet;
use std::future::pending;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use corio::sync::Event;
use corio::{ChildFailure, Runtime, TaskGroup};
use corio_test_util::DropCounter;

/// Yields until `cond` holds (bounded, so a bug fails instead of hanging).
async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..1_000_000 {
        if cond() {
            return;
        }
        corio::yield_now().await;
    }
    panic!("gave up waiting for: {what}");
}

#[test]
fn first_failure_cancels_busy_siblings_on_every_worker() {
    for (flavor, rt) in runtimes() {
        let drops = DropCounter::new();
        let started = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(HashSet::<ThreadId>::new()));
        let go = Arc::new(Event::new());
        let (d, s, t, g) = (drops.clone(), started.clone(), threads.clone(), go.clone());
        let err = on(&rt, async move {
            let group = TaskGroup::<(), &'static str>::new();
            for _ in 0..8 {
                let (d, s, t) = (d.clone(), s.clone(), t.clone());
                // Busy siblings: always runnable, so on 2 workers both run some.
                group.spawn(async move {
                    let _guard = d.token();
                    s.fetch_add(1, Ordering::SeqCst);
                    loop {
                        t.lock().unwrap().insert(std::thread::current().id());
                        corio::yield_now().await;
                    }
                });
            }
            let g2 = g.clone();
            group.spawn(async move {
                g2.wait().await;
                Err("boom")
            });
            until("every sibling started", || s.load(Ordering::SeqCst) == 8).await;
            g.set();
            group.join().await.unwrap_err()
        });
        assert_eq!(
            err.len(),
            1,
            "{flavor}: only the failure, not the cancelled"
        );
        assert_eq!(err.first().index(), Some(8), "{flavor}");
        assert_eq!(err.errors().copied().collect::<Vec<_>>(), ["boom"]);
        // Exactly: join returned only after every cancelled sibling was dropped.
        assert_eq!(drops.drops(), 8, "{flavor}");
        let _ = threads.lock().unwrap().len(); // informational: 1 or 2 workers
    }
}

#[test]
fn failures_racing_on_two_workers_are_all_reported() {
    // Two children fail while both are inside `poll` on different workers: the second
    // failure arrives after the group started cancelling and must still be reported.
    let rt = Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let err = on(&rt, async {
        let group = TaskGroup::<(), String>::new();
        let arrived = Arc::new(AtomicUsize::new(0));
        for i in 0..2 {
            let arrived = arrived.clone();
            group.spawn(async move {
                // A spin barrier: both children are being polled at the same time.
                arrived.fetch_add(1, Ordering::SeqCst);
                let start = std::time::Instant::now();
                while arrived.load(Ordering::SeqCst) < 2 {
                    assert!(
                        start.elapsed() < Duration::from_secs(10),
                        "the two children never ran in parallel"
                    );
                    std::hint::spin_loop();
                }
                Err(format!("child {i} failed"))
            });
        }
        group.join().await.unwrap_err()
    });
    assert_eq!(err.len(), 2);
    let mut msgs: Vec<_> = err.errors().cloned().collect();
    msgs.sort();
    assert_eq!(msgs, ["child 0 failed", "child 1 failed"]);
}

#[test]
fn a_panicking_child_is_a_join_error_panic_and_cancels_the_rest() {
    // The panic is caught in the child's task, reported as `ChildFailure::Join` with
    // the payload's message, and the sleeping sibling is cancelled (not a failure).
    for (flavor, rt) in runtimes() {
        let err = on(&rt, async {
            let group = TaskGroup::<u32, &'static str>::new();
            group.spawn(async { Ok(1) });
            group.spawn(async { panic!("child 1 exploded") });
            group.spawn(async {
                corio::time::sleep(Duration::from_secs(1)).await;
                Err("never: cancelled by the panic")
            });
            group.join().await.unwrap_err()
        });
        assert_eq!(err.len(), 1, "{flavor}");
        let failure = err.first();
        assert!(failure.is_panic(), "{flavor}");
        assert_eq!(failure.index(), Some(1));
        match failure {
            ChildFailure::Join { error, .. } => {
                assert_eq!(error.panic_message().as_deref(), Some("child 1 exploded"))
            }
            other => panic!("{flavor}: expected a JoinError, got {other:?}"),
        }
        assert!(err.has_panic());
    }
}

#[test]
fn successful_children_give_outputs_in_spawn_order_at_the_last_finish() {
    for (flavor, rt) in runtimes() {
        let (out, elapsed) = on(&rt, async {
            let start = corio::time::Instant::now();
            let group = TaskGroup::<u64, ()>::new();
            for secs in [3u64, 1, 2] {
                group.spawn(async move {
                    corio::time::sleep(Duration::from_secs(secs)).await;
                    Ok(secs * 10)
                });
            }
            (group.join().await.unwrap(), start.elapsed())
        });
        assert_eq!(out, [30, 10, 20], "{flavor}");
        assert_eq!(elapsed, Duration::from_secs(3), "{flavor}");
    }
}

#[test]
fn dropping_an_unjoined_group_aborts_every_child() {
    for (flavor, rt) in runtimes() {
        let drops = DropCounter::new();
        let finished = Arc::new(AtomicBool::new(false));
        let (d, f) = (drops.clone(), finished.clone());
        on(&rt, async move {
            let group = TaskGroup::<(), ()>::new();
            for _ in 0..6 {
                // Made outside the child, so it counts even if the child never ran.
                let (guard, f) = (d.token(), f.clone());
                group.spawn(async move {
                    let _guard = guard;
                    corio::time::sleep(Duration::from_secs(1)).await;
                    f.store(true, Ordering::SeqCst);
                    Ok(())
                });
            }
            corio::yield_now().await; // let some of them start
            drop(group);
            until("every child dropped", || d.drops() == 6).await;
            // Time passes: nothing wakes up to finish.
            corio::time::sleep(Duration::from_secs(5)).await;
        });
        assert_eq!(drops.drops(), 6, "{flavor}");
        assert!(
            !finished.load(Ordering::SeqCst),
            "{flavor}: a child outlived its group"
        );
    }
}

#[test]
fn dropping_an_unfinished_join_aborts_every_child() {
    for (flavor, rt) in runtimes() {
        let drops = DropCounter::new();
        let d = drops.clone();
        let timed_out = on(&rt, async move {
            let group = TaskGroup::<(), ()>::new();
            for _ in 0..4 {
                let guard = d.token();
                group.spawn(async move {
                    let _guard = guard;
                    pending::<()>().await;
                    Ok(())
                });
            }
            let r = corio::timeout_scope(Duration::from_secs(2), group.join()).await;
            until("every child dropped", || d.drops() == 4).await;
            r.is_err()
        });
        assert!(timed_out, "{flavor}");
        assert_eq!(drops.drops(), 4, "{flavor}");
    }
}

#[test]
fn spawning_after_a_failure_is_refused_and_the_child_given_back_unrun() {
    for (flavor, rt) in runtimes() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let err = on(&rt, async move {
            let group = TaskGroup::<(), &'static str>::new();
            group.spawn(async { Err("first") });
            until("the group is cancelling", || group.running() == 0).await;
            let refused = group
                .try_spawn(async move {
                    r.store(true, Ordering::SeqCst);
                    Ok(())
                })
                .unwrap_err();
            assert_eq!(refused.kind(), &corio::GroupSpawnErrorKind::Cancelling);
            assert!(
                refused.into_inner().is_some(),
                "given back, not dropped silently"
            );
            group.join().await.unwrap_err()
        });
        assert_eq!(err.len(), 1, "{flavor}");
        assert!(!ran.load(Ordering::SeqCst), "{flavor}");
    }
}

/// Counts its drop only after a short real pause, to widen the window in which a
/// cancelled child is still being dropped on another worker.
struct SlowDrop(Arc<AtomicUsize>);
impl Drop for SlowDrop {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(5));
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn join_returns_only_after_cancelled_children_were_dropped() {
    // Structured concurrency: when `join` returns, no child's destructor is still
    // running (a lock guard or permit held by a cancelled child is released).
    for (flavor, rt) in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let seen_at_join = on(&rt, async move {
            let group = TaskGroup::<(), &'static str>::new();
            for _ in 0..2 {
                let guard = SlowDrop(d.clone());
                group.spawn(async move {
                    let _guard = guard;
                    pending::<()>().await;
                    Ok(())
                });
            }
            group.spawn(async {
                corio::yield_now().await;
                Err("fail")
            });
            let err = group.join().await.unwrap_err();
            assert_eq!(err.len(), 1);
            d.load(Ordering::SeqCst)
        });
        assert_eq!(
            seen_at_join, 2,
            "{flavor}: join returned before a child was dropped"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }
}

//! Timeouts of the combinators on the real runtime's virtual clock (current-thread and
//! 2 workers): `timeout_scope`, `timeout_scope_at`, `as_completed_with_timeout`,
//! `wait` with a timeout — each observed at its exact virtual instant.

mod support;

use support::{on, runtimes};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::time::{sleep, Instant};
use corio::{as_completed_with_timeout, timeout_scope, timeout_scope_at, wait, ReturnWhen};
use corio_test_util::DropCounter;
use futures::StreamExt;

const MS: Duration = Duration::from_millis(1);

#[test]
fn timeout_scope_cancels_the_block_at_the_deadline() {
    for (flavor, rt) in runtimes() {
        let steps = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::new();
        let (s, d) = (steps.clone(), drops.clone());
        let (timed_out, at) = on(&rt, async move {
            let start = Instant::now();
            let guard = d.token();
            let r = timeout_scope(2_500 * MS, async move {
                let _guard = guard;
                for _ in 0..10 {
                    sleep(1_000 * MS).await;
                    s.fetch_add(1, Ordering::SeqCst);
                }
            })
            .await;
            (r.is_err(), start.elapsed())
        });
        assert!(timed_out, "{flavor}");
        assert_eq!(at, 2_500 * MS, "{flavor}");
        assert_eq!(steps.load(Ordering::SeqCst), 2, "{flavor}");
        assert_eq!(drops.drops(), 1, "{flavor}: the block was dropped");
    }
}

#[test]
fn timeout_scope_returns_the_value_when_the_block_is_in_time() {
    for (flavor, rt) in runtimes() {
        let (v, at) = on(&rt, async {
            let start = Instant::now();
            let v = timeout_scope(3_000 * MS, async {
                sleep(1_000 * MS).await;
                sleep(1_000 * MS).await;
                "in time"
            })
            .await;
            // The block's timer is gone: time does not jump to the old deadline.
            sleep(10 * MS).await;
            (v, start.elapsed())
        });
        assert_eq!(v, Ok("in time"), "{flavor}");
        assert_eq!(at, 2_010 * MS, "{flavor}");
    }
}

#[test]
fn timeout_scope_at_shares_one_absolute_deadline() {
    for (flavor, rt) in runtimes() {
        let (first, second, at) = on(&rt, async {
            let start = Instant::now();
            let deadline = (start + 1_500 * MS).into_std();
            let first = timeout_scope_at(deadline, sleep(1_000 * MS)).await;
            let second = timeout_scope_at(deadline, sleep(1_000 * MS)).await;
            (first, second, start.elapsed())
        });
        assert!(first.is_ok(), "{flavor}");
        assert!(second.is_err(), "{flavor}");
        assert_eq!(at, 1_500 * MS, "{flavor}");
    }
}

#[test]
fn as_completed_with_timeout_yields_in_time_then_elapsed_once() {
    for (flavor, rt) in runtimes() {
        let (events, remaining) = on(&rt, async {
            let start = Instant::now();
            let tasks: Vec<_> = [3_000u64, 1_000, 5_000, 2_000]
                .into_iter()
                .map(|ms| {
                    corio::spawn(async move {
                        sleep(Duration::from_millis(ms)).await;
                        ms
                    })
                })
                .collect();
            let mut stream = as_completed_with_timeout(tasks, 2_500 * MS);
            let mut events = vec![];
            while let Some(item) = stream.next().await {
                events.push((item.map(Result::unwrap).ok(), start.elapsed()));
            }
            // Unfinished tasks are handed back running: the 3 s one completes at 3 s.
            let remaining = stream.into_remaining();
            let mut rest = vec![];
            for t in remaining {
                rest.push((t.await.unwrap(), start.elapsed()));
            }
            (events, rest)
        });
        assert_eq!(
            events,
            [
                (Some(1_000), 1_000 * MS),
                (Some(2_000), 2_000 * MS),
                (None, 2_500 * MS)
            ],
            "{flavor}"
        );
        assert_eq!(
            remaining,
            [(3_000, 3_000 * MS), (5_000, 5_000 * MS)],
            "{flavor}"
        );
    }
}

#[test]
fn wait_with_timeout_returns_done_and_pending_at_the_deadline() {
    for (flavor, rt) in runtimes() {
        let (first, second) = on(&rt, async {
            let start = Instant::now();
            let tasks: Vec<_> = [4_000u64, 1_000, 3_000, 2_000]
                .into_iter()
                .map(|ms| {
                    corio::spawn(async move {
                        sleep(Duration::from_millis(ms)).await;
                        ms
                    })
                })
                .collect();
            let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, Some(2_500 * MS)).await;
            let done: Vec<u64> = done.into_iter().map(Result::unwrap).collect();
            let first = (done, pending.len(), start.elapsed());
            // Nothing was cancelled: wait again for the first of the rest.
            let (done, pending) = wait(pending, ReturnWhen::FirstCompleted, None).await;
            let done: Vec<u64> = done.into_iter().map(Result::unwrap).collect();
            let second = (done, pending.len(), start.elapsed());
            (first, second)
        });
        assert_eq!(first, (vec![1_000, 2_000], 2, 2_500 * MS), "{flavor}");
        assert_eq!(second, (vec![3_000], 1, 3_000 * MS), "{flavor}");
    }
}

#[test]
fn wait_first_exception_returns_at_the_failing_task() {
    for (flavor, rt) in runtimes() {
        let (failed, pending, at) = on(&rt, async {
            let start = Instant::now();
            let ok = corio::spawn(async {
                sleep(5_000 * MS).await;
            });
            let bad = corio::spawn(async {
                sleep(1_000 * MS).await;
                panic!("task failed")
            });
            let (done, pending) =
                wait([ok, bad], ReturnWhen::FirstException, Some(10_000 * MS)).await;
            let failed = done[0].as_ref().unwrap_err().is_panic();
            (failed, pending.len(), start.elapsed())
        });
        assert!(failed, "{flavor}");
        assert_eq!(pending, 1, "{flavor}");
        assert_eq!(at, 1_000 * MS, "{flavor}");
    }
}

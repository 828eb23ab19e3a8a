//! Paused time on the multi-thread runtime: many tasks on two workers, each sleeping a
//! different duration, wake in deadline order and each observes its exact virtual instant.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::time::{sleep, sleep_until, Instant};
use corio::Runtime;

const TASKS: u64 = 200;

fn paused_mt() -> Runtime {
    support::paused_multi_thread()
}

/// A deterministic permutation of `0..TASKS` (so spawn order is not deadline order).
fn shuffled() -> Vec<u64> {
    // 73 is coprime with 200: i -> i * 73 % 200 is a permutation.
    (0..TASKS).map(|i| i * 73 % TASKS).collect()
}

#[test]
fn many_sleepers_across_workers_wake_in_deadline_order_at_exact_instants() {
    let rt = paused_mt();
    let log = rt.block_on(async {
        let start = Instant::now();
        let log = Arc::new(Mutex::new(Vec::new()));
        let handles: Vec<_> = shuffled()
            .into_iter()
            .map(|k| {
                let log = log.clone();
                // Absolute deadlines: a task that starts late still has the same deadline.
                let deadline = start + Duration::from_millis(10 * (k + 1));
                corio::spawn(async move {
                    sleep_until(deadline).await;
                    let woke = Instant::now();
                    log.lock().unwrap().push((k, woke - start));
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_millis(10 * TASKS));
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    });
    assert_eq!(log.len() as u64, TASKS);
    for (i, &(k, at)) in log.iter().enumerate() {
        assert_eq!(k, i as u64, "woke out of deadline order: {log:?}");
        assert_eq!(
            at,
            Duration::from_millis(10 * (k + 1)),
            "task {k} woke late"
        );
    }
}

#[test]
fn relative_sleeps_started_together_observe_exact_durations() {
    let rt = paused_mt();
    rt.block_on(async {
        let handles: Vec<_> = shuffled()
            .into_iter()
            .map(|k| {
                corio::spawn(async move {
                    let t0 = Instant::now();
                    let d = Duration::from_micros(1500 * (k + 1));
                    sleep(d).await;
                    assert_eq!(t0.elapsed(), d, "task {k}");
                    // A second sleep from inside the task, after being woken on a worker.
                    let t1 = Instant::now();
                    sleep(Duration::from_secs(k + 1)).await;
                    assert_eq!(t1.elapsed(), Duration::from_secs(k + 1), "task {k}");
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

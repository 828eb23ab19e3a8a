//! `corio::sync::RateLimiter` on the real runtime's virtual clock (current-thread and 2
//! workers): the seed guide's 10 API calls at 2 per second.

mod support;

use support::{on, runtimes};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::sync::RateLimiter;
use corio::time::{sleep, Instant};
use corio::Runtime;

/// The seed's program: `gather` of 10 `make_api_call`s, each `acquire` then a 0.5 s
/// call. Returns (call id, ms since start when the call was made), in call order, and
/// the total run time.
fn seed_program(rt: &Runtime, burst: u32) -> (Vec<(usize, u128)>, Duration) {
    on(rt, async move {
        let limiter = Arc::new(RateLimiter::with_burst(2, Duration::from_secs(1), burst).unwrap());
        let start = Instant::now();
        let log = Arc::new(Mutex::new(Vec::new()));
        let calls = (0..10).map(|id| {
            let (limiter, log) = (limiter.clone(), log.clone());
            async move {
                limiter.acquire().await;
                log.lock().unwrap().push((id, start.elapsed().as_millis()));
                sleep(Duration::from_millis(500)).await; // the API call
                format!("Result {id}")
            }
        });
        let results = corio::gather(calls).await;
        assert_eq!(results.len(), 10);
        assert_eq!(results[9], "Result 9");
        let log = std::mem::take(&mut *log.lock().unwrap());
        (log, start.elapsed())
    })
}

#[test]
fn seed_ten_calls_at_two_per_second_are_exactly_half_a_second_apart() {
    for (flavor, rt) in runtimes() {
        let (log, total) = seed_program(&rt, 1);
        let expected: Vec<(usize, u128)> = (0..10).map(|i| (i, 500 * i as u128)).collect();
        assert_eq!(log, expected, "{flavor}: FIFO, 0.5 s apart");
        assert_eq!(total, Duration::from_millis(5_000), "{flavor}");
    }
}

#[test]
fn seed_limiter_with_a_burst_of_two_starts_with_two_calls() {
    for (flavor, rt) in runtimes() {
        let (log, total) = seed_program(&rt, 2);
        let times: Vec<u128> = log.iter().map(|(_, t)| *t).collect();
        assert_eq!(
            times,
            [0, 0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000],
            "{flavor}"
        );
        assert_eq!(total, Duration::from_millis(4_500), "{flavor}");
    }
}

#[test]
fn aborted_waiters_do_not_delay_the_others() {
    // Ten tasks wait for tokens; every odd one is aborted while queued. The survivors
    // are served 0.5 s apart, as if the aborted ones had never asked.
    for (flavor, rt) in runtimes() {
        let times = on(&rt, async {
            let limiter = Arc::new(RateLimiter::new(2, Duration::from_secs(1)).unwrap());
            // Spend the initial burst so that every task has to wait.
            assert!(limiter.try_acquire_n(2).unwrap());
            let start = Instant::now();
            let log = Arc::new(Mutex::new(Vec::new()));
            let tasks: Vec<_> = (0..10)
                .map(|id| {
                    let (limiter, log) = (limiter.clone(), log.clone());
                    corio::spawn(async move {
                        limiter.acquire().await;
                        log.lock().unwrap().push((id, start.elapsed().as_millis()));
                    })
                })
                .collect();
            sleep(Duration::from_millis(100)).await; // all queued, none served
            for t in tasks.iter().skip(1).step_by(2) {
                t.abort();
            }
            for t in tasks {
                let _ = t.await;
            }
            let log = std::mem::take(&mut *log.lock().unwrap());
            log
        });
        // Which survivor queued first depends on the workers; the spacing does not.
        let mut ids: Vec<usize> = times.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        assert_eq!(ids, [0, 2, 4, 6, 8], "{flavor}");
        let ms: Vec<u128> = times.iter().map(|(_, t)| *t).collect();
        assert_eq!(ms, [500, 1000, 1500, 2000, 2500], "{flavor}");
    }
}

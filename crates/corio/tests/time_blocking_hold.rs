//! Auto-advance holds virtual time still while a `spawn_blocking` job runs: a sleeper
//! cannot fire until the job finished, then time jumps straight to its deadline.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::time::{sleep, Instant};
use corio::Runtime;

fn check(rt: Runtime) {
    let clock = rt.handle().clock().clone();
    rt.block_on(async move {
        let start = Instant::now();
        let job_done = Arc::new(AtomicBool::new(false));
        let done = job_done.clone();
        let sleeper = corio::spawn(async move {
            sleep(Duration::from_secs(1)).await;
            assert!(done.load(Ordering::SeqCst), "fired while the job ran");
            start.elapsed()
        });
        let t0 = clock.now();
        let job_clock = clock.clone();
        let done = job_done.clone();
        let job = corio::spawn_blocking(move || {
            // A few ms of real blocking work; the virtual clock must not move meanwhile.
            for _ in 0..10 {
                std::thread::sleep(Duration::from_micros(300));
                assert_eq!(job_clock.now(), t0, "virtual time moved during the job");
            }
            done.store(true, Ordering::SeqCst);
            7
        });
        assert_eq!(job.await.unwrap(), 7);
        assert_eq!(sleeper.await.unwrap(), Duration::from_secs(1));
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    });
}

#[test]
fn blocking_job_holds_time_current_thread() {
    check(support::paused_current_thread());
}

#[test]
fn blocking_job_holds_time_multi_thread() {
    check(support::paused_multi_thread());
}

#[test]
fn to_thread_holds_time_and_main_sleep_waits_for_it() {
    let rt = support::paused_multi_thread();
    rt.block_on(async {
        let start = Instant::now();
        let job = corio::to_thread(|| std::thread::sleep(Duration::from_millis(3)));
        // The main future sleeps too: its 10 s may only pass after the job is done.
        sleep(Duration::from_secs(10)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        job.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    });
}

/// Time may move only after the job's `JoinHandle` was woken: a `timeout` around the
/// handle never fires for a job that takes no virtual time.
fn join_under_timeout(rt: Runtime) {
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..200u32 {
            let job = corio::spawn_blocking(move || i * 2);
            let out = corio::time::timeout(Duration::from_secs(1), job).await;
            assert_eq!(
                out.expect("timed out awaiting a finished job").unwrap(),
                i * 2
            );
            assert_eq!(start.elapsed(), Duration::ZERO);
        }
    });
}

#[test]
fn blocking_join_under_timeout_current_thread() {
    join_under_timeout(support::paused_current_thread());
}

#[test]
fn blocking_join_under_timeout_multi_thread() {
    join_under_timeout(support::paused_multi_thread());
}

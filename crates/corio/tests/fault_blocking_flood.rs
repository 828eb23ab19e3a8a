//! A `spawn_blocking` flood past the pool limit: with `max_blocking_threads(4)`, 1 000
//! jobs all run exactly once and return their own result; at most 4 run at a time, and
//! the pool never has more than 4 threads.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

const LIMIT: usize = 4;
const JOBS: usize = 1_000;

#[test]
fn blocking_flood_runs_every_job_at_most_four_at_a_time() {
    for flavor in ["current_thread", "multi_thread"] {
        let b = corio::Runtime::builder().max_blocking_threads(LIMIT);
        let rt = match flavor {
            "current_thread" => b.current_thread().build().unwrap(),
            _ => b.multi_thread().worker_threads(2).build().unwrap(),
        };
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let ran: Arc<Vec<AtomicUsize>> = Arc::new((0..JOBS).map(|_| AtomicUsize::new(0)).collect());
        let handle = rt.handle().clone();
        let (r, p, f) = (running.clone(), peak.clone(), ran.clone());
        rt.block_on(async move {
            let jobs: Vec<_> = (0..JOBS)
                .map(|i| {
                    let (running, peak, ran) = (r.clone(), p.clone(), f.clone());
                    corio::spawn_blocking(move || {
                        let now = running.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(now, SeqCst);
                        ran[i].fetch_add(1, SeqCst);
                        // Long enough for the jobs to overlap.
                        std::thread::sleep(Duration::from_micros(200));
                        running.fetch_sub(1, SeqCst);
                        i * 3
                    })
                })
                .collect();
            assert!(handle.num_blocking_threads() <= LIMIT);
            for (i, j) in jobs.into_iter().enumerate() {
                assert_eq!(j.await.unwrap(), i * 3, "{flavor}: job {i}");
                assert!(handle.num_blocking_threads() <= LIMIT);
            }
        });
        for (i, n) in ran.iter().enumerate() {
            assert_eq!(n.load(SeqCst), 1, "{flavor}: job {i} ran {n:?} times");
        }
        let peak = peak.load(SeqCst);
        assert!(peak <= LIMIT, "{flavor}: {peak} jobs ran at once");
        assert!(
            peak >= 2,
            "{flavor}: the jobs never overlapped (peak {peak})"
        );
        assert_eq!(running.load(SeqCst), 0);
        assert!(rt.handle().num_blocking_threads() <= LIMIT);
    }
}

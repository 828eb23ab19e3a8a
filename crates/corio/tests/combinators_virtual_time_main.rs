//! Virtual time seen from the `block_on` future itself (not a spawned task) on a
//! 2-worker runtime: the clock must not auto-advance while the main future is runnable.
//!
//! Regression test: `block_on`'s park loop used to drop its busy guard while its own
//! wake-up was already pending (after `yield_now`), letting idle workers auto-advance
//! the paused clock while the main future was runnable.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn main_future_yield_does_not_let_virtual_time_jump() {
    let rt = support::paused_multi_thread();
    let mut jumped = 0;
    for _ in 0..200 {
        let woke = Arc::new(AtomicUsize::new(0));
        let w = woke.clone();
        let elapsed = rt.block_on(async move {
            let start = corio::time::Instant::now();
            let sleepers: Vec<_> = (0..6)
                .map(|_| {
                    let w = w.clone();
                    corio::spawn(async move {
                        corio::time::sleep(Duration::from_secs(1)).await;
                        w.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            corio::yield_now().await; // runnable again at once: time must stand still
            let elapsed = start.elapsed();
            for s in &sleepers {
                s.abort();
            }
            for _ in 0..1000 {
                corio::yield_now().await;
            }
            elapsed
        });
        if elapsed != Duration::ZERO || woke.load(Ordering::SeqCst) != 0 {
            jumped += 1;
        }
    }
    assert_eq!(jumped, 0, "virtual time moved under a runnable main future");
}

#[test]
fn current_thread_main_future_yield_does_not_let_virtual_time_jump() {
    let rt = support::paused_current_thread();
    for _ in 0..200 {
        let elapsed = rt.block_on(async {
            let start = corio::time::Instant::now();
            let sleepers: Vec<_> = (0..6)
                .map(|_| corio::spawn(corio::time::sleep(Duration::from_secs(1))))
                .collect();
            corio::yield_now().await;
            let elapsed = start.elapsed();
            sleepers.iter().for_each(|s| s.abort());
            elapsed
        });
        assert_eq!(elapsed, Duration::ZERO);
    }
}

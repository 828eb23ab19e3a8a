//! `abort()` before the first poll, while pending, and after completion.
mod support;

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio_executor::{spawn, yield_now};
use corio_test_util::DropCounter;
use support::executors;

#[test]
fn abort_before_first_poll() {
    for (name, rt) in executors() {
        let polls = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::new();
        let (p, token) = (polls.clone(), drops.token());
        let err = rt.block_on(async move {
            // On the multi-thread runtime an idle worker would run the task before the
            // abort below: keep both workers busy until the abort is done.
            let blockers = if name == "multi_thread" {
                occupy_workers(2).await
            } else {
                Vec::new()
            };
            let h = spawn(async move {
                let _t = token;
                p.fetch_add(1, Ordering::SeqCst);
            });
            h.abort();
            for b in blockers {
                b.release();
            }
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
        assert_eq!(polls.load(Ordering::SeqCst), 0, "{name}");
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

/// A task that holds a worker thread (without yielding) until released.
struct Blocker(Arc<std::sync::atomic::AtomicBool>);

impl Blocker {
    fn release(self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Spawns `n` tasks that each hold a worker until released; returns once all run.
async fn occupy_workers(n: usize) -> Vec<Blocker> {
    let started = Arc::new(AtomicUsize::new(0));
    let blockers: Vec<_> = (0..n)
        .map(|_| {
            let release = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (r, s) = (release.clone(), started.clone());
            drop(spawn(async move {
                s.fetch_add(1, Ordering::SeqCst);
                let mut spins = 0u64;
                while !r.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                    spins += 1;
                    assert!(spins < 50_000_000, "blocker never released");
                }
            }));
            Blocker(release)
        })
        .collect();
    let mut spins = 0u64;
    while started.load(Ordering::SeqCst) < n {
        std::thread::yield_now();
        spins += 1;
        assert!(spins < 50_000_000, "the blockers never all ran");
    }
    blockers
}

#[test]
fn abort_while_pending() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        let token = drops.token();
        let err = rt.block_on(async move {
            let h = spawn(async move {
                let _t = token;
                pending::<()>().await
            });
            // Let it start and park.
            for _ in 0..4 {
                yield_now().await;
            }
            assert!(!h.is_finished());
            h.abort();
            h.abort(); // idempotent
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
        assert_eq!(drops.drops(), 1, "{name}");
        assert_eq!(rt.handle().num_alive_tasks(), 0, "{name}");
    }
}

#[test]
fn abort_after_completion_keeps_output() {
    for (name, rt) in executors() {
        let v = rt.block_on(async {
            let h = spawn(async { 5 });
            while !h.is_finished() {
                yield_now().await;
            }
            h.abort();
            h.await
        });
        assert_eq!(v.unwrap(), 5, "{name}");
    }
}

#[test]
fn abort_handle_outlives_join_handle() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        let token = drops.token();
        rt.block_on(async move {
            let h = spawn(async move {
                let _t = token;
                pending::<()>().await
            });
            let a = h.abort_handle();
            let a2 = a.clone();
            drop(h);
            a.abort();
            while !a2.is_finished() {
                yield_now().await;
            }
        });
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

#[test]
fn abort_from_another_thread() {
    for (name, rt) in executors() {
        let err = rt.block_on(async {
            let h = spawn(pending::<()>());
            let a = h.abort_handle();
            std::thread::spawn(move || a.abort()).join().unwrap();
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
    }
}

//! Shutdown drops every unfinished task's future exactly once and leaks nothing.
mod support;

use std::future::pending;
use std::time::Duration;

use corio_executor::{spawn, yield_now, Builder};
use corio_test_util::DropCounter;
use support::executors;

#[test]
fn shutdown_drops_pending_futures_exactly_once() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        let n = 50;
        // Some polled and parked, some never polled (spawned from outside, not run).
        rt.block_on({
            let drops = drops.clone();
            async move {
                for _ in 0..n {
                    let t = drops.token();
                    drop(spawn(async move {
                        let _t = t;
                        pending::<()>().await
                    }));
                }
                yield_now().await;
            }
        });
        let waiting: Vec<_> = (0..n)
            .map(|_| {
                let t = drops.token();
                rt.spawn(async move {
                    let _t = t;
                    pending::<()>().await
                })
            })
            .collect();
        assert_eq!(drops.drops(), 0, "{name}");
        let handle = rt.handle().clone();
        drop(rt);
        assert_eq!(drops.drops(), 2 * n, "{name}");
        assert_eq!(handle.num_alive_tasks(), 0, "{name}");
        for h in waiting {
            assert!(h.is_finished());
            assert!(corio_executor::block_on(h).unwrap_err().is_cancelled());
        }
    }
}

#[test]
fn futures_dropped_at_shutdown_may_spawn_and_wake() {
    // No grace: the futures are dropped by the shutdown itself (with a grace, see
    // `shutdown_grace.rs`).
    let executors = [
        Builder::new_current_thread(),
        Builder::new_multi_thread().worker_threads(2),
    ]
    .map(|b| b.shutdown_grace(Duration::ZERO).build().unwrap());
    for (name, rt) in ["current_thread", "multi_thread"]
        .into_iter()
        .zip(executors)
    {
        struct SpawnOnDrop(DropCounter);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let t = self.0.token();
                // The runtime is shutting down: the spawn resolves cancelled.
                let h = spawn(async move {
                    let _t = t;
                });
                assert!(h.is_finished());
            }
        }
        let drops = DropCounter::new();
        let guard = SpawnOnDrop(drops.clone());
        drop(rt.spawn(async move {
            let _g = guard;
            pending::<()>().await
        }));
        drop(rt);
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

#[test]
fn output_of_detached_completed_task_is_dropped_once() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        let t = drops.token();
        rt.block_on(async move {
            let h = spawn(async move { t });
            while !h.is_finished() {
                yield_now().await;
            }
            drop(h);
        });
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

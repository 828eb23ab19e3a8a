//! Idle multi-thread workers keep searching for a short while before they park; work
//! that arrives while they search, or after they parked, or at shutdown, is never lost.
use std::time::Duration;

use corio_executor::Builder;
use corio_test_util::{Counters, DropCounter};

#[test]
fn remote_spawns_in_bursts_all_run_once() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let c = Counters::new();
    let bursts = if cfg!(miri) { 2 } else { 20 };
    for burst in 0..bursts {
        // Alternate bursts that land while a worker still searches with bursts that
        // land after every worker parked (the gap outlasts the search).
        if burst % 2 == 1 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let handles: Vec<_> = (0..100).map(|_| rt.spawn(c.wrap(async {}))).collect();
        rt.block_on(async {
            for h in handles {
                h.await.unwrap();
            }
        });
    }
    assert_eq!(c.polls(), bursts * 100);
    assert_eq!(c.drops(), bursts * 100);
}

#[test]
fn single_remote_spawn_after_idle_gap_is_run() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for _ in 0..3 {
        // Every worker is parked by now: the spawn must wake one.
        std::thread::sleep(Duration::from_millis(2));
        let (tx, rx) = std::sync::mpsc::channel();
        drop(rt.spawn(async move { tx.send(7).unwrap() }));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(7));
    }
}

#[test]
fn shutdown_right_after_work_while_workers_search() {
    for _ in 0..20 {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let (c, drops) = (Counters::new(), DropCounter::new());
        rt.block_on(rt.spawn(c.wrap(async {}))).unwrap();
        // A worker that just ran out of work is searching; shutdown must not wait on it
        // and must drop the futures of tasks spawned meanwhile exactly once.
        let pending: Vec<_> = (0..10)
            .map(|_| {
                let guard = drops.token();
                rt.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                })
            })
            .collect();
        drop(rt);
        assert_eq!((c.polls(), c.drops()), (1, 1));
        assert_eq!(drops.drops(), 10);
        for h in pending {
            assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
        }
    }
}

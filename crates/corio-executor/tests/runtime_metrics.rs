//! `Handle::metrics`: workers, live tasks, task runs, queue depths and blocking-pool
//! threads, exact where the schedule is deterministic.
mod support;

use std::future::pending;
use std::time::Duration;

use corio_executor::{spawn, spawn_blocking, yield_now, Builder, Handle};

#[test]
fn current_thread_counts_polls_tasks_and_queue_depths_exactly() {
    let rt = Builder::new_current_thread().build().unwrap();
    let m = rt.handle().metrics();
    assert_eq!(m.workers(), 1);
    assert_eq!((m.live_tasks(), m.total_polls(), m.steals()), (0, 0, 0));

    // Spawned from outside: the global queue.
    let remote: Vec<_> = (0..3).map(|_| rt.spawn(async {})).collect();
    let m = rt.handle().metrics();
    assert_eq!(m.global_queue_depth(), 3);
    assert_eq!(m.local_queue_depth(0), 0);
    assert_eq!(m.live_tasks(), 3);

    rt.block_on(async {
        for h in remote {
            h.await.unwrap();
        }
        assert_eq!(Handle::current().metrics().total_polls(), 3);
        // Spawned on the driving thread: the local queue, read exactly from here.
        let local: Vec<_> = (0..4)
            .map(|_| {
                spawn(async {
                    for _ in 0..2 {
                        yield_now().await;
                    }
                })
            })
            .collect();
        let m = Handle::current().metrics();
        assert_eq!((m.local_queue_depth(0), m.global_queue_depth()), (4, 0));
        assert_eq!(m.live_tasks(), 4);
        for h in local {
            h.await.unwrap();
        }
        let m = Handle::current().metrics();
        assert_eq!(m.total_polls(), 3 + 4 * 3);
        assert_eq!(m.worker_polls(0), 3 + 4 * 3);
        assert_eq!((m.live_tasks(), m.local_queue_depth(0)), (0, 0));
    });
    // The core is idle: the depth is read exactly from it.
    let _idle = rt.spawn(pending::<()>());
    assert_eq!(rt.handle().metrics().global_queue_depth(), 1);
}

#[test]
fn multi_thread_counts_workers_and_polls() {
    let rt = Builder::new_multi_thread()
        .worker_threads(3)
        .build()
        .unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..20)
            .map(|_| {
                spawn(async {
                    for _ in 0..4 {
                        yield_now().await;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    let m = rt.handle().metrics();
    assert_eq!(m.workers(), 3);
    assert_eq!(m.total_polls(), 20 * 5);
    assert_eq!((0..3).map(|w| m.worker_polls(w)).sum::<u64>(), 100);
    assert_eq!((0..3).map(|w| m.worker_steals(w)).sum::<u64>(), m.steals());
    assert_eq!(m.live_tasks(), 0);
    assert_eq!(m.global_queue_depth(), 0);
    assert!((0..3).all(|w| m.local_queue_depth(w) == 0));
}

#[test]
fn blocking_pool_threads_and_queue() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    assert_eq!(rt.handle().metrics().blocking_threads(), 0);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    rt.block_on(async move {
        // One thread, busy on the first job; the second waits in the queue.
        let first = spawn_blocking(move || {
            started_tx.send(()).unwrap();
            rx.recv().unwrap()
        });
        started_rx.recv().unwrap();
        let second = spawn_blocking(|| 2);
        let m = Handle::current().metrics();
        assert_eq!(m.blocking_threads(), 1);
        assert_eq!(m.blocking_queue_depth(), 1);
        assert_eq!(m.idle_blocking_threads(), 0);
        tx.send(()).unwrap();
        first.await.unwrap();
        assert_eq!(second.await.unwrap(), 2);
        // The thread goes idle after delivering the result; wait for it (bounded).
        for _ in 0..5_000 {
            if Handle::current().metrics().idle_blocking_threads() == 1 {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let m = Handle::current().metrics();
        assert_eq!(m.idle_blocking_threads(), 1);
        assert_eq!((m.blocking_threads(), m.blocking_queue_depth()), (1, 0));
    });
}

#[test]
fn metrics_debug_lists_every_figure() {
    let rt = Builder::new_current_thread().build().unwrap();
    let text = format!("{:?}", rt.handle().metrics());
    for field in [
        "workers: 1",
        "live_tasks: 0",
        "total_polls: 0",
        "steals: 0",
        "global_queue_depth: 0",
        "local_queue_depth: [0]",
        "blocking_threads: 0",
    ] {
        assert!(text.contains(field), "{text}");
    }
}

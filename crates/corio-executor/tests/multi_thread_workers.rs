//! The multi-thread runtime really runs tasks on more than one worker at once.
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use corio_executor::{spawn, Builder};

#[test]
fn tasks_run_in_parallel_on_distinct_workers() {
    const WORKERS: usize = 2;
    let rt = Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .build()
        .unwrap();
    let arrived = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    rt.block_on(async {
        let handles: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (arrived, threads) = (arrived.clone(), threads.clone());
                spawn(async move {
                    threads.lock().unwrap().insert(std::thread::current().id());
                    // Rendezvous: each task blocks its worker until all have arrived,
                    // which is only possible if they run at the same time on
                    // different workers. A bounded spin turns a bug into a failure,
                    // not a hang.
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let mut spins = 0u64;
                    while arrived.load(Ordering::SeqCst) < WORKERS {
                        std::thread::yield_now();
                        spins += 1;
                        assert!(spins < 50_000_000, "the other task never ran in parallel");
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(threads.lock().unwrap().len(), WORKERS);
}

#[test]
fn worker_threads_carry_the_configured_name() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("my-pool")
        .build()
        .unwrap();
    let name = rt.block_on(async {
        spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    });
    assert_eq!(name.as_deref(), Some("my-pool"));
}

#[test]
fn zero_workers_is_invalid_input() {
    let err = Builder::new_multi_thread()
        .worker_threads(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_threads"));
}

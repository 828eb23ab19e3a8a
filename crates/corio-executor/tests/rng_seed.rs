//! `Builder::rng_seed`: current-thread order is random but replayable; without a seed
//! it stays FIFO; a seeded multi-thread executor still runs everything.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use corio_executor::{spawn, yield_now, Builder};

fn trace(b: Builder) -> Vec<usize> {
    let rt = b.build().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let log = log.clone();
                spawn(async move {
                    for _ in 0..4 {
                        log.lock().unwrap().push(i);
                        yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let log = log.lock().unwrap().clone();
    log
}

#[test]
fn seeded_order_replays_and_varies() {
    let fifo: Vec<usize> = (0..4).flat_map(|_| 0..4).collect();
    assert_eq!(trace(Builder::new_current_thread()), fifo);
    let mut distinct = HashSet::new();
    for seed in 0..20 {
        let a = trace(Builder::new_current_thread().rng_seed(seed));
        assert_eq!(a, trace(Builder::new_current_thread().rng_seed(seed)));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..4).flat_map(|i| [i; 4]).collect::<Vec<_>>());
        distinct.insert(a);
    }
    assert!(distinct.len() >= 15, "{}", distinct.len());
}

#[test]
fn seeded_multi_thread_runs_everything() {
    let b = Builder::new_multi_thread().worker_threads(2).rng_seed(9);
    let mut log = trace(b);
    log.sort_unstable();
    assert_eq!(log, (0..4).flat_map(|i| [i; 4]).collect::<Vec<_>>());
}

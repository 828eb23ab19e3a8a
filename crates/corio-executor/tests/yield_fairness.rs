//! `yield_now` lets the other ready tasks run before the yielding task resumes.
mod support;

use std::sync::{Arc, Mutex};

use corio_executor::{spawn, yield_now, Builder};

#[test]
fn yielding_tasks_interleave_round_robin() {
    let rt = Builder::new_current_thread().build().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on({
        let log = log.clone();
        async move {
            let handles: Vec<_> = (0..3)
                .map(|id| {
                    let log = log.clone();
                    spawn(async move {
                        for step in 0..3 {
                            log.lock().unwrap().push((id, step));
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        }
    });
    let log = log.lock().unwrap().clone();
    let expected: Vec<_> = (0..3).flat_map(|s| (0..3).map(move |id| (id, s))).collect();
    assert_eq!(log, expected);
}

#[test]
fn a_yielding_loop_lets_another_task_finish() {
    for (name, rt) in support::executors() {
        let v = rt.block_on(async {
            let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let f = flag.clone();
            let spinner = spawn(async move {
                let mut spins = 0u64;
                while !f.load(std::sync::atomic::Ordering::SeqCst) {
                    yield_now().await;
                    spins += 1;
                }
                spins
            });
            spawn(async move { flag.store(true, std::sync::atomic::Ordering::SeqCst) })
                .await
                .unwrap();
            spinner.await.unwrap()
        });
        let _ = (name, v);
    }
}

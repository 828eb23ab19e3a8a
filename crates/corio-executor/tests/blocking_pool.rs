//! `spawn_blocking`: results, panics, the thread limit and shutdown.
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use corio_executor::{spawn_blocking, Builder};
use support::executors;

#[test]
fn result_arrives_through_join_handle() {
    for (name, rt) in executors() {
        let v = rt.block_on(async { spawn_blocking(|| 6 * 7).await.unwrap() });
        assert_eq!(v, 42, "{name}");
    }
}

#[test]
fn panic_in_job_is_join_error() {
    for (name, rt) in executors() {
        let e = rt.block_on(async { spawn_blocking(|| panic!("job failed")).await.unwrap_err() });
        assert!(e.is_panic(), "{name}");
        assert_eq!(
            rt.block_on(async { spawn_blocking(|| 1).await.unwrap() }),
            1
        );
    }
}

#[test]
fn jobs_beyond_the_limit_are_queued_not_lost() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(2)
        .build()
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let total = rt.block_on({
        let ran = ran.clone();
        async move {
            let handles: Vec<_> = (0..20)
                .map(|i| {
                    let ran = ran.clone();
                    spawn_blocking(move || {
                        ran.fetch_add(1, Ordering::SeqCst);
                        i
                    })
                })
                .collect();
            let mut total = 0;
            for h in handles {
                total += h.await.unwrap();
            }
            total
        }
    });
    assert_eq!(total, (0..20).sum::<i32>());
    assert_eq!(ran.load(Ordering::SeqCst), 20);
    assert!(rt.handle().num_blocking_threads() <= 2);
}

#[test]
fn jobs_run_in_parallel_up_to_the_limit() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(3)
        .build()
        .unwrap();
    let barrier = Arc::new(Barrier::new(3));
    rt.block_on(async move {
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let b = barrier.clone();
                spawn_blocking(move || {
                    b.wait();
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
}

#[test]
fn shutdown_cancels_queued_jobs_and_waits_for_running_ones() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let started = Arc::new(Barrier::new(2));
    let s = started.clone();
    let running = rt.spawn_blocking(move || {
        s.wait();
        // Runs until the queued job has been cancelled by shutdown.
        release_rx.recv().unwrap();
        "finished"
    });
    // The only pool thread is busy, so this job can only end by being cancelled.
    let queued = rt.spawn_blocking(|| "never");
    let watch = queued.abort_handle();
    let releaser = std::thread::spawn(move || {
        while !watch.is_finished() {
            std::thread::yield_now();
        }
        release_tx.send(()).unwrap();
    });
    started.wait();
    drop(rt); // cancels the queued job, then waits for the running one
    releaser.join().unwrap();
    assert_eq!(corio_executor::block_on(running).unwrap(), "finished");
    assert!(corio_executor::block_on(queued).unwrap_err().is_cancelled());
}

#[test]
fn blocking_job_can_block_on_the_runtime() {
    for (name, rt) in executors() {
        let h = rt.handle().clone();
        let v = rt.block_on(async move {
            spawn_blocking(move || h.block_on(async { corio_executor::spawn(async { 4 }).await }))
                .await
                .unwrap()
                .unwrap()
        });
        assert_eq!(v, 4, "{name}");
    }
}

#[test]
fn abort_cancels_a_job_that_has_not_started() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let gate = Arc::new(Barrier::new(2));
    let g = gate.clone();
    let first = rt.spawn_blocking(move || {
        g.wait();
    });
    let second = rt.spawn_blocking(|| "ran");
    second.abort();
    gate.wait();
    rt.block_on(async {
        first.await.unwrap();
        assert!(second.await.unwrap_err().is_cancelled());
    });
}

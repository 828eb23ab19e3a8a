//! Timer benchmarks: corio and tokio side by side.
//!
//! Every group runs the same workload on both runtimes (current-thread flavor):
//! - `create_drop_100k`: create 100 000 sleeps, poll each once (so it is registered with
//!   the timer), drop it; plus the variant that never polls (creation cost only).
//! - `fire_100k_same_deadline` / `fire_100k_spread_1s`: 100 000 sleeps all firing, either at
//!   one deadline or spread evenly over 1 s. On virtual time (a paused clock on a
//!   current-thread runtime: tokio's `start_paused`), which is fair to both and measures the
//!   timer, not the OS sleep.
//! - `timeout_ready`: `timeout` around an already-ready future (the fast path), 1000 per
//!   iteration.
//! - `interval_10k_tasks_100_ticks`: 10 000 spawned tasks each ticking a 1 ms interval 100
//!   times, on virtual time.
//!
//! Target: corio at most 0.8 x tokio's time on every row.
//!
//! Run: `cargo bench -p corio-benches --bench timer -- --warm-up-time 1 --measurement-time 3`.

// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use futures::stream::{FuturesUnordered, StreamExt};

const N: usize = 100_000;

// --- runtime construction: the one place to adjust if the facade's builder differs ----

/// A current-thread corio runtime; `paused` starts the clock paused (auto-advance on).
fn corio_rt(paused: bool) -> corio::Runtime {
    corio::Runtime::builder()
        .current_thread()
        .start_paused(paused)
        .build()
        .expect("corio runtime")
}

/// A current-thread tokio runtime; `paused` uses `start_paused` (auto-advance).
fn tokio_rt(paused: bool) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(paused)
        .build()
        .expect("tokio runtime")
}

/// Polls `fut` exactly once (registers a timer without waiting for it).
async fn poll_once<F: Future>(fut: F) {
    let mut fut = pin!(fut);
    let _ = futures::poll!(fut.as_mut());
}

// --- groups ----------------------------------------------------------------------------

fn create_drop(c: &mut Criterion) {
    let mut g = c.benchmark_group("timer/create_drop_100k");
    g.throughput(criterion::Throughput::Elements(N as u64));

    let rt = corio_rt(false);
    g.bench_function("corio/polled", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..N {
                    poll_once(corio::sleep(Duration::from_millis(1 + (i % 1000) as u64))).await;
                }
            })
        })
    });
    g.bench_function("corio/unpolled", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..N {
                    drop(black_box(corio::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64,
                    ))));
                }
            })
        })
    });

    let rt = tokio_rt(false);
    g.bench_function("tokio/polled", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..N {
                    poll_once(tokio::time::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64,
                    )))
                    .await;
                }
            })
        })
    });
    g.bench_function("tokio/unpolled", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..N {
                    drop(black_box(tokio::time::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64,
                    ))));
                }
            })
        })
    });
    g.finish();
}

/// Deadline of the `i`-th of `N` sleeps: all at 1 s, or spread evenly over 1 s.
fn deadline(i: usize, spread: bool) -> Duration {
    if spread {
        Duration::from_nanos(1_000_000_000 * (i as u64 + 1) / N as u64)
    } else {
        Duration::from_secs(1)
    }
}

fn fire_all(c: &mut Criterion) {
    for (name, spread) in [
        ("fire_100k_same_deadline", false),
        ("fire_100k_spread_1s", true),
    ] {
        let mut g = c.benchmark_group(format!("timer/{name}"));
        g.throughput(criterion::Throughput::Elements(N as u64));
        g.sample_size(20);

        let rt = corio_rt(true);
        g.bench_function("corio", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut all: FuturesUnordered<_> =
                        (0..N).map(|i| corio::sleep(deadline(i, spread))).collect();
                    let mut fired = 0;
                    while all.next().await.is_some() {
                        fired += 1;
                    }
                    assert_eq!(fired, N);
                })
            })
        });

        let rt = tokio_rt(true);
        g.bench_function("tokio", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut all: FuturesUnordered<_> = (0..N)
                        .map(|i| Box::pin(tokio::time::sleep(deadline(i, spread))))
                        .collect();
                    let mut fired = 0;
                    while all.next().await.is_some() {
                        fired += 1;
                    }
                    assert_eq!(fired, N);
                })
            })
        });
        g.finish();
    }
}

fn timeout_ready(c: &mut Criterion) {
    const M: usize = 1000;
    let mut g = c.benchmark_group("timer/timeout_ready");
    g.throughput(criterion::Throughput::Elements(M as u64));

    let rt = corio_rt(false);
    g.bench_function("corio", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..M {
                    let r = corio::timeout(Duration::from_secs(1), std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            })
        })
    });

    let rt = tokio_rt(false);
    g.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..M {
                    let r =
                        tokio::time::timeout(Duration::from_secs(1), std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            })
        })
    });
    g.finish();
}

fn interval_tasks(c: &mut Criterion) {
    const TASKS: usize = 10_000;
    const TICKS: usize = 100;
    let mut g = c.benchmark_group("timer/interval_10k_tasks_100_ticks");
    g.throughput(criterion::Throughput::Elements((TASKS * TICKS) as u64));
    g.sample_size(10);

    let rt = corio_rt(true);
    g.bench_with_input(BenchmarkId::new("corio", TASKS), &TASKS, |b, &tasks| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..tasks)
                    .map(|_| {
                        corio::spawn(async {
                            let mut every = corio::interval(Duration::from_millis(1));
                            for _ in 0..TICKS {
                                every.tick().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });

    let rt = tokio_rt(true);
    g.bench_with_input(BenchmarkId::new("tokio", TASKS), &TASKS, |b, &tasks| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..tasks)
                    .map(|_| {
                        tokio::spawn(async {
                            let mut every = tokio::time::interval(Duration::from_millis(1));
                            for _ in 0..TICKS {
                                every.tick().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    create_drop,
    fire_all,
    timeout_ready,
    interval_tasks
);
criterion_main!(benches);

//! Combinators next to their nearest futures-rs / tokio equivalents, one criterion group
//! per workload and one function per contender:
//!
//! - `gather_ready_10k`: 10 000 already-ready futures — `corio::gather` on a corio
//!   current-thread runtime; `futures::future::join_all` under `futures::executor` and
//!   under a tokio current-thread runtime.
//! - `gather_spawned_10k`: spawn 10 000 tasks and collect their outputs in order —
//!   `corio::spawn` + `corio::gather`; `tokio::spawn` + `join_all`; tokio's `JoinSet`.
//! - `as_completed_spawned_10k`: spawn 10 000 tasks and consume outputs in completion
//!   order — `corio::as_completed`; `FuturesUnordered` over tokio `JoinHandle`s.
//! - `task_group_10k`: a structured group of 10 000 children — `corio::TaskGroup`;
//!   tokio's `JoinSet`.
//!
//! Needs in `benches/Cargo.toml`:
//! ```toml
//! [[bench]]
//! name = "combinators"
//! harness = false
//! ```

#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use futures::stream::{FuturesUnordered, StreamExt};

const N: usize = 10_000;

fn corio_rt() -> corio::Runtime {
    corio::Runtime::builder()
        .current_thread()
        .build()
        .expect("corio runtime")
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

fn gather_ready(c: &mut Criterion) {
    let mut group = c.benchmark_group("gather_ready_10k");
    let corio = corio_rt();
    group.bench_function(BenchmarkId::new("corio_gather", N), |b| {
        b.iter(|| {
            let out = corio.block_on(corio::gather((0..N).map(|i| async move { black_box(i) })));
            black_box(out.len())
        })
    });
    group.bench_function(BenchmarkId::new("futures_join_all_block_on", N), |b| {
        b.iter(|| {
            let out = futures::executor::block_on(futures::future::join_all(
                (0..N).map(|i| async move { black_box(i) }),
            ));
            black_box(out.len())
        })
    });
    let tokio = tokio_rt();
    group.bench_function(BenchmarkId::new("tokio_join_all", N), |b| {
        b.iter(|| {
            let out = tokio.block_on(futures::future::join_all(
                (0..N).map(|i| async move { black_box(i) }),
            ));
            black_box(out.len())
        })
    });
    group.finish();
}

fn gather_spawned(c: &mut Criterion) {
    let mut group = c.benchmark_group("gather_spawned_10k");
    let corio = corio_rt();
    group.bench_function(BenchmarkId::new("corio_spawn_gather", N), |b| {
        b.iter(|| {
            corio.block_on(async {
                let handles: Vec<_> = (0..N)
                    .map(|i| corio::spawn(async move { black_box(i) }))
                    .collect();
                let out = corio::gather(handles).await;
                black_box(out.len())
            })
        })
    });
    let tokio = tokio_rt();
    group.bench_function(BenchmarkId::new("tokio_spawn_join_all", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let handles: Vec<_> = (0..N)
                    .map(|i| tokio::spawn(async move { black_box(i) }))
                    .collect();
                let out = futures::future::join_all(handles).await;
                black_box(out.len())
            })
        })
    });
    group.bench_function(BenchmarkId::new("tokio_joinset", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..N {
                    set.spawn(async move { black_box(i) });
                }
                // JoinSet yields in completion order; put outputs back in input order to
                // do the same work as gather.
                let mut out = vec![0usize; N];
                while let Some(r) = set.join_next().await {
                    let i = r.unwrap();
                    out[i] = i;
                }
                black_box(out.len())
            })
        })
    });
    group.finish();
}

fn as_completed_spawned(c: &mut Criterion) {
    let mut group = c.benchmark_group("as_completed_spawned_10k");
    let corio = corio_rt();
    group.bench_function(BenchmarkId::new("corio_as_completed", N), |b| {
        b.iter(|| {
            corio.block_on(async {
                let handles: Vec<_> = (0..N)
                    .map(|i| corio::spawn(async move { black_box(i) }))
                    .collect();
                let mut stream = corio::as_completed(handles);
                let mut sum = 0usize;
                while let Some(r) = stream.next().await {
                    sum += r.unwrap();
                }
                black_box(sum)
            })
        })
    });
    let tokio = tokio_rt();
    group.bench_function(BenchmarkId::new("tokio_futures_unordered", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let mut stream: FuturesUnordered<_> = (0..N)
                    .map(|i| tokio::spawn(async move { black_box(i) }))
                    .collect();
                let mut sum = 0usize;
                while let Some(r) = stream.next().await {
                    sum += r.unwrap();
                }
                black_box(sum)
            })
        })
    });
    group.finish();
}

fn task_group(c: &mut Criterion) {
    let mut group = c.benchmark_group("task_group_10k");
    let corio = corio_rt();
    group.bench_function(BenchmarkId::new("corio_task_group", N), |b| {
        b.iter(|| {
            corio.block_on(async {
                let tg = corio::TaskGroup::new();
                for i in 0..N {
                    tg.spawn(async move { Ok::<_, std::io::Error>(black_box(i)) });
                }
                let out = tg.join().await.unwrap();
                black_box(out.len())
            })
        })
    });
    let tokio = tokio_rt();
    group.bench_function(BenchmarkId::new("tokio_joinset", N), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..N {
                    set.spawn(async move { Ok::<_, std::io::Error>(black_box(i)) });
                }
                // Same contract as the group: every output, stop at the first failure.
                let mut out = Vec::with_capacity(N);
                while let Some(r) = set.join_next().await {
                    match r.unwrap() {
                        Ok(v) => out.push(v),
                        Err(e) => {
                            set.abort_all();
                            panic!("{e}");
                        }
                    }
                }
                black_box(out.len())
            })
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    gather_ready,
    gather_spawned,
    as_completed_spawned,
    task_group
);
criterion_main!(benches);

//! Cancellation benchmarks: corio next to tokio / tokio-util.
//!
//! - `token/cancel_parent_10k_waiting_children`: a root token with 10 000 child tokens,
//!   each with one registered waiter (`cancelled_owned()` polled once); the measured part
//!   is `root.cancel()` (every child cancelled, every waiter woken). Building and dropping
//!   the tree are outside the measurement. corio-sync's `CancellationToken` next to
//!   tokio-util's. No runtime is involved: the waiters use a no-op waker, so this measures
//!   the token tree alone. Its instruction count is the `op_costs` workload
//!   `token_cancel_10k` (`tools/bench_table.py callgrind --workloads token_cancel_10k`).
//!
//! - `cancel/{timeout,move_on_after,token}_ready_100k_mt`: 100 000 calls around an
//!   already-ready future awaited in one `block_on` on a 2-worker runtime (issue 14 item 6):
//!   `corio::timeout` next to `tokio::time::timeout`; `corio::move_on_after` (a cancel
//!   scope) next to `tokio::time::timeout` (tokio has no scope; the bar is corio's
//!   own `timeout`: compare the corio rows of the two groups); `CancellationToken::
//!   run_until_cancelled` next to tokio-util's.
//!
//! Target: corio at most 0.8 x tokio's time on every row.
//!
//! Run: `cargo bench -p corio-benches --bench cancel -- --warm-up-time 1 --measurement-time 3`.

// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const CHILDREN: usize = 10_000;

type Waiting = Vec<Pin<Box<dyn Future<Output = ()>>>>;

fn poll_once(f: &mut Pin<Box<dyn Future<Output = ()>>>) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(f.as_mut().poll(&mut cx).is_pending());
}

fn corio_tree() -> (
    corio::sync::CancellationToken,
    Vec<corio::sync::CancellationToken>,
    Waiting,
) {
    let root = corio::sync::CancellationToken::new();
    let kids: Vec<_> = (0..CHILDREN).map(|_| root.child_token()).collect();
    let mut waits: Waiting = kids
        .iter()
        .map(|k| Box::pin(k.clone().cancelled_owned()) as Pin<Box<dyn Future<Output = ()>>>)
        .collect();
    waits.iter_mut().for_each(poll_once);
    (root, kids, waits)
}

fn tokio_tree() -> (
    tokio_util::sync::CancellationToken,
    Vec<tokio_util::sync::CancellationToken>,
    Waiting,
) {
    let root = tokio_util::sync::CancellationToken::new();
    let kids: Vec<_> = (0..CHILDREN).map(|_| root.child_token()).collect();
    let mut waits: Waiting = kids
        .iter()
        .map(|k| Box::pin(k.clone().cancelled_owned()) as Pin<Box<dyn Future<Output = ()>>>)
        .collect();
    waits.iter_mut().for_each(poll_once);
    (root, kids, waits)
}

fn token(c: &mut Criterion) {
    let mut g = c.benchmark_group("token/cancel_parent_10k_waiting_children");
    g.throughput(criterion::Throughput::Elements(CHILDREN as u64));
    g.bench_function("corio", |b| {
        b.iter_batched(
            corio_tree,
            |tree| {
                tree.0.cancel();
                tree
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("tokio_util", |b| {
        b.iter_batched(
            tokio_tree,
            |tree| {
                tree.0.cancel();
                tree
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

const CALLS: usize = 100_000;

fn corio_mt() -> corio::Runtime {
    corio::Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .expect("corio runtime")
}

fn tokio_mt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("tokio runtime")
}

/// Awaits `CALLS` times `wrap(ready(i))` in one `block_on` and checks each result.
macro_rules! ready_calls {
    ($rt:expr, |$f:ident| $wrap:expr) => {
        $rt.block_on(async {
            for i in 0..CALLS {
                let $f = std::future::ready(i);
                let r = $wrap.await;
                black_box(r.unwrap());
            }
        })
    };
}

fn ready_100k(c: &mut Criterion) {
    let (corio_rt, tokio_rt) = (corio_mt(), tokio_mt());
    let sec = Duration::from_secs(1);
    let groups: [(&str, &str); 3] = [
        ("cancel/timeout_ready_100k_mt", "tokio"),
        ("cancel/move_on_after_ready_100k_mt", "tokio_timeout"),
        ("cancel/token_ready_100k_mt", "tokio_util"),
    ];
    let corio_token = corio::sync::CancellationToken::new();
    let tokio_token = tokio_util::sync::CancellationToken::new();
    for (i, (group, other)) in groups.into_iter().enumerate() {
        let mut g = c.benchmark_group(group);
        g.throughput(criterion::Throughput::Elements(CALLS as u64));
        g.sample_size(20);
        g.bench_function("corio", |b| {
            b.iter(|| match i {
                0 => ready_calls!(corio_rt, |f| corio::timeout(sec, f)),
                1 => ready_calls!(corio_rt, |f| corio::move_on_after(sec, f)),
                _ => ready_calls!(corio_rt, |f| corio_token.run_until_cancelled(f)),
            })
        });
        g.bench_function(other, |b| {
            b.iter(|| match i {
                0 | 1 => ready_calls!(tokio_rt, |f| tokio::time::timeout(sec, f)),
                _ => ready_calls!(tokio_rt, |f| tokio_token.run_until_cancelled(f)),
            })
        });
        g.finish();
    }
}

criterion_group!(benches, token, ready_100k);
criterion_main!(benches);

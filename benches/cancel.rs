//! Cancellation benchmarks: corio next to tokio / tokio-util.
//!
//! - `token/cancel_parent_10k_waiting_children`: a root token with 10 000 child tokens,
//!   each with one registered waiter (`cancelled_owned()` polled once); the measured part
//!   is `root.cancel()` (every child cancelled, every waiter woken). Building and dropping
//!   the tree are outside the measurement. corio-sync's `CancellationToken` next to
//!   tokio-util's. No runtime is involved: the waiters use a no-op waker, so this measures
//!   the token tree alone.
//!
//! Target: corio at most 0.8 x tokio's time on every row.
//!
//! Run: `cargo bench -p corio-benches --bench cancel -- --warm-up-time 1 --measurement-time 3`.

// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

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

criterion_group!(benches, token);
criterion_main!(benches);

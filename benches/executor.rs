//! Executor benchmarks: corio and tokio side by side, same workload, same group.
//!
//! Run: `cargo bench -p corio-benches --bench executor -- --warm-up-time 1 --measurement-time 3`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use criterion::{criterion_group, criterion_main, Criterion};

const SPAWN_MANY: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
const PING_PONG_PAIRS: usize = 1_000;
const CHAIN_DEPTH: usize = 1_000;
const WORKERS: usize = 2;

/// What the workloads need from a runtime.
trait Exec {
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    /// Spawns from inside the runtime; the future resolves to the task's output.
    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// Spawns from outside the runtime.
    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    fn yield_now() -> impl Future<Output = ()> + Send;
}

impl Exec for corio::Runtime {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        corio::Runtime::block_on(self, f)
    }
    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let h = corio::spawn(f);
        async move { h.await.unwrap() }
    }
    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let h = corio::Runtime::spawn(self, f);
        async move { h.await.unwrap() }
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        corio::yield_now()
    }
}

impl Exec for tokio::runtime::Runtime {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        tokio::runtime::Runtime::block_on(self, f)
    }
    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let h = tokio::spawn(f);
        async move { h.await.unwrap() }
    }
    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let h = tokio::runtime::Runtime::spawn(self, f);
        async move { h.await.unwrap() }
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

/// A tiny oneshot channel from std primitives, the same for both runtimes.
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

struct Sender<T>(Arc<Mutex<Slot<T>>>);
struct Receiver<T>(Arc<Mutex<Slot<T>>>);

fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    (Sender(slot.clone()), Receiver(slot))
}

impl<T> Sender<T> {
    fn send(self, v: T) {
        let waker = {
            let mut s = self.0.lock().unwrap();
            s.value = Some(v);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.0.lock().unwrap();
        match s.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                match &s.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => s.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

fn spawn_many_local<R: Exec>(rt: &R) {
    rt.block_on(async {
        R::spawn(async {
            let handles: Vec<_> = (0..SPAWN_MANY).map(|_| R::spawn(async {})).collect();
            for h in handles {
                h.await;
            }
        })
        .await
    });
}

fn spawn_many_remote<R: Exec>(rt: &R) {
    let handles: Vec<_> = (0..SPAWN_MANY).map(|_| rt.spawn_remote(async {})).collect();
    rt.block_on(async {
        for h in handles {
            h.await;
        }
    });
}

fn yield_many<R: Exec>(rt: &R) {
    rt.block_on(async {
        let handles: Vec<_> = (0..YIELD_TASKS)
            .map(|_| {
                R::spawn(async {
                    for _ in 0..YIELDS {
                        R::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    });
}

fn ping_pong<R: Exec>(rt: &R) {
    let done = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let (all_tx, all_rx) = oneshot::<()>();
        let all_tx = Arc::new(Mutex::new(Some(all_tx)));
        for _ in 0..PING_PONG_PAIRS {
            let (done, all_tx) = (done.clone(), all_tx.clone());
            drop(R::spawn(async move {
                let (ping_tx, ping_rx) = oneshot::<()>();
                let (pong_tx, pong_rx) = oneshot::<()>();
                drop(R::spawn(async move {
                    ping_rx.await;
                    pong_tx.send(());
                }));
                ping_tx.send(());
                pong_rx.await;
                if done.fetch_add(1, Ordering::AcqRel) + 1 == PING_PONG_PAIRS {
                    if let Some(tx) = all_tx.lock().unwrap().take() {
                        tx.send(());
                    }
                }
            }));
        }
        all_rx.await;
    });
}

fn chained_spawn<R: Exec>(rt: &R) {
    fn link<R: Exec>(done: Sender<()>, n: usize) {
        if n == 0 {
            done.send(());
        } else {
            drop(R::spawn(async move { link::<R>(done, n - 1) }));
        }
    }
    rt.block_on(async {
        let (tx, rx) = oneshot();
        drop(R::spawn(async move { link::<R>(tx, CHAIN_DEPTH) }));
        rx.await;
    });
}

fn corio_rt(multi: bool) -> corio::Runtime {
    corio_rt_with(multi, false)
}

/// `debug`: corio's debug mode (slow-poll timing, last-poll stamps), to measure its cost.
fn corio_rt_with(multi: bool, debug: bool) -> corio::Runtime {
    let b = corio::Runtime::builder().debug(debug);
    let b = if multi {
        b.multi_thread().worker_threads(WORKERS)
    } else {
        b.current_thread()
    };
    b.build().unwrap()
}

fn tokio_rt(multi: bool) -> tokio::runtime::Runtime {
    if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }
}

/// Runs one workload on corio and tokio; `with_debug` adds a `corio_debug` row (corio
/// in debug mode) to show what debug mode costs.
fn group(
    c: &mut Criterion,
    name: &str,
    corio_fn: fn(&corio::Runtime),
    tokio_fn: fn(&tokio::runtime::Runtime),
    with_debug: bool,
) {
    let mut g = c.benchmark_group(name);
    for multi in [false, true] {
        let flavor = if multi {
            "multi_thread"
        } else {
            "current_thread"
        };
        let rt = corio_rt(multi);
        g.bench_function(format!("corio/{flavor}"), |b| b.iter(|| corio_fn(&rt)));
        drop(rt);
        if with_debug {
            let rt = corio_rt_with(multi, true);
            g.bench_function(format!("corio_debug/{flavor}"), |b| {
                b.iter(|| corio_fn(&rt))
            });
            drop(rt);
        }
        let rt = tokio_rt(multi);
        g.bench_function(format!("tokio/{flavor}"), |b| b.iter(|| tokio_fn(&rt)));
        drop(rt);
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    group(
        c,
        "spawn_many_local",
        spawn_many_local,
        spawn_many_local,
        true,
    );
    group(
        c,
        "spawn_many_remote",
        spawn_many_remote,
        spawn_many_remote,
        true,
    );
    group(c, "yield_many", yield_many, yield_many, true);
    group(c, "ping_pong", ping_pong, ping_pong, false);
    group(c, "chained_spawn", chained_spawn, chained_spawn, false);
}

criterion_group!(executor, benches);
criterion_main!(executor);

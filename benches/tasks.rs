//! Local tasks and `JoinSet`: corio next to tokio (`LocalSet::spawn_local`, `JoinSet`),
//! same workload, same group; plus what a spawn costs when it carries a context.
//!
//! Run: `cargo bench -p corio-benches --bench tasks -- --warm-up-time 1 --measurement-time 3`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use criterion::{criterion_group, Criterion};

const SPAWN_MANY: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
const PING_PONG_PAIRS: usize = 1_000;
const WORKERS: usize = 2;

/// A single-threaded oneshot (`Rc`, no lock): what local tasks hand each other.
struct Slot<T> {
    value: Cell<Option<T>>,
    waker: Cell<Option<Waker>>,
}

struct Sender<T>(Rc<Slot<T>>);
struct Receiver<T>(Rc<Slot<T>>);

fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Rc::new(Slot {
        value: Cell::new(None),
        waker: Cell::new(None),
    });
    (Sender(slot.clone()), Receiver(slot))
}

impl<T> Sender<T> {
    fn send(self, v: T) {
        self.0.value.set(Some(v));
        if let Some(w) = self.0.waker.take() {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.0.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                self.0.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

fn corio_rt(multi: bool) -> corio::Runtime {
    let b = corio::Runtime::builder();
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

// ---- local tasks: corio's block_on future is a local context; tokio needs a LocalSet.

fn corio_local_spawn_many(rt: &corio::Runtime) {
    rt.block_on(async {
        let handles: Vec<_> = (0..SPAWN_MANY)
            .map(|_| corio::spawn_local(async {}))
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn tokio_local_spawn_many(rt: &tokio::runtime::Runtime) {
    tokio::task::LocalSet::new().block_on(rt, async {
        let handles: Vec<_> = (0..SPAWN_MANY)
            .map(|_| tokio::task::spawn_local(async {}))
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn corio_local_yield_many(rt: &corio::Runtime) {
    rt.block_on(async {
        let handles: Vec<_> = (0..YIELD_TASKS)
            .map(|_| {
                corio::spawn_local(async {
                    for _ in 0..YIELDS {
                        corio::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn tokio_local_yield_many(rt: &tokio::runtime::Runtime) {
    tokio::task::LocalSet::new().block_on(rt, async {
        let handles: Vec<_> = (0..YIELD_TASKS)
            .map(|_| {
                tokio::task::spawn_local(async {
                    for _ in 0..YIELDS {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

/// 1 000 pairs of local tasks hand a message there and back.
async fn local_ping_pong<S, H>(spawn: S)
where
    S: Fn(Pin<Box<dyn Future<Output = ()>>>) -> H + Copy + 'static,
{
    let done = Rc::new(Cell::new(0));
    let (all_tx, all_rx) = oneshot::<()>();
    let all_tx = Rc::new(Cell::new(Some(all_tx)));
    for _ in 0..PING_PONG_PAIRS {
        let (done, all_tx) = (done.clone(), all_tx.clone());
        drop(spawn(Box::pin(async move {
            let (ping_tx, ping_rx) = oneshot::<()>();
            let (pong_tx, pong_rx) = oneshot::<()>();
            drop(spawn(Box::pin(async move {
                ping_rx.await;
                pong_tx.send(());
            })));
            ping_tx.send(());
            pong_rx.await;
            done.set(done.get() + 1);
            if done.get() == PING_PONG_PAIRS {
                if let Some(tx) = all_tx.take() {
                    tx.send(());
                }
            }
        })));
    }
    all_rx.await;
}

fn corio_local_ping_pong(rt: &corio::Runtime) {
    rt.block_on(local_ping_pong(corio::spawn_local));
}

fn tokio_local_ping_pong(rt: &tokio::runtime::Runtime) {
    tokio::task::LocalSet::new().block_on(rt, local_ping_pong(tokio::task::spawn_local));
}

// ---- JoinSet: spawn 10 000, join all (inside a task, as a worker pool would).

fn corio_join_set(rt: &corio::Runtime) {
    rt.block_on(async {
        corio::spawn(async {
            let mut set = corio::task::JoinSet::new();
            for _ in 0..SPAWN_MANY {
                set.spawn(async {});
            }
            while let Some(r) = set.join_next().await {
                r.unwrap();
            }
        })
        .await
        .unwrap();
    });
}

fn tokio_join_set(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        tokio::spawn(async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..SPAWN_MANY {
                set.spawn(async {});
            }
            while let Some(r) = set.join_next().await {
                r.unwrap();
            }
        })
        .await
        .unwrap();
    });
}

// ---- context variables: a spawn that carries a context (corio only; tokio's
// task_local! does not propagate).

static REQUEST: corio::task::ContextVar<u64> = corio::task::ContextVar::new("request");

fn corio_spawn_many(rt: &corio::Runtime, with_context: bool) {
    rt.block_on(async move {
        corio::spawn(async move {
            let _token = with_context.then(|| REQUEST.set(7));
            let handles: Vec<_> = (0..SPAWN_MANY).map(|_| corio::spawn(async {})).collect();
            for h in handles {
                h.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
}

fn group(
    c: &mut Criterion,
    name: &str,
    corio_fn: fn(&corio::Runtime),
    tokio_fn: fn(&tokio::runtime::Runtime),
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
        let rt = tokio_rt(multi);
        g.bench_function(format!("tokio/{flavor}"), |b| b.iter(|| tokio_fn(&rt)));
        drop(rt);
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    group(
        c,
        "local_spawn_many",
        corio_local_spawn_many,
        tokio_local_spawn_many,
    );
    group(
        c,
        "local_yield_many",
        corio_local_yield_many,
        tokio_local_yield_many,
    );
    group(
        c,
        "local_ping_pong",
        corio_local_ping_pong,
        tokio_local_ping_pong,
    );
    group(c, "join_set", corio_join_set, tokio_join_set);

    let mut g = c.benchmark_group("spawn_context");
    for multi in [false, true] {
        let flavor = if multi {
            "multi_thread"
        } else {
            "current_thread"
        };
        let rt = corio_rt(multi);
        g.bench_function(format!("no_context/{flavor}"), |b| {
            b.iter(|| corio_spawn_many(&rt, false))
        });
        g.bench_function(format!("with_context/{flavor}"), |b| {
            b.iter(|| corio_spawn_many(&rt, true))
        });
    }
    g.finish();
}

criterion_group!(tasks, benches);

/// `TASKS_PROFILE=<workload>/<corio|tokio>/<current_thread|multi_thread>` runs that one
/// workload 20 times without criterion, for instruction counts under callgrind:
/// `TASKS_PROFILE=local_ping_pong/corio/current_thread valgrind --tool=callgrind
/// target/release/deps/tasks-*`.
fn profile(spec: &str) {
    let parts: Vec<&str> = spec.split('/').collect();
    let [workload, runtime, flavor] = parts[..] else {
        panic!("TASKS_PROFILE=<workload>/<corio|tokio>/<current_thread|multi_thread>");
    };
    let multi = flavor == "multi_thread";
    let corio_fn: fn(&corio::Runtime) = match workload {
        "local_spawn_many" => corio_local_spawn_many,
        "local_yield_many" => corio_local_yield_many,
        "local_ping_pong" => corio_local_ping_pong,
        "join_set" => corio_join_set,
        "spawn_no_context" => |rt| corio_spawn_many(rt, false),
        "spawn_with_context" => |rt| corio_spawn_many(rt, true),
        other => panic!("unknown workload {other}"),
    };
    let tokio_fn: fn(&tokio::runtime::Runtime) = match workload {
        "local_spawn_many" => tokio_local_spawn_many,
        "local_yield_many" => tokio_local_yield_many,
        "local_ping_pong" => tokio_local_ping_pong,
        "join_set" => tokio_join_set,
        _ => |_| panic!("no tokio side"),
    };
    match runtime {
        "corio" => {
            let rt = corio_rt(multi);
            for _ in 0..20 {
                corio_fn(&rt);
            }
        }
        _ => {
            let rt = tokio_rt(multi);
            for _ in 0..20 {
                tokio_fn(&rt);
            }
        }
    }
}

fn main() {
    if let Ok(spec) = std::env::var("TASKS_PROFILE") {
        profile(&spec);
        return;
    }
    tasks();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

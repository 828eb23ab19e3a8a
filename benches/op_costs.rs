//! One workload per process, for instruction counts under callgrind: corio or tokio doing
//! `N` operations of one kind, so `(instructions(N) - instructions(0)) / N` is the cost of
//! one operation with the runtime's start-up cancelled out (load-independent, unlike
//! wall-clock time on a shared machine).
//!
//! ```text
//! cargo build --release -p corio-benches --example op_costs
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/op_costs timeout_ready corio 100000
//! ```
//!
//! `tools/bench_table.py callgrind` runs every workload on both runtimes with N = 0 and
//! the workload's default N and prints the markdown rows of `docs/benchmarks.md`.
//! `op_costs list` prints the workloads and their default N. Each workload mirrors a
//! criterion group in `benches/` (named in [`WORKLOADS`]).

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};

/// `(name, default N, what one operation is, the criterion group it mirrors)`.
const WORKLOADS: &[(&str, usize, &str, &str)] = &[
    (
        "timeout_ready",
        100_000,
        "`timeout(1 s, ready)` awaited in `block_on`, 2-worker runtime",
        "timer/timeout_ready",
    ),
    (
        "timeout_ready_ct",
        100_000,
        "`timeout(1 s, ready)` awaited, current-thread runtime",
        "timer/timeout_ready",
    ),
    (
        "move_on_after_ready",
        100_000,
        "`move_on_after(1 s, ready)` (tokio: `timeout`), 2-worker runtime",
        "timer/timeout_ready",
    ),
    (
        "token_ready",
        100_000,
        "`token.run_until_cancelled(ready)` (tokio-util's), 2-worker runtime",
        "timer/timeout_ready",
    ),
    (
        "token_cancel_10k",
        TOKEN_TREES,
        "`cancel()` of a root token with 10 000 child tokens, each with a polled `cancelled_owned()` \
         (tokio-util's); building the trees is outside the count",
        "token/cancel_parent_10k_waiting_children",
    ),
    (
        "sleep_unpolled",
        100_000,
        "`sleep` created and dropped, never polled",
        "timer/create_drop_100k",
    ),
    (
        "sleep_polled",
        100_000,
        "`sleep` created, polled once (inserted), dropped (cancelled)",
        "timer/create_drop_100k",
    ),
    (
        "sleep_spread",
        100_000,
        "one of N sleeps firing, deadlines spread over 1 s (virtual time)",
        "timer/fire_100k_spread_1s",
    ),
    (
        "interval_tick",
        10_000,
        "one task ticking a 1 ms `interval` 100 times (virtual time); N tasks",
        "timer/interval_10k_tasks_100_ticks",
    ),
    (
        "mpsc_bounded_1",
        100,
        "bounded mpsc (capacity 100), 1 producer x 1 000 messages; N rounds",
        "mpsc/bounded_*/1",
    ),
    (
        "mpsc_bounded_5",
        100,
        "bounded mpsc (capacity 100), 5 producers x 200 messages; N rounds",
        "mpsc/bounded_*/5",
    ),
    (
        "broadcast_100",
        20,
        "broadcast of 100 values to 100 receiver tasks; N rounds",
        "broadcast_100_receivers",
    ),
    (
        "lines_codec",
        100_000,
        "one 40-byte line decoded by `LinesCodec` (tokio-util's) through `FramedRead` from memory",
        "lines_codec_1M_lines",
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("list") || args.len() < 3 {
        for (name, n, what, group) in WORKLOADS.iter().chain(MORE_WORKLOADS) {
            println!("{name}\t{n}\t{what}\t{group}");
        }
        return;
    }
    let name = args[1].as_str();
    let side = args[2].as_str();
    let n: usize = match args.get(3) {
        Some(n) => n.parse().expect("N must be a number"),
        None => {
            WORKLOADS
                .iter()
                .chain(MORE_WORKLOADS)
                .find(|w| w.0 == name)
                .unwrap_or_else(|| panic!("unknown workload {name}"))
                .1
        }
    };
    match side {
        "corio" if more_corio(name, n) => {}
        "tokio" if more_tokio(name, n) => {}
        "corio" => corio_side(name, n),
        "tokio" => tokio_side(name, n),
        _ => panic!("the side is corio or tokio, not {side}"),
    }
}

fn corio_rt(multi: bool, paused: bool) -> corio::Runtime {
    let b = corio::Runtime::builder();
    let b = if multi {
        b.multi_thread().worker_threads(2)
    } else {
        b.current_thread()
    };
    b.start_paused(paused).build().expect("corio runtime")
}

fn tokio_rt(multi: bool, paused: bool) -> tokio::runtime::Runtime {
    let mut b = if multi {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    b.enable_all()
        .start_paused(paused)
        .build()
        .expect("tokio runtime")
}

/// The `token_cancel_10k` process builds this many trees whatever N is (so the build
/// cancels out of `I(N) - I(0)`), cancels N of them and leaks them all (so does the drop).
const TOKEN_TREES: usize = 4;

/// `TOKEN_TREES` trees of a root with 10 000 children, each child with one waiter
/// polled once (as `benches/cancel.rs` builds them); cancels the first `n` roots.
macro_rules! token_cancel_10k {
    ($token:ty, $n:expr) => {{
        assert!(
            $n <= TOKEN_TREES,
            "token_cancel_10k cancels at most {TOKEN_TREES} trees"
        );
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let trees: Vec<_> = (0..TOKEN_TREES)
            .map(|_| {
                let root = <$token>::new();
                let kids: Vec<_> = (0..10_000).map(|_| root.child_token()).collect();
                let mut waits: Vec<_> = kids
                    .iter()
                    .map(|k| Box::pin(k.clone().cancelled_owned()))
                    .collect();
                for w in &mut waits {
                    assert!(w.as_mut().poll(&mut cx).is_pending());
                }
                (root, kids, waits)
            })
            .collect();
        for tree in &trees[..$n] {
            tree.0.cancel();
        }
        for tree in &trees[..$n] {
            assert!(tree.1[10_000 - 1].is_cancelled());
        }
        std::mem::forget(trees);
    }};
}

/// Polls `fut` exactly once.
async fn poll_once<F: Future>(fut: F) {
    let mut fut = pin!(fut);
    let _ = futures::poll!(fut.as_mut());
}

fn spread(i: usize, n: usize) -> Duration {
    Duration::from_nanos(1_000_000_000 * (i as u64 + 1) / n.max(1) as u64)
}

/// `n` lines of the `lines_codec` workload (40 bytes each with the `\n`, as long as the criterion bench's).
fn lines_input(n: usize) -> Vec<u8> {
    b"line 01234 of the lines codec benchmark\n".repeat(n)
}

fn corio_side(name: &str, n: usize) {
    match name {
        "lines_codec" => {
            let input = lines_input(n);
            let got = futures::executor::block_on(async {
                let mut s = corio::io::codec::FramedRead::new(
                    &input[..],
                    corio::io::codec::LinesCodec::new(),
                );
                let mut got = 0;
                while let Some(line) = s.next().await {
                    black_box(line.unwrap());
                    got += 1;
                }
                got
            });
            assert_eq!(got, n);
        }
        "timeout_ready" | "timeout_ready_ct" => {
            let rt = corio_rt(name == "timeout_ready", false);
            rt.block_on(async {
                for i in 0..n {
                    let r = corio::timeout(Duration::from_secs(1), std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            });
        }
        "move_on_after_ready" => {
            let rt = corio_rt(true, false);
            rt.block_on(async {
                for i in 0..n {
                    let r =
                        corio::move_on_after(Duration::from_secs(1), std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            });
        }
        "token_ready" => {
            let rt = corio_rt(true, false);
            rt.block_on(async {
                let token = corio::sync::CancellationToken::new();
                for i in 0..n {
                    let r = token.run_until_cancelled(std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            });
        }
        "token_cancel_10k" => token_cancel_10k!(corio::sync::CancellationToken, n),
        "sleep_unpolled" => {
            let rt = corio_rt(false, false);
            rt.block_on(async {
                for i in 0..n {
                    drop(black_box(corio::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64,
                    ))));
                }
            });
        }
        "sleep_polled" => {
            let rt = corio_rt(false, false);
            rt.block_on(async {
                for i in 0..n {
                    poll_once(corio::sleep(Duration::from_millis(1 + (i % 1000) as u64))).await;
                }
            });
        }
        "sleep_spread" => {
            let rt = corio_rt(false, true);
            rt.block_on(async {
                let mut all: FuturesUnordered<_> =
                    (0..n).map(|i| corio::sleep(spread(i, n))).collect();
                let mut fired = 0;
                while all.next().await.is_some() {
                    fired += 1;
                }
                assert_eq!(fired, n);
            });
        }
        "interval_tick" => {
            let rt = corio_rt(false, true);
            rt.block_on(async {
                let handles: Vec<_> = (0..n)
                    .map(|_| {
                        corio::spawn(async {
                            let mut every = corio::interval(Duration::from_millis(1));
                            for _ in 0..100 {
                                every.tick().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            });
        }
        "mpsc_bounded_1" | "mpsc_bounded_5" => {
            let producers = if name.ends_with('1') { 1 } else { 5 };
            let per = 1000 / producers;
            let rt = corio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let (tx, mut rx) = corio::sync::mpsc::channel::<usize>(100);
                    for _ in 0..producers {
                        let tx = tx.clone();
                        let _detached = corio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).await.unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut got = 0;
                    while rx.recv().await.is_some() {
                        got += 1;
                    }
                    assert_eq!(got, per * producers);
                });
            }
        }
        "broadcast_100" => {
            let rt = corio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let (tx, rx) = corio::sync::broadcast::channel::<usize>(100);
                    let tasks: Vec<_> = (0..100)
                        .map(|_| {
                            let mut rx = rx.resubscribe();
                            corio::spawn(async move {
                                let mut got = 0;
                                while rx.recv().await.is_ok() {
                                    got += 1;
                                }
                                got
                            })
                        })
                        .collect();
                    drop(rx);
                    for i in 0..100 {
                        tx.send(i).unwrap();
                    }
                    drop(tx);
                    for t in tasks {
                        assert_eq!(t.await.unwrap(), 100);
                    }
                });
            }
        }
        _ => panic!("unknown workload {name}"),
    }
}

fn tokio_side(name: &str, n: usize) {
    match name {
        "lines_codec" => {
            let input = lines_input(n);
            let got = futures::executor::block_on(async {
                let mut s = tokio_util::codec::FramedRead::new(
                    &input[..],
                    tokio_util::codec::LinesCodec::new(),
                );
                let mut got = 0;
                while let Some(line) = s.next().await {
                    black_box(line.unwrap());
                    got += 1;
                }
                got
            });
            assert_eq!(got, n);
        }
        "timeout_ready" | "timeout_ready_ct" | "move_on_after_ready" => {
            let rt = tokio_rt(name != "timeout_ready_ct", false);
            rt.block_on(async {
                for i in 0..n {
                    let r =
                        tokio::time::timeout(Duration::from_secs(1), std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            });
        }
        "token_ready" => {
            let rt = tokio_rt(true, false);
            rt.block_on(async {
                let token = tokio_util::sync::CancellationToken::new();
                for i in 0..n {
                    let r = token.run_until_cancelled(std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            });
        }
        "token_cancel_10k" => token_cancel_10k!(tokio_util::sync::CancellationToken, n),
        "sleep_unpolled" => {
            let rt = tokio_rt(false, false);
            rt.block_on(async {
                for i in 0..n {
                    drop(black_box(tokio::time::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64,
                    ))));
                }
            });
        }
        "sleep_polled" => {
            let rt = tokio_rt(false, false);
            rt.block_on(async {
                for i in 0..n {
                    poll_once(tokio::time::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64,
                    )))
                    .await;
                }
            });
        }
        "sleep_spread" => {
            let rt = tokio_rt(false, true);
            rt.block_on(async {
                let mut all: FuturesUnordered<_> = (0..n)
                    .map(|i| Box::pin(tokio::time::sleep(spread(i, n))))
                    .collect();
                let mut fired = 0;
                while all.next().await.is_some() {
                    fired += 1;
                }
                assert_eq!(fired, n);
            });
        }
        "interval_tick" => {
            let rt = tokio_rt(false, true);
            rt.block_on(async {
                let handles: Vec<_> = (0..n)
                    .map(|_| {
                        tokio::spawn(async {
                            let mut every = tokio::time::interval(Duration::from_millis(1));
                            for _ in 0..100 {
                                every.tick().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            });
        }
        "mpsc_bounded_1" | "mpsc_bounded_5" => {
            let producers = if name.ends_with('1') { 1 } else { 5 };
            let per = 1000 / producers;
            let rt = tokio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<usize>(100);
                    for _ in 0..producers {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).await.unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut got = 0;
                    while rx.recv().await.is_some() {
                        got += 1;
                    }
                    assert_eq!(got, per * producers);
                });
            }
        }
        "broadcast_100" => {
            let rt = tokio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let (tx, rx) = tokio::sync::broadcast::channel::<usize>(100);
                    let tasks: Vec<_> = (0..100)
                        .map(|_| {
                            let mut rx = rx.resubscribe();
                            tokio::spawn(async move {
                                let mut got = 0;
                                while rx.recv().await.is_ok() {
                                    got += 1;
                                }
                                got
                            })
                        })
                        .collect();
                    drop(rx);
                    for i in 0..100 {
                        tx.send(i).unwrap();
                    }
                    drop(tx);
                    for t in tasks {
                        assert_eq!(t.await.unwrap(), 100);
                    }
                });
            }
        }
        _ => panic!("unknown workload {name}"),
    }
}

// ------------------------------------------------------------------------------------
// The rows of docs/benchmarks.md that had no instruction count before session 6 (issue
// 19: every row re-measured, in instructions where wall time is noisy): the executor,
// local tasks and `JoinSet`, the combinators, the rest of sync, `copy_bidirectional`.
// Each mirrors its criterion group's workload with N as the count of one operation (or
// of rounds, where the group's iteration is a round). `_ct`: current-thread runtime;
// `_mt`: 2 workers (under callgrind the threads run one at a time, so a multi-thread
// count includes the idle workers' searching and varies a little between runs).

/// The workloads below, in the same shape as [`WORKLOADS`].
const MORE_WORKLOADS: &[(&str, usize, &str, &str)] = &[
    (
        "spawn_many_local_ct",
        10_000,
        "a task spawns N empty tasks and awaits each; current-thread",
        "spawn_many_local/*/current_thread",
    ),
    (
        "spawn_many_local_mt",
        10_000,
        "a task spawns N empty tasks and awaits each; 2 workers",
        "spawn_many_local/*/multi_thread",
    ),
    (
        "spawn_many_remote_ct",
        10_000,
        "N empty tasks spawned from outside the runtime, then awaited; current-thread",
        "spawn_many_remote/*/current_thread",
    ),
    (
        "spawn_many_remote_mt",
        10_000,
        "N empty tasks spawned from outside the runtime, then awaited; 2 workers",
        "spawn_many_remote/*/multi_thread",
    ),
    (
        "yield_many_ct",
        100_000,
        "one `yield_now` of 100 tasks yielding N/100 times each; current-thread",
        "yield_many/*/current_thread",
    ),
    (
        "yield_many_mt",
        100_000,
        "one `yield_now` of 100 tasks yielding N/100 times each; 2 workers",
        "yield_many/*/multi_thread",
    ),
    (
        "ping_pong_ct",
        10_000,
        "a pair of tasks (one spawns the other) handing a message there and back \
         (futures' oneshot on both sides); current-thread",
        "ping_pong/*/current_thread",
    ),
    (
        "ping_pong_mt",
        10_000,
        "a pair of tasks handing a message there and back (futures' oneshot); 2 workers",
        "ping_pong/*/multi_thread",
    ),
    (
        "chained_spawn_ct",
        10_000,
        "one link of a chain of tasks each spawning the next; current-thread",
        "chained_spawn/*/current_thread",
    ),
    (
        "chained_spawn_mt",
        10_000,
        "one link of a chain of tasks each spawning the next; 2 workers",
        "chained_spawn/*/multi_thread",
    ),
    (
        "local_spawn_many",
        10_000,
        "`spawn_local` of an empty task, awaited (tokio: in a `LocalSet`); current-thread",
        "local_spawn_many/*/current_thread",
    ),
    (
        "local_yield_many",
        100_000,
        "one `yield_now` of 100 local tasks yielding N/100 times each; current-thread",
        "local_yield_many/*/current_thread",
    ),
    (
        "local_ping_pong",
        10_000,
        "a pair of local tasks handing a message there and back; current-thread",
        "local_ping_pong/*/current_thread",
    ),
    (
        "join_set_ct",
        10_000,
        "an empty task spawned into a `JoinSet` (in a task) and joined; current-thread",
        "join_set/*/current_thread",
    ),
    (
        "join_set_mt",
        10_000,
        "an empty task spawned into a `JoinSet` (in a task) and joined; 2 workers",
        "join_set/*/multi_thread",
    ),
    (
        "gather_ready",
        10_000,
        "one ready future in `gather` of N (tokio: `join_all` of N); current-thread",
        "gather_ready_10k",
    ),
    (
        "gather_spawned",
        10_000,
        "one spawned task collected in order by `gather` (tokio: a `JoinSet`, put back in \
         order); current-thread",
        "gather_spawned_10k",
    ),
    (
        "as_completed",
        10_000,
        "one spawned task taken from `as_completed` (tokio: `FuturesUnordered` of \
         `JoinHandle`s); current-thread",
        "as_completed_spawned_10k",
    ),
    (
        "task_group",
        10_000,
        "one child of a `TaskGroup` (tokio: a `JoinSet`, stopping at the first error); \
         current-thread",
        "task_group_10k",
    ),
    (
        "race_ready",
        100_000,
        "`race(ready, pending)` awaited (tokio: `select!` over the same); current-thread",
        "(no criterion group)",
    ),
    (
        "mpsc_unbounded_1",
        100,
        "unbounded mpsc, 1 producer x 1 000 messages; N rounds; 2 workers",
        "mpsc/unbounded_*/1",
    ),
    (
        "mpsc_unbounded_5",
        100,
        "unbounded mpsc, 5 producers x 200 messages; N rounds; 2 workers",
        "mpsc/unbounded_*/5",
    ),
    (
        "oneshot_round_trip",
        10_000,
        "a oneshot created, its sender moved into a spawned task that sends, the value \
         awaited; current-thread",
        "oneshot_round_trip",
    ),
    (
        "semaphore_6x5",
        20,
        "6 tasks x 1 000 acquire/release of a 5-permit semaphore; N rounds; 2 workers",
        "semaphore_6_tasks_5_permits",
    ),
    (
        "mutex_contended_6",
        20,
        "6 tasks x 1 000 increments under an async mutex; N rounds; 2 workers",
        "mutex_contended_6_tasks",
    ),
    (
        "queue_task_done",
        20,
        "`Queue` (capacity 100), 4 workers, 1 000 items put, `task_done` each, `join` \
         (tokio: mpsc + mutex-shared receiver + counter + `Notify`); N rounds; 2 workers",
        "queue_task_done_join",
    ),
    (
        "notify_ping_pong",
        10_000,
        "a round trip between two tasks through two `Notify`s (`notify_one`, `notified`); \
         current-thread",
        "(no criterion group)",
    ),
    (
        "watch_ping_pong",
        10_000,
        "a round trip between two tasks through two `watch` channels (`send`, `changed`, \
         `borrow_and_update`); current-thread",
        "(no criterion group)",
    ),
    (
        "copy_bidirectional_mem",
        20_000,
        "one 512-byte round trip client -> `copy_bidirectional` proxy -> echo task and back, \
         over in-memory `duplex` pipes (64 KiB); current-thread",
        "copy_bidirectional_proxy_64x1MiB (in memory, not TCP)",
    ),
];

/// The message of `copy_bidirectional_mem`: small, so the count is the proxy's and the
/// pipes' machinery, not `memcpy` (callgrind counts a `rep movsb` copy once per byte, and
/// glibc picks it only for large copies, so large messages would measure the copy's
/// strategy).
const MSG: usize = 512;

/// Spawns `n` tasks that each hand a message to a task they spawn and wait for its reply.
macro_rules! ping_pong {
    ($spawn:path, $n:expr) => {{
        let handles: Vec<_> = (0..$n)
            .map(|_| {
                $spawn(async {
                    let (ping_tx, ping_rx) = futures::channel::oneshot::channel::<()>();
                    let (pong_tx, pong_rx) = futures::channel::oneshot::channel::<()>();
                    drop($spawn(async move {
                        ping_rx.await.unwrap();
                        pong_tx.send(()).unwrap();
                    }));
                    ping_tx.send(()).unwrap();
                    pong_rx.await.unwrap();
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    }};
}

/// 100 tasks yielding `n / 100` times each; awaits them all.
macro_rules! yield_many {
    ($spawn:path, $yield_now:path, $n:expr) => {{
        let per = $n / 100;
        let handles: Vec<_> = (0..100)
            .map(|_| {
                $spawn(async move {
                    for _ in 0..per {
                        $yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    }};
}

/// Spawns `n` empty tasks and awaits each.
macro_rules! spawn_many {
    ($spawn:path, $n:expr) => {{
        let handles: Vec<_> = (0..$n).map(|_| $spawn(async {})).collect();
        for h in handles {
            h.await.unwrap();
        }
    }};
}

/// 6 tasks each doing `$body` 1 000 times.
macro_rules! six_tasks {
    ($spawn:path, $shared:expr, |$s:ident| $body:expr) => {{
        let shared = std::sync::Arc::new($shared);
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let $s = shared.clone();
                $spawn(async move {
                    for _ in 0..1000 {
                        $body;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        shared
    }};
}

/// Two tasks hand a turn back and forth `n` times through two `Notify`s.
macro_rules! notify_ping_pong {
    ($spawn:path, $notify:ty, $n:expr) => {{
        let (a, b) = (
            std::sync::Arc::new(<$notify>::new()),
            std::sync::Arc::new(<$notify>::new()),
        );
        let (peer_a, peer_b) = (a.clone(), b.clone());
        let n = $n;
        let peer = $spawn(async move {
            for _ in 0..n {
                peer_a.notified().await;
                peer_b.notify_one();
            }
        });
        for _ in 0..n {
            a.notify_one();
            b.notified().await;
        }
        peer.await.unwrap();
    }};
}

/// Two tasks echo `n` values through two `watch` channels.
macro_rules! watch_ping_pong {
    ($spawn:path, $watch:path, $n:expr) => {{
        use $watch as watch;
        let (there, mut there_rx) = watch::channel(0usize);
        let (back, mut back_rx) = watch::channel(0usize);
        let n = $n;
        let peer = $spawn(async move {
            for _ in 0..n {
                there_rx.changed().await.unwrap();
                let v = *there_rx.borrow_and_update();
                back.send(v).unwrap();
            }
        });
        for i in 1..=n {
            there.send(i).unwrap();
            back_rx.changed().await.unwrap();
            assert_eq!(*back_rx.borrow_and_update(), i);
        }
        peer.await.unwrap();
    }};
}

fn corio_link(done: futures::channel::oneshot::Sender<()>, n: usize) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        drop(corio::spawn(async move { corio_link(done, n - 1) }));
    }
}

fn tokio_link(done: futures::channel::oneshot::Sender<()>, n: usize) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        drop(tokio::spawn(async move { tokio_link(done, n - 1) }));
    }
}

/// The [`MORE_WORKLOADS`] on corio; false for a name that is not one of them.
fn more_corio(name: &str, n: usize) -> bool {
    let multi = name.ends_with("_mt");
    let base = name.trim_end_matches("_mt").trim_end_matches("_ct");
    match base {
        "spawn_many_local" => corio_rt(multi, false).block_on(async move {
            corio::spawn(async move { spawn_many!(corio::spawn, n) })
                .await
                .unwrap()
        }),
        "spawn_many_remote" => {
            let rt = corio_rt(multi, false);
            let handles: Vec<_> = (0..n).map(|_| rt.spawn(async {})).collect();
            rt.block_on(async move {
                for h in handles {
                    h.await.unwrap();
                }
            });
        }
        "yield_many" => corio_rt(multi, false)
            .block_on(async move { yield_many!(corio::spawn, corio::yield_now, n) }),
        "ping_pong" => corio_rt(multi, false).block_on(async move { ping_pong!(corio::spawn, n) }),
        "chained_spawn" => corio_rt(multi, false).block_on(async move {
            let (tx, rx) = futures::channel::oneshot::channel();
            drop(corio::spawn(async move { corio_link(tx, n) }));
            rx.await.unwrap();
        }),
        "local_spawn_many" => {
            corio_rt(false, false).block_on(async move { spawn_many!(corio::spawn_local, n) })
        }
        "local_yield_many" => corio_rt(false, false)
            .block_on(async move { yield_many!(corio::spawn_local, corio::yield_now, n) }),
        "local_ping_pong" => {
            corio_rt(false, false).block_on(async move { ping_pong!(corio::spawn_local, n) })
        }
        "join_set" => corio_rt(multi, false).block_on(async move {
            corio::spawn(async move {
                let mut set = corio::task::JoinSet::new();
                for _ in 0..n {
                    set.spawn(async {});
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap();
                }
            })
            .await
            .unwrap()
        }),
        "gather_ready" => {
            let out = corio_rt(false, false)
                .block_on(corio::gather((0..n).map(|i| async move { black_box(i) })));
            assert_eq!(out.len(), n);
        }
        "gather_spawned" => corio_rt(false, false).block_on(async move {
            let handles: Vec<_> = (0..n)
                .map(|i| corio::spawn(async move { black_box(i) }))
                .collect();
            assert_eq!(corio::gather(handles).await.len(), n);
        }),
        "as_completed" => corio_rt(false, false).block_on(async move {
            let handles: Vec<_> = (0..n)
                .map(|i| corio::spawn(async move { black_box(i) }))
                .collect();
            let mut stream = corio::as_completed(handles);
            let mut sum = 0usize;
            while let Some(r) = stream.next().await {
                sum += r.unwrap();
            }
            black_box(sum);
        }),
        "task_group" => corio_rt(false, false).block_on(async move {
            let tg = corio::TaskGroup::new();
            for i in 0..n {
                tg.spawn(async move { Ok::<_, std::io::Error>(black_box(i)) });
            }
            assert_eq!(tg.join().await.unwrap().len(), n);
        }),
        "race_ready" => corio_rt(false, false).block_on(async move {
            for i in 0..n {
                let v = corio::race(std::future::ready(i), std::future::pending()).await;
                black_box(v);
            }
        }),
        "mpsc_unbounded_1" | "mpsc_unbounded_5" => {
            let producers = if name.ends_with('1') { 1 } else { 5 };
            let per = 1000 / producers;
            let rt = corio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let (tx, mut rx) = corio::sync::mpsc::unbounded_channel::<usize>();
                    for _ in 0..producers {
                        let tx = tx.clone();
                        let _detached = corio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut got = 0;
                    while rx.recv().await.is_some() {
                        got += 1;
                    }
                    assert_eq!(got, per * producers);
                });
            }
        }
        "oneshot_round_trip" => corio_rt(false, false).block_on(async move {
            for i in 0..n {
                let (tx, rx) = corio::sync::oneshot::channel();
                drop(corio::spawn(async move { tx.send(i).unwrap() }));
                assert_eq!(rx.await.unwrap(), i);
            }
        }),
        "semaphore_6x5" => {
            let rt = corio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    six_tasks!(corio::spawn, corio::sync::Semaphore::new(5), |sem| {
                        let _p = sem.acquire().await.unwrap();
                    });
                });
            }
        }
        "mutex_contended_6" => {
            let rt = corio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let m = six_tasks!(corio::spawn, corio::sync::Mutex::new(0u64), |m| {
                        *m.lock().await += 1
                    });
                    assert_eq!(*m.lock().await, 6000);
                });
            }
        }
        "queue_task_done" => {
            let rt = corio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let q = corio::sync::Queue::<usize>::new(100);
                    for _ in 0..4 {
                        let q = q.clone();
                        let _detached = corio::spawn(async move {
                            while let Ok(item) = q.get().await {
                                black_box(item);
                                q.task_done().unwrap();
                            }
                        });
                    }
                    for i in 0..1000 {
                        q.put(i).await.unwrap();
                    }
                    q.join().await;
                    q.shutdown(false);
                });
            }
        }
        "notify_ping_pong" => corio_rt(false, false)
            .block_on(async move { notify_ping_pong!(corio::spawn, corio::sync::Notify, n) }),
        "watch_ping_pong" => corio_rt(false, false)
            .block_on(async move { watch_ping_pong!(corio::spawn, corio::sync::watch, n) }),
        "copy_bidirectional_mem" => corio_rt(false, false).block_on(async move {
            use corio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut client, mut front) = corio::io::duplex(64 * 1024);
            let (mut back, mut server) = corio::io::duplex(64 * 1024);
            let proxy = corio::spawn(async move {
                corio::io::copy_bidirectional(&mut front, &mut back)
                    .await
                    .unwrap()
            });
            let echo = corio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let k = server.read(&mut buf).await.unwrap();
                    if k == 0 {
                        break;
                    }
                    server.write_all(&buf[..k]).await.unwrap();
                }
                server.close().await.unwrap();
            });
            let chunk = vec![7u8; MSG];
            let mut reply = vec![0u8; MSG];
            for _ in 0..n {
                client.write_all(&chunk).await.unwrap();
                client.read_exact(&mut reply).await.unwrap();
            }
            client.close().await.unwrap();
            assert_eq!(client.read(&mut reply).await.unwrap(), 0);
            let bytes = (MSG * n) as u64;
            assert_eq!(proxy.await.unwrap(), (bytes, bytes));
            echo.await.unwrap();
        }),
        _ => return false,
    }
    true
}

/// Runs `f` in a `LocalSet` on `rt` (tokio's local tasks need one; corio's `block_on`
/// future is a local context itself).
fn tokio_more_local(rt: &tokio::runtime::Runtime, f: impl Future<Output = ()>) {
    tokio::task::LocalSet::new().block_on(rt, f)
}

/// The [`MORE_WORKLOADS`] on tokio; false for a name that is not one of them.
fn more_tokio(name: &str, n: usize) -> bool {
    let multi = name.ends_with("_mt");
    let base = name.trim_end_matches("_mt").trim_end_matches("_ct");
    match base {
        "spawn_many_local" => tokio_rt(multi, false).block_on(async move {
            tokio::spawn(async move { spawn_many!(tokio::spawn, n) })
                .await
                .unwrap()
        }),
        "spawn_many_remote" => {
            let rt = tokio_rt(multi, false);
            let handles: Vec<_> = (0..n).map(|_| rt.spawn(async {})).collect();
            rt.block_on(async move {
                for h in handles {
                    h.await.unwrap();
                }
            });
        }
        "yield_many" => tokio_rt(multi, false)
            .block_on(async move { yield_many!(tokio::spawn, tokio::task::yield_now, n) }),
        "ping_pong" => tokio_rt(multi, false).block_on(async move { ping_pong!(tokio::spawn, n) }),
        "chained_spawn" => tokio_rt(multi, false).block_on(async move {
            let (tx, rx) = futures::channel::oneshot::channel();
            drop(tokio::spawn(async move { tokio_link(tx, n) }));
            rx.await.unwrap();
        }),
        "local_spawn_many" => tokio_more_local(&tokio_rt(false, false), async move {
            spawn_many!(tokio::task::spawn_local, n)
        }),
        "local_yield_many" => tokio_more_local(&tokio_rt(false, false), async move {
            yield_many!(tokio::task::spawn_local, tokio::task::yield_now, n)
        }),
        "local_ping_pong" => tokio_more_local(&tokio_rt(false, false), async move {
            ping_pong!(tokio::task::spawn_local, n)
        }),
        "join_set" => tokio_rt(multi, false).block_on(async move {
            tokio::spawn(async move {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..n {
                    set.spawn(async {});
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap();
                }
            })
            .await
            .unwrap()
        }),
        "gather_ready" => {
            let out = tokio_rt(false, false).block_on(futures::future::join_all(
                (0..n).map(|i| async move { black_box(i) }),
            ));
            assert_eq!(out.len(), n);
        }
        "gather_spawned" => tokio_rt(false, false).block_on(async move {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..n {
                set.spawn(async move { black_box(i) });
            }
            let mut out = vec![0usize; n];
            while let Some(r) = set.join_next().await {
                let i = r.unwrap();
                out[i] = i;
            }
            assert_eq!(out.len(), n);
        }),
        "as_completed" => tokio_rt(false, false).block_on(async move {
            let mut stream: FuturesUnordered<_> = (0..n)
                .map(|i| tokio::spawn(async move { black_box(i) }))
                .collect();
            let mut sum = 0usize;
            while let Some(r) = stream.next().await {
                sum += r.unwrap();
            }
            black_box(sum);
        }),
        "task_group" => tokio_rt(false, false).block_on(async move {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..n {
                set.spawn(async move { Ok::<_, std::io::Error>(black_box(i)) });
            }
            let mut out = Vec::with_capacity(n);
            while let Some(r) = set.join_next().await {
                match r.unwrap() {
                    Ok(v) => out.push(v),
                    Err(e) => {
                        set.abort_all();
                        panic!("{e}");
                    }
                }
            }
            assert_eq!(out.len(), n);
        }),
        "race_ready" => tokio_rt(false, false).block_on(async move {
            for i in 0..n {
                let v = tokio::select! {
                    v = std::future::ready(i) => v,
                    v = std::future::pending::<usize>() => v,
                };
                black_box(v);
            }
        }),
        "mpsc_unbounded_1" | "mpsc_unbounded_5" => {
            let producers = if name.ends_with('1') { 1 } else { 5 };
            let per = 1000 / producers;
            let rt = tokio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
                    for _ in 0..producers {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut got = 0;
                    while rx.recv().await.is_some() {
                        got += 1;
                    }
                    assert_eq!(got, per * producers);
                });
            }
        }
        "oneshot_round_trip" => tokio_rt(false, false).block_on(async move {
            for i in 0..n {
                let (tx, rx) = tokio::sync::oneshot::channel();
                tokio::spawn(async move { tx.send(i).unwrap() });
                assert_eq!(rx.await.unwrap(), i);
            }
        }),
        "semaphore_6x5" => {
            let rt = tokio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    six_tasks!(tokio::spawn, tokio::sync::Semaphore::new(5), |sem| {
                        let _p = sem.acquire().await.unwrap();
                    });
                });
            }
        }
        "mutex_contended_6" => {
            let rt = tokio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let m = six_tasks!(tokio::spawn, tokio::sync::Mutex::new(0u64), |m| {
                        *m.lock().await += 1
                    });
                    assert_eq!(*m.lock().await, 6000);
                });
            }
        }
        "queue_task_done" => {
            use std::sync::atomic::{AtomicUsize, Ordering};
            use std::sync::Arc;
            let rt = tokio_rt(true, false);
            for _ in 0..n {
                rt.block_on(async {
                    let (tx, rx) = tokio::sync::mpsc::channel::<usize>(100);
                    let rx = Arc::new(tokio::sync::Mutex::new(rx));
                    let unfinished = Arc::new(AtomicUsize::new(0));
                    let done = Arc::new(tokio::sync::Notify::new());
                    for _ in 0..4 {
                        let (rx, unfinished, done) = (rx.clone(), unfinished.clone(), done.clone());
                        tokio::spawn(async move {
                            while let Some(item) = rx.lock().await.recv().await {
                                black_box(item);
                                if unfinished.fetch_sub(1, Ordering::AcqRel) == 1 {
                                    done.notify_waiters();
                                }
                            }
                        });
                    }
                    for i in 0..1000 {
                        unfinished.fetch_add(1, Ordering::AcqRel);
                        tx.send(i).await.unwrap();
                    }
                    loop {
                        let notified = done.notified();
                        if unfinished.load(Ordering::Acquire) == 0 {
                            break;
                        }
                        notified.await;
                    }
                    drop(tx);
                });
            }
        }
        "notify_ping_pong" => tokio_rt(false, false)
            .block_on(async move { notify_ping_pong!(tokio::spawn, tokio::sync::Notify, n) }),
        "watch_ping_pong" => tokio_rt(false, false)
            .block_on(async move { watch_ping_pong!(tokio::spawn, tokio::sync::watch, n) }),
        "copy_bidirectional_mem" => tokio_rt(false, false).block_on(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut client, mut front) = tokio::io::duplex(64 * 1024);
            let (mut back, mut server) = tokio::io::duplex(64 * 1024);
            let proxy = tokio::spawn(async move {
                tokio::io::copy_bidirectional(&mut front, &mut back)
                    .await
                    .unwrap()
            });
            let echo = tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let k = server.read(&mut buf).await.unwrap();
                    if k == 0 {
                        break;
                    }
                    server.write_all(&buf[..k]).await.unwrap();
                }
                server.shutdown().await.unwrap();
            });
            let chunk = vec![7u8; MSG];
            let mut reply = vec![0u8; MSG];
            for _ in 0..n {
                client.write_all(&chunk).await.unwrap();
                client.read_exact(&mut reply).await.unwrap();
            }
            client.shutdown().await.unwrap();
            assert_eq!(client.read(&mut reply).await.unwrap(), 0);
            let bytes = (MSG * n) as u64;
            assert_eq!(proxy.await.unwrap(), (bytes, bytes));
            echo.await.unwrap();
        }),
        _ => return false,
    }
    true
}

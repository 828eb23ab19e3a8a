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
        for (name, n, what, group) in WORKLOADS {
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
                .find(|w| w.0 == name)
                .unwrap_or_else(|| panic!("unknown workload {name}"))
                .1
        }
    };
    match side {
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

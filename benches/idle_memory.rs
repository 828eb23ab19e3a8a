//! Memory per idle task: spawns `N` tasks (default 1 000 000) that each wait forever,
//! on corio or on tokio, and prints the resident-set growth per task.
//!
//! Two kinds of idle task: `pending` (awaits `std::future::pending()`, the smallest
//! possible task) and `notify` (awaits a shared `Notify`, registered as a waiter, like
//! a connection task parked on an event). Both runtimes are current-thread; every task
//! is polled once before measuring, so it sits in its wait state.
//!
//! Without arguments it runs every combination, each in its own process (RSS is
//! process-wide); or name one: `<corio|tokio> [pending|notify] [N]`.
//!
//! ```text
//! cargo run -p corio-benches --release --example idle_memory
//! cargo run -p corio-benches --release --example idle_memory -- tokio notify 200000
//! ```
//!
//! RSS comes from `/proc/self/statm` (Linux only). Figures include the allocator's
//! overhead and the `JoinHandle`s kept to abort the tasks at the end (they are
//! collected in a pre-sized `Vec`, allocated before the first measurement).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

const DEFAULT_N: usize = 1_000_000;

/// Resident set size in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm (Linux)");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("statm's second field");
    // Linux's base page is 4 KiB on the platforms this benchmark targets (x86_64,
    // aarch64 with 4K pages); no `sysconf` needed.
    pages * 4096
}

fn report(runtime: &str, kind: &str, n: usize, before: usize, after: usize) {
    let grown = after.saturating_sub(before);
    println!(
        "{runtime:<6} {kind:<8} {n:>9} tasks: RSS +{:>8.1} MiB = {:>6.0} bytes/task",
        grown as f64 / (1024.0 * 1024.0),
        grown as f64 / n as f64
    );
}

/// Counts tasks that reached their wait, so the measurement happens after all did.
fn started() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

macro_rules! spawn_idle {
    ($spawn:path, $yield_now:path, $notify:expr, $kind:expr, $n:expr, $handles:expr) => {{
        let count = started();
        if $kind == "pending" {
            for _ in 0..$n {
                let count = count.clone();
                $handles.push($spawn(async move {
                    count.fetch_add(1, SeqCst);
                    std::future::pending::<()>().await
                }));
            }
        } else {
            for _ in 0..$n {
                let (count, notify) = (count.clone(), $notify.clone());
                $handles.push($spawn(async move {
                    let wait = notify.notified();
                    count.fetch_add(1, SeqCst);
                    wait.await
                }));
            }
        }
        while count.load(SeqCst) < $n {
            $yield_now().await;
        }
    }};
}

fn run_corio(kind: &str, n: usize) {
    let rt = corio::Runtime::builder().current_thread().build().unwrap();
    let notify = Arc::new(corio::sync::Notify::new());
    let mut handles = Vec::with_capacity(n);
    let before = rss();
    rt.block_on(async {
        spawn_idle!(corio::spawn, corio::yield_now, notify, kind, n, handles);
    });
    let after = rss();
    report("corio", kind, n, before, after);
    for h in &handles {
        h.abort();
    }
    drop(handles);
    drop(rt);
}

fn run_tokio(kind: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let notify = Arc::new(tokio::sync::Notify::new());
    let mut handles = Vec::with_capacity(n);
    let before = rss();
    rt.block_on(async {
        spawn_idle!(
            tokio::spawn,
            tokio::task::yield_now,
            notify,
            kind,
            n,
            handles
        );
    });
    let after = rss();
    report("tokio", kind, n, before, after);
    for h in &handles {
        h.abort();
    }
    drop(handles);
    drop(rt);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = |i: usize| -> usize {
        args.get(i)
            .map(|a| a.parse().expect("N: a number of tasks"))
            .unwrap_or(DEFAULT_N)
    };
    match args.first().map(String::as_str) {
        // No runtime named: each combination in its own process (RSS is process-wide
        // and freed memory is not returned to the OS between runs).
        None => {
            let exe = std::env::current_exe().unwrap();
            for runtime in ["corio", "tokio"] {
                for kind in ["pending", "notify"] {
                    let n = DEFAULT_N.to_string();
                    let status = std::process::Command::new(&exe)
                        .args([runtime, kind, &n])
                        .status()
                        .unwrap();
                    assert!(status.success(), "{runtime} {kind}: {status}");
                }
            }
        }
        Some(runtime) => {
            let kind = args.get(1).map(String::as_str).unwrap_or("pending");
            assert!(
                kind == "pending" || kind == "notify",
                "kind: `pending` or `notify`, not {kind:?}"
            );
            match runtime {
                "corio" => run_corio(kind, n(2)),
                "tokio" => run_tokio(kind, n(2)),
                other => panic!("runtime: `corio` or `tokio`, not {other:?}"),
            }
        }
    }
}

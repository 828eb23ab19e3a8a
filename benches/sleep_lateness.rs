//! Real-clock lateness of `sleep(1ms)`: how long after its deadline a 1 ms sleep really
//! completes, corio next to tokio, on the current-thread and multi-thread runtimes.
//!
//! Each runtime runs `N` sequential `sleep(1ms)` inside a spawned task and measures
//! `elapsed - 1 ms` with `std::time::Instant` around every sleep; the program prints the
//! p50, p99 and max lateness in microseconds.
//!
//! Run: `cargo run -p corio-benches --release --example sleep_lateness` (optionally
//! `-- 5000` for another N). The numbers depend on the machine's load: compare the rows
//! of one run, not runs on different machines.

use std::time::{Duration, Instant};

const DEFAULT_N: usize = 2000;
const NAP: Duration = Duration::from_millis(1);

/// Lateness of each sleep in µs (a sleep that returned early would show as 0).
async fn measure<S, F>(n: usize, sleep: S) -> Vec<f64>
where
    S: Fn(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let mut late = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        sleep(NAP).await;
        let elapsed = t0.elapsed();
        late.push(elapsed.saturating_sub(NAP).as_secs_f64() * 1e6);
    }
    late
}

fn report(name: &str, mut late: Vec<f64>) {
    late.sort_by(f64::total_cmp);
    let pick = |q: f64| late[((late.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<28} {:>9.1} {:>9.1} {:>9.1}",
        pick(0.50),
        pick(0.99),
        late[late.len() - 1]
    );
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("N must be a number"))
        .unwrap_or(DEFAULT_N);
    println!("{n} sequential sleep(1ms); lateness = elapsed - 1 ms, in µs");
    println!("{:<28} {:>9} {:>9} {:>9}", "runtime", "p50", "p99", "max");

    let rt = corio::Runtime::builder().current_thread().build().unwrap();
    let late = rt.block_on(async move { corio::spawn(measure(n, corio::sleep)).await.unwrap() });
    report("corio current_thread", late);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let late =
        rt.block_on(async move { tokio::spawn(measure(n, tokio::time::sleep)).await.unwrap() });
    report("tokio current_thread", late);

    let rt = corio::Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let late = rt.block_on(async move { corio::spawn(measure(n, corio::sleep)).await.unwrap() });
    report("corio multi_thread (2)", late);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let late =
        rt.block_on(async move { tokio::spawn(measure(n, tokio::time::sleep)).await.unwrap() });
    report("tokio multi_thread (2)", late);
}

//! Seed: "When to Use Async" — CPU-bound work blocks the event loop.
//!
//! `calculate_primes` never awaits, so while it runs inline no other task on the loop
//! gets a turn (Python's single-threaded loop; here a current-thread runtime). The fix is
//! the seed's advice — run it on a thread: `corio::to_thread` (asyncio's `to_thread`),
//! and the loop stays responsive while the work runs. Run on its own, the example turns
//! on debug mode, whose slow-poll detector names the blocking poll on stderr.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const N: u64 = 200_000;

/// The seed's `calculate_primes`: pure CPU work.
fn calculate_primes(n: u64) -> Vec<u64> {
    let mut primes = Vec::new();
    for num in 2..n {
        let is_prime = (2..).take_while(|i| i * i <= num).all(|i| num % i != 0);
        if is_prime {
            primes.push(num);
        }
    }
    primes
}

/// A task that counts its turns on the loop: it yields after each one.
async fn other_task(turns: Arc<AtomicU64>) {
    loop {
        turns.fetch_add(1, Ordering::Relaxed);
        corio::yield_now().await;
    }
}

/// The example's async main.
pub async fn main_async() {
    let turns = Arc::new(AtomicU64::new(0));
    let other = corio::spawn(other_task(turns.clone()));
    corio::yield_now().await; // let it start

    // Don't: CPU-bound work inside an async fn blocks the loop.
    let before = turns.load(Ordering::Relaxed);
    let primes = calculate_primes(N);
    let during = turns.load(Ordering::Relaxed) - before;
    println!("Blocking: found {} primes below {N}", primes.len());
    println!("Other task ran during the computation: {}", during > 0);

    // Do: hand it to a thread; the loop keeps running other tasks meanwhile.
    let before = turns.load(Ordering::Relaxed);
    let primes = corio::to_thread(|| calculate_primes(N))
        .await
        .expect("calculate_primes does not panic");
    let during = turns.load(Ordering::Relaxed) - before;
    println!("to_thread: found {} primes below {N}", primes.len());
    println!("Other task ran during the computation: {}", during > 0);

    other.abort();
}

fn main() {
    // A single-threaded loop, like asyncio's: the blocking is visible. Debug mode
    // (asyncio's `debug=True`, or `CORIO_DEBUG=1`) also reports it: the inline
    // `calculate_primes` makes one poll of the main future take far longer than the
    // threshold, and a warning naming it and its duration goes to stderr.
    let rt = corio::Runtime::builder()
        .current_thread()
        .debug(true)
        .slow_poll_threshold(std::time::Duration::from_millis(10))
        .build()
        .expect("the runtime starts");
    rt.block_on(main_async());
}

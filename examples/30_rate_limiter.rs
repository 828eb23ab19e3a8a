//! Seed: "Practical Examples" — rate-limited API calls.
//!
//! The seed writes its own token bucket; corio ships one: `corio::sync::RateLimiter`
//! (FIFO-fair, only the head waiter sleeps, exact on the runtime's clock). 2 calls per
//! second with a burst of 1: the ten calls start exactly 0.5 s apart.
use corio::sync::RateLimiter;
use std::sync::Arc;
use std::time::Duration;

async fn make_api_call(
    limiter: Arc<RateLimiter>,
    start: corio::time::Instant,
    call_id: u32,
) -> String {
    limiter.acquire().await;
    println!(
        "Making API call {call_id} (at {:.2}s)",
        start.elapsed().as_secs_f64()
    );
    corio::sleep(Duration::from_millis(500)).await; // Simulate API call
    format!("Result {call_id}")
}

/// The example's async main.
pub async fn main_async() {
    // Allow 2 requests per second
    let limiter = Arc::new(
        RateLimiter::with_burst(2, Duration::from_secs(1), 1)
            .expect("rate, period and burst are non-zero"),
    );
    let start = corio::time::Instant::now();

    // Make 10 API calls
    let results = corio::gather((0..10).map(|i| make_api_call(limiter.clone(), start, i))).await;

    println!("Completed {} calls", results.len());
}

fn main() {
    corio::run(main_async());
}

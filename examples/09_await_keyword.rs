//! Seed: "async and await Keywords" — `await`: sequential (2 s) versus concurrent (1 s).
use std::time::Duration;

async fn step1() -> &'static str {
    println!("Step 1: Starting");
    corio::sleep(Duration::from_secs(1)).await;
    println!("Step 1: Done");
    "Result 1"
}

async fn step2() -> &'static str {
    println!("Step 2: Starting");
    corio::sleep(Duration::from_secs(1)).await;
    println!("Step 2: Done");
    "Result 2"
}

/// The example's async main.
pub async fn main_async() {
    // Sequential execution (2 seconds total)
    let result1 = step1().await;
    let result2 = step2().await;
    println!("Sequential: {result1}, {result2}");

    // Concurrent execution (1 second total)
    let (result1, result2) = corio::gather!(step1(), step2()).await;
    println!("Concurrent: {result1}, {result2}");
}

fn main() {
    corio::run(main_async());
}

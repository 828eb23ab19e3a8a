//! Seed: "The Event Loop" — the loop runs two tasks concurrently.
use std::time::Duration;

async fn task1() -> &'static str {
    println!("Task 1 started");
    corio::sleep(Duration::from_secs(2)).await;
    println!("Task 1 completed");
    "Result 1"
}

async fn task2() -> &'static str {
    println!("Task 2 started");
    corio::sleep(Duration::from_secs(1)).await;
    println!("Task 2 completed");
    "Result 2"
}

/// The example's async main.
pub async fn main_async() {
    println!("Starting event loop");
    // The event loop manages both tasks concurrently
    let (r1, r2) = corio::gather!(task1(), task2()).await;
    println!("Results: {:?}", [r1, r2]);
}

fn main() {
    corio::run(main_async());
}

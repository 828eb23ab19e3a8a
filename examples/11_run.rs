//! Seed: "Running Async Code" — `asyncio.run()` is `corio::run()`.
use std::time::Duration;

/// The example's async main.
pub async fn main_async() {
    println!("Hello");
    corio::sleep(Duration::from_secs(1)).await;
    println!("World");
}

fn main() {
    // Run the main future: builds a runtime, runs it to completion, shuts down.
    corio::run(main_async());
}

//! Seed: "Error Handling" — timeout handling: `asyncio.wait_for` is `corio::timeout`.
//!
//! When the time is up the inner future is dropped (cancelled) and `Err(Elapsed)` comes
//! back (asyncio's `TimeoutError`).
use std::time::Duration;

async fn slow_operation() -> &'static str {
    corio::sleep(Duration::from_secs(5)).await;
    "Done"
}

/// The example's async main.
pub async fn main_async() {
    // Wait maximum 2 seconds
    match corio::timeout(Duration::from_secs(2), slow_operation()).await {
        Ok(result) => println!("{result}"),
        Err(corio::time::Elapsed { .. }) => println!("Operation timed out!"),
    }
}

fn main() {
    corio::run(main_async());
}

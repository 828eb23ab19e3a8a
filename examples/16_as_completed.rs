//! Seed: "Concurrent Execution" — `asyncio.as_completed()`: results in completion order.
use corio::prelude::*;
use std::time::Duration;

async fn fetch_data(id: u32, delay: u64) -> String {
    corio::sleep(Duration::from_secs(delay)).await;
    format!("Data {id} (took {delay}s)")
}

/// The example's async main.
pub async fn main_async() {
    let tasks = vec![fetch_data(1, 3), fetch_data(2, 1), fetch_data(3, 2)];

    // Process results in order of completion
    let mut completed = corio::as_completed(tasks);
    while let Some(result) = completed.next().await {
        println!("Completed: {result}");
    }
}

fn main() {
    corio::run(main_async());
}

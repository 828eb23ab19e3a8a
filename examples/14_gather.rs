//! Seed: "Concurrent Execution" — `asyncio.gather()`: results in input order, ~3 s not 6 s.
use std::time::Duration;

async fn fetch_data(id: u32, delay: u64) -> String {
    println!("Fetching data {id}");
    corio::sleep(Duration::from_secs(delay)).await;
    format!("Data {id}")
}

/// The example's async main.
pub async fn main_async() {
    let start = corio::time::Instant::now();

    // All run concurrently
    let results = corio::gather(vec![fetch_data(1, 2), fetch_data(2, 1), fetch_data(3, 3)]).await;

    println!("Results: {results:?}");
    println!("Time taken: {:.2}s", start.elapsed().as_secs_f64()); // ~3s (not 6s)
}

fn main() {
    corio::run(main_async());
}

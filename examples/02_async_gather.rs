//! Seed: "Synchronous vs Asynchronous" — asynchronous code (non-blocking).
//!
//! `corio::sleep` suspends only this download; `corio::gather` runs all three at once,
//! so the program takes 2 s instead of 6 s.
use std::time::Duration;

async fn download_file(filename: &str) -> String {
    println!("Starting download: {filename}");
    corio::sleep(Duration::from_secs(2)).await; // non-blocking sleep
    println!("Completed download: {filename}");
    format!("Data from {filename}")
}

/// The example's async main (the tour awaits it directly).
pub async fn main_async() -> Vec<String> {
    let start = corio::time::Instant::now();
    // Concurrent execution - takes ~2 seconds total
    let results = corio::gather(vec![
        download_file("file1.txt"),
        download_file("file2.txt"),
        download_file("file3.txt"),
    ])
    .await;
    println!("Total time: {:.2} seconds", start.elapsed().as_secs_f64());
    results
}

fn main() {
    corio::run(main_async());
}

//! Seed: "Synchronous vs Asynchronous" — synchronous code (blocking).
//!
//! Three downloads run one after the other; each blocks the thread for 2 s, so the whole
//! program takes 6 s. (`blocking_sleep` is `std::thread::sleep`; on the tour's virtual
//! clock it moves virtual time instead.)
use corio_examples::blocking_sleep;
use std::time::Duration;

fn download_file(filename: &str) -> String {
    println!("Starting download: {filename}");
    blocking_sleep(Duration::from_secs(2)); // simulates I/O: blocks the whole thread
    println!("Completed download: {filename}");
    format!("Data from {filename}")
}

/// The example's body (the tour calls it directly).
pub fn main_sync() {
    // Sequential execution - takes 6 seconds total
    let start = corio_examples::now();
    let _result1 = download_file("file1.txt");
    let _result2 = download_file("file2.txt");
    let _result3 = download_file("file3.txt");
    println!(
        "Total time: {:.2} seconds",
        corio_examples::secs_since(start)
    );
}

fn main() {
    main_sync();
}

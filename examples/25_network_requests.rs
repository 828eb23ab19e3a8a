//! Seed: "When to Use Async" — network requests (aiohttp).
//!
//! Three HTTP/1.1 GETs over corio's `TcpStream` (`corio_examples::http::get`, in
//! `examples/support/http.rs`), concurrently, against a local server
//! this example starts (each page takes 1 s to answer: all three arrive after ~1 s).
use corio_examples::println;
use std::io;
use std::time::Duration;

/// The example's async main.
pub async fn main_async() -> io::Result<()> {
    let addr = corio_examples::http::serve(Duration::from_secs(1)).await?;
    let urls = [
        format!("http://{addr}/example.com"),
        format!("http://{addr}/example.org"),
        format!("http://{addr}/example.net"),
    ];

    let start = corio::time::Instant::now();
    let results = corio::try_gather(urls.iter().map(|url| corio_examples::http::get(url))).await?;
    println!("Fetched {} pages", results.len());
    println!("Time taken: {:.2}s", start.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> io::Result<()> {
    corio::run(main_async())
}

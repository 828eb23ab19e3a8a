//! Seed: "Practical Examples" — web scraping, for real.
//!
//! A small HTTP/1.1 server on 127.0.0.1 (started here) answers each page after 2 s;
//! five sessions fetch five pages concurrently over real TCP, so the run takes about
//! 2 s, not 10 s.
use corio_examples::println;
use std::io;
use std::time::Duration;

async fn fetch_page(url: &str, session_id: usize) -> io::Result<String> {
    println!("Session {session_id}: Fetching {url}");
    let body = corio_examples::http::get(url).await?;
    println!("Session {session_id}: Completed {url}");
    Ok(format!("Content from {url}: {} bytes", body.len()))
}

/// The example's async main.
pub async fn main_async() -> io::Result<()> {
    let addr = corio_examples::http::serve(Duration::from_secs(2)).await?;
    let urls: Vec<String> = (1..=5).map(|i| format!("http://{addr}/page{i}")).collect();

    let start = corio::time::Instant::now();

    // Fetch all pages concurrently
    let results = corio::try_gather(
        urls.iter()
            .enumerate()
            .map(|(i, url)| fetch_page(url, i + 1)),
    )
    .await?;

    println!(
        "\nFetched {} pages in {:.2} seconds",
        results.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> io::Result<()> {
    corio::run(main_async())
}

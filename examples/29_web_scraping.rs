//! Seed: "Practical Examples" — web scraping, for real.
//!
//! A small HTTP/1.1 server on 127.0.0.1 (started here) answers each page after 2 s;
//! five sessions fetch five pages concurrently over real TCP, so the run takes about
//! 2 s, not 10 s.
use corio::net::TcpStream;
use corio_examples::println;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::io;
use std::time::Duration;

/// A minimal HTTP/1.1 GET on a fresh connection; returns the body.
async fn http_get(url: &str) -> io::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "only http:// URLs"))?;
    let (host, path) = match rest.split_once('/') {
        Some((host, path)) => (host, format!("/{path}")),
        None => (rest, "/".to_owned()),
    };
    let mut stream = TcpStream::connect(host).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_owned()),
        _ => Err(io::Error::other(format!(
            "unexpected response: {response:?}"
        ))),
    }
}

async fn fetch_page(url: &str, session_id: usize) -> io::Result<String> {
    println!("Session {session_id}: Fetching {url}");
    let body = http_get(url).await?;
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

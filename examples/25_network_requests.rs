//! Seed: "When to Use Async" — network requests (aiohttp).
//!
//! Three HTTP/1.1 GETs over corio's `TcpStream`, concurrently, against a local server
//! this example starts (each page takes 1 s to answer: all three arrive after ~1 s).
use corio::net::TcpStream;
use corio_examples::println;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::io;
use std::time::Duration;

/// GET `url` (`http://host:port/path`) and return the body.
async fn fetch_url(url: &str) -> io::Result<String> {
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

/// The example's async main.
pub async fn main_async() -> io::Result<()> {
    let addr = corio_examples::http::serve(Duration::from_secs(1)).await?;
    let urls = [
        format!("http://{addr}/example.com"),
        format!("http://{addr}/example.org"),
        format!("http://{addr}/example.net"),
    ];

    let start = corio::time::Instant::now();
    let results = corio::try_gather(urls.iter().map(|url| fetch_url(url))).await?;
    println!("Fetched {} pages", results.len());
    println!("Time taken: {:.2}s", start.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> io::Result<()> {
    corio::run(main_async())
}

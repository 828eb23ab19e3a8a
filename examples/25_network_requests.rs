//! Seed: "When to Use Async" — network requests (aiohttp).
//!
//! The guide's `fetch_url` with a `ClientSession`, in corio: three HTTPS GETs with
//! `corio_http::ClientSession`, concurrently. Without arguments it starts a local HTTPS
//! server (corio's own, on a certificate generated at start-up; each page takes 1 s to
//! answer: all three arrive after ~1 s). With URLs as arguments it fetches those:
//!
//! ```text
//! cargo run --example 25_network_requests
//! cargo run --example 25_network_requests -- https://example.com https://example.org
//! ```
use corio_http::ClientSession;
use std::io;
use std::time::Duration;

async fn fetch_url(session: &ClientSession, url: &str) -> Result<String, corio_http::Error> {
    let response = session.get(url).await?;
    response.text().await
}

async fn fetch_all(session: &ClientSession, urls: &[String]) -> io::Result<()> {
    let start = corio::time::Instant::now();
    let pages = corio::try_gather(urls.iter().map(|url| fetch_url(session, url))).await?;
    println!("Fetched {} pages", pages.len());
    println!("Time taken: {:.2}s", start.elapsed().as_secs_f64());
    Ok(())
}

/// The example's async main: against the local server.
pub async fn main_async() -> io::Result<()> {
    // On a paused clock (`tour --virtual`), hold it while real TLS traffic crosses the
    // kernel's loopback: under load its readiness can arrive after the runtime looks idle,
    // and an unheld clock would jump to the client's timeout. Held, virtual time flows at
    // real speed; on a real clock the hold changes nothing.
    let _hold = corio::time::hold();
    let server = corio_examples::http::serve(Duration::from_secs(1)).await?;
    let urls = [
        server.url("/example.com"),
        server.url("/example.org"),
        server.url("/example.net"),
    ];
    fetch_all(&server.session(), &urls).await
}

/// `main` with the command line's URLs: fetches those, or the local server's pages when
/// there are none.
pub fn main_with_args(urls: Vec<String>) -> io::Result<()> {
    if urls.is_empty() {
        corio::run(main_async())
    } else {
        corio::run(async { fetch_all(&ClientSession::new(), &urls).await })
    }
}

fn main() -> io::Result<()> {
    main_with_args(std::env::args().skip(1).collect())
}

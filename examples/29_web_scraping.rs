//! Seed: "Practical Examples" — web scraping, for real.
//!
//! 100 pages fetched concurrently with `corio_http::ClientSession`, at most 10 at a time
//! (a `Semaphore`, like the guide's `asyncio.Semaphore`). Without arguments it starts a
//! local HTTPS server (corio's own, on a generated certificate) whose pages each take
//! 0.2 s: ten rounds of ten, about 2 s in all, and the server confirms it never had more
//! than 10 requests at once. With URLs as arguments it scrapes those instead:
//!
//! ```text
//! cargo run --example web_scraping
//! cargo run --example web_scraping -- https://example.com https://example.org
//! ```
use corio::sync::Semaphore;
use corio_http::ClientSession;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Pages fetched at the same time at most.
const LIMIT: usize = 10;

async fn fetch_page(
    session: &ClientSession,
    limit: &Semaphore,
    done: &AtomicUsize,
    total: usize,
    url: &str,
) -> Result<usize, corio_http::Error> {
    let _permit = limit
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let body = session.get(url).await?.error_for_status()?.text().await?;
    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
    // Progress at every tenth of the pages.
    if n * 10 / total != (n - 1) * 10 / total {
        println!("Fetched {n}/{total} pages");
    }
    Ok(body.len())
}

/// Scrapes `urls`, `LIMIT` at a time; returns the total size of the pages.
pub async fn scrape(session: &ClientSession, urls: &[String]) -> io::Result<usize> {
    let limit = Semaphore::new(LIMIT);
    let done = AtomicUsize::new(0);
    let start = corio::time::Instant::now();
    let sizes = corio::try_gather(
        urls.iter()
            .map(|url| fetch_page(session, &limit, &done, urls.len(), url)),
    )
    .await?;
    let bytes: usize = sizes.iter().sum();
    println!(
        "\nFetched {} pages ({bytes} bytes) in {:.2} seconds, at most {LIMIT} at a time",
        sizes.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(bytes)
}

/// The example's async main: 100 pages from the local server.
pub async fn main_async() -> io::Result<()> {
    // On a paused clock (`tour --virtual`), hold it while real TLS traffic crosses the
    // kernel's loopback: under load its readiness can arrive after the runtime looks idle,
    // and an unheld clock would jump to the client's timeout. Held, virtual time flows at
    // real speed; on a real clock the hold changes nothing.
    let _hold = corio::time::hold();
    let server = corio_examples::http::serve(Duration::from_millis(200)).await?;
    let urls: Vec<String> = (1..=100)
        .map(|i| server.url(&format!("/page{i}")))
        .collect();
    scrape(&server.session(), &urls).await?;
    println!(
        "The server answered {} requests, at most {} at once",
        server.served(),
        server.max_concurrent()
    );
    Ok(())
}

/// `main` with the command line's URLs: scrapes those, or the local server's 100 pages
/// when there are none.
pub fn main_with_args(urls: Vec<String>) -> io::Result<()> {
    if urls.is_empty() {
        corio::run(main_async())
    } else {
        corio::run(async { scrape(&ClientSession::new(), &urls).await.map(drop) })
    }
}

fn main() -> io::Result<()> {
    main_with_args(std::env::args().skip(1).collect())
}

//! `cargo run --example web_scraping`: the seed's web-scraping example, 100 pages over
//! HTTPS under a semaphore (the Reactor issue's name for it; the code is
//! `29_web_scraping.rs`). URLs given as arguments are scraped instead of the local
//! server's pages.

#[allow(dead_code, unreachable_pub)]
#[path = "29_web_scraping.rs"]
mod scraping;

fn main() -> std::io::Result<()> {
    let urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        corio::run(scraping::main_async())
    } else {
        corio::run(async {
            scraping::scrape(&corio_http::ClientSession::new(), &urls)
                .await
                .map(drop)
        })
    }
}

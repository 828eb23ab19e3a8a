//! `cargo run --example web_scraping`: the seed's web-scraping example, 100 pages over
//! HTTPS under a semaphore (the Reactor issue's name for it; the code is
//! `29_web_scraping.rs`). URLs given as arguments are scraped instead of the local
//! server's pages.

#[allow(dead_code, unreachable_pub)]
#[path = "29_web_scraping.rs"]
mod scraping;

fn main() -> std::io::Result<()> {
    scraping::main_with_args(std::env::args().skip(1).collect())
}

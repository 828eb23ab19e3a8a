//! `cargo run --example web_scraping`: the seed's web-scraping example over real TCP
//! (the Reactor issue's name for it; the code is `29_web_scraping.rs`).

#[allow(dead_code, unreachable_pub)]
#[path = "29_web_scraping.rs"]
mod scraping;

fn main() -> std::io::Result<()> {
    corio::run(scraping::main_async())
}

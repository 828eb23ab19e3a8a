//! `cargo run --example web_scraping`: the seed's web-scraping example over real TCP
//! (the Reactor issue's name for it; the code is `29_web_scraping.rs`).
include!("29_web_scraping.rs");

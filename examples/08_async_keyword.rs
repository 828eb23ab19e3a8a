//! Seed: "async and await Keywords" — the `async` keyword: async functions and methods.
//!
//! Python has no async lambda (`async lambda x: x` is a SyntaxError). Rust has async
//! closures (`async |x| x`, Rust 1.85) and async blocks, shown last.

// Async function
async fn fetch_data() -> &'static str {
    "data"
}

// Async method
struct DataFetcher;

impl DataFetcher {
    async fn fetch(&self) -> &'static str {
        "data"
    }
}

/// The example's async main.
pub async fn main_async() {
    println!("{}", fetch_data().await);
    println!("{}", DataFetcher.fetch().await);
    // Async closure: allowed in Rust.
    let async_lambda = async |x: i32| x;
    println!("{}", async_lambda(42).await);
}

fn main() {
    corio::run(main_async());
}

//! Seed: "async and await Keywords" — common mistake: forgetting `await`.
//!
//! In Python the un-awaited call returns a coroutine object and the body never runs. In
//! Rust it is the same (futures are lazy) but the compiler catches it: the future is
//! `#[must_use]`, so `let _ = fetch_data();` or a bare `fetch_data();` gives
//! `warning: unused implementer of Future that must be used`, and using the future
//! where a `&str` is expected is a type error (`expected &str, found future`).
use std::time::Duration;

async fn fetch_data() -> &'static str {
    corio::sleep(Duration::from_secs(1)).await;
    "data"
}

/// The example's async main.
pub async fn main_async() {
    // Wrong: returns a future, doesn't execute
    let result = fetch_data();
    println!("{}", std::any::type_name_of_val(&result)); // the future's type, not "data"
    drop(result);

    // Correct: actually executes the coroutine
    let result = fetch_data().await;
    println!("{result}"); // data
}

fn main() {
    corio::run(main_async());
}

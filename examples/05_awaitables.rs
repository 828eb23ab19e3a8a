//! Seed: "Coroutines" — awaitable objects: futures (coroutines) and tasks.
//!
//! In Rust anything implementing `Future` can be awaited: an `async fn`'s future, and the
//! `JoinHandle` that `corio::spawn` (asyncio's `create_task`) returns.
use std::time::Duration;

async fn my_coroutine() -> &'static str {
    corio::sleep(Duration::from_secs(1)).await;
    "Result"
}

/// The example's async main.
pub async fn main_async() {
    // Can await coroutines (futures)
    let result = my_coroutine().await;
    println!("{result}");

    // Can await tasks: a JoinHandle resolves to Result<T, JoinError>
    let task = corio::spawn(my_coroutine());
    let result = task
        .await
        .expect("the task neither panicked nor was cancelled");
    println!("{result}");
}

fn main() {
    corio::run(main_async());
}

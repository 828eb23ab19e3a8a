//! Seed: "Running Async Code" — `asyncio.create_task()` is `corio::spawn()`.
use std::time::Duration;

async fn say_after(delay: u64, message: &str) {
    corio::sleep(Duration::from_secs(delay)).await;
    println!("{message}");
}

/// The example's async main.
pub async fn main_async() {
    // Create tasks (start running immediately)
    let task1 = corio::spawn(say_after(1, "Hello"));
    let task2 = corio::spawn(say_after(2, "World"));

    println!("Tasks created");

    // Wait for both tasks to complete
    task1.await.unwrap();
    task2.await.unwrap();

    println!("All done");
}

fn main() {
    corio::run(main_async());
}

//! Seed: "Running Async Code" — getting task results from the `JoinHandle`.
use std::time::Duration;

async fn calculate(x: i32, y: i32) -> i32 {
    corio::sleep(Duration::from_secs(1)).await;
    x + y
}

/// The example's async main.
pub async fn main_async() {
    let task1 = corio::spawn(calculate(5, 3));
    let task2 = corio::spawn(calculate(10, 20));

    // Wait and get results
    let result1 = task1.await.unwrap();
    let result2 = task2.await.unwrap();

    println!("Results: {result1}, {result2}");
}

fn main() {
    corio::run(main_async());
}

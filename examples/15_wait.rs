//! Seed: "Concurrent Execution" — `asyncio.wait()`: more control over waiting for tasks.
//!
//! `corio::wait` returns `(done, pending)`; `done` holds each finished task's result (in
//! completion order — asyncio's `done` is an unordered set). Nothing is cancelled.
use corio::ReturnWhen;
use std::time::Duration;

async fn task(name: &str, duration: u64) -> String {
    corio::sleep(Duration::from_secs(duration)).await;
    format!("{name} completed")
}

/// The example's async main.
pub async fn main_async() {
    let tasks = vec![
        corio::spawn(task("Task-1", 2)),
        corio::spawn(task("Task-2", 1)),
        corio::spawn(task("Task-3", 3)),
    ];

    // Wait for all tasks to complete
    let (done, pending) = corio::wait(tasks, ReturnWhen::AllCompleted, None).await;
    assert!(pending.is_empty());

    for result in done {
        println!("{}", result.unwrap());
    }
}

fn main() {
    corio::run(main_async());
}

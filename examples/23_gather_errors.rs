//! Seed: "Error Handling" — errors in `gather()`.
//!
//! `corio::try_gather!` is asyncio's default `gather`: the first error is returned. (Unlike
//! asyncio, the other futures are dropped — cancelled — at once.) `corio::gather_settled`
//! is `return_exceptions=True`: every outcome comes back as a `Result`.
use corio::prelude::*;
use std::time::Duration;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn task_that_fails() -> Result<&'static str, Error> {
    corio::sleep(Duration::from_secs(1)).await;
    Err("Task failed!".into())
}

async fn task_that_succeeds() -> Result<&'static str, Error> {
    corio::sleep(Duration::from_secs(1)).await;
    Ok("Success")
}

/// The example's async main.
pub async fn main_async() {
    // By default (try_gather), the first error is returned
    let results = corio::try_gather!(
        task_that_succeeds(),
        task_that_fails(),
        task_that_succeeds()
    )
    .await;
    if let Err(e) = results {
        println!("Error: {e}");
    }

    // gather_settled collects every outcome, errors included
    let results = corio::gather_settled(vec![
        task_that_succeeds().boxed(),
        task_that_fails().boxed(),
        task_that_succeeds().boxed(),
    ])
    .await;

    for (i, result) in results.iter().enumerate() {
        match result {
            Err(e) => println!("Task {i} failed: {e}"),
            Ok(value) => println!("Task {i} succeeded: {value}"),
        }
    }
}

fn main() {
    corio::run(main_async());
}

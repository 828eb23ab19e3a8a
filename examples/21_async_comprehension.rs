//! Seed: "Async Iterators and Generators" — async comprehensions.
//!
//! `[await async_square(x) async for x in async_range(5)]` is
//! `async_range(5).then(async_square).collect::<Vec<_>>().await`; the generator
//! expression is the same stream consumed one item at a time.
use corio::prelude::*;
use std::time::Duration;

async fn async_square(x: u64) -> u64 {
    corio::sleep(Duration::from_millis(100)).await;
    x * x
}

fn async_range(n: u64) -> impl Stream<Item = u64> {
    corio::stream(move |mut y| async move {
        for i in 0..n {
            corio::sleep(Duration::from_millis(100)).await;
            y.yield_(i).await;
        }
    })
}

/// The example's async main.
pub async fn main_async() {
    // Async list comprehension
    let squares: Vec<u64> = async_range(5).then(async_square).collect().await;
    println!("{squares:?}"); // [0, 1, 4, 9, 16]

    // Async generator expression
    let mut gen = std::pin::pin!(async_range(5).then(async_square));
    while let Some(value) = gen.next().await {
        println!("{value}");
    }
}

fn main() {
    corio::run(main_async());
}

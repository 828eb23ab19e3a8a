//! Seed: "Async Iterators and Generators" — an async generator (`async def` + `yield`).
//!
//! `corio::stream(|mut y| async move { ... y.yield_(v).await ... })` builds a `Stream`
//! from an async block; it runs only when the consumer asks for the next value.
use corio::prelude::*;
use std::time::Duration;

fn async_range(start: u32, end: u32) -> impl Stream<Item = u32> {
    corio::stream(move |mut y| async move {
        for i in start..end {
            corio::sleep(Duration::from_millis(500)).await;
            y.yield_(i).await;
        }
    })
}

/// The example's async main.
pub async fn main_async() {
    let mut numbers = std::pin::pin!(async_range(1, 5));
    while let Some(num) = numbers.next().await {
        println!("{num}");
    }
}

fn main() {
    corio::run(main_async());
}

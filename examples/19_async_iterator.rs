//! Seed: "Async Iterators and Generators" — an async iterator class.
//!
//! Python's `__aiter__`/`__anext__` is the `futures::Stream` trait: `poll_next` returns
//! `Ready(Some(item))`, `Ready(None)` (StopAsyncIteration) or `Pending`.
use corio::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

struct AsyncCounter {
    current: u32,
    end: u32,
    delay: Option<corio::time::Sleep>,
}

impl AsyncCounter {
    fn new(start: u32, end: u32) -> Self {
        AsyncCounter {
            current: start,
            end,
            delay: None,
        }
    }
}

impl Stream for AsyncCounter {
    type Item = u32;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.current >= self.end {
            return Poll::Ready(None); // raise StopAsyncIteration
        }
        // await asyncio.sleep(0.5)  # Simulate async operation
        let delay = self
            .delay
            .get_or_insert_with(|| corio::sleep(Duration::from_millis(500)));
        match Pin::new(delay).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.delay = None;
                let value = self.current;
                self.current += 1;
                Poll::Ready(Some(value))
            }
        }
    }
}

/// The example's async main.
pub async fn main_async() {
    let mut counter = AsyncCounter::new(1, 5);
    while let Some(num) = counter.next().await {
        println!("{num}");
    }
}

fn main() {
    corio::run(main_async());
}

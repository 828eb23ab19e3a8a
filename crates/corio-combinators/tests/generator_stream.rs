//! `stream(|y| ...)`: async generators with back-pressure and early drop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio_combinators::prelude::*;
use corio_combinators::stream;
use corio_test_util::{sleep, Counters, TestRuntime};

#[test]
fn yields_in_order_and_ends() {
    let out: Vec<u32> = futures::executor::block_on(
        stream(|mut y| async move {
            for i in 0..5 {
                y.yield_(i).await;
            }
        })
        .collect(),
    );
    assert_eq!(out, [0, 1, 2, 3, 4]);
}

#[test]
fn the_generator_runs_only_when_the_consumer_asks() {
    let produced = Arc::new(AtomicUsize::new(0));
    let p = produced.clone();
    let mut s = stream(move |mut y| async move {
        for i in 0.. {
            p.fetch_add(1, Ordering::SeqCst);
            y.yield_(i).await;
        }
    });
    assert_eq!(
        produced.load(Ordering::SeqCst),
        0,
        "nothing runs before the first poll"
    );
    futures::executor::block_on(async {
        assert_eq!(s.next().await, Some(0));
        assert_eq!(produced.load(Ordering::SeqCst), 1);
        assert_eq!(s.next().await, Some(1));
        assert_eq!(s.next().await, Some(2));
        assert_eq!(produced.load(Ordering::SeqCst), 3, "one value per request");
    });
}

#[test]
fn dropping_the_stream_stops_the_generator() {
    let c = Counters::new();
    let after_drop = Arc::new(AtomicUsize::new(0));
    let a = after_drop.clone();
    let body = c.wrap(async {});
    let s = stream(move |mut y| async move {
        let _guard = body; // dropped with the generator
        for i in 0..100 {
            y.yield_(i).await;
            a.fetch_add(1, Ordering::SeqCst);
        }
    });
    let firsts: Vec<i32> = futures::executor::block_on(s.take(3).collect());
    assert_eq!(firsts, [0, 1, 2]);
    assert_eq!(c.drops(), 1, "the body was dropped with the stream");
    assert_eq!(
        after_drop.load(Ordering::SeqCst),
        2,
        "the body stopped at the third yield"
    );
}

#[test]
fn generator_awaiting_timers_in_virtual_time() {
    let rt = TestRuntime::new();
    let out: Vec<u64> = rt.block_on(
        stream(|mut y| async move {
            for i in 1..=3u64 {
                sleep(Duration::from_secs(i)).await;
                y.yield_(i).await;
            }
        })
        .collect(),
    );
    assert_eq!(out, [1, 2, 3]);
    assert_eq!(rt.elapsed(), Duration::from_secs(6));
}

#[test]
fn async_comprehension() {
    // [await double(x) async for x in numbers() if x % 2 == 1]
    async fn double(x: u32) -> u32 {
        x * 2
    }
    let out: Vec<u32> = futures::executor::block_on(
        stream(|mut y| async move {
            for i in 0..6 {
                y.yield_(i).await;
            }
        })
        .filter(|x| std::future::ready(x % 2 == 1))
        .then(double)
        .collect(),
    );
    assert_eq!(out, [2, 6, 10]);
}

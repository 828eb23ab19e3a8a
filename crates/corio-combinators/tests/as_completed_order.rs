//! `as_completed`: outputs in completion order; the timeout variant.

use std::time::Duration;

use corio_combinators::{as_completed, as_completed_with_timeout};
use corio_core::Elapsed;
use corio_test_util::{sleep, TestRuntime};
use futures::StreamExt;

async fn after(secs: u64) -> u64 {
    sleep(Duration::from_secs(secs)).await;
    secs
}

#[test]
fn yields_in_completion_order() {
    let rt = TestRuntime::new();
    let (order, times) = rt.block_on(async {
        let t0 = corio_core::context::now();
        let mut s = as_completed([4, 1, 3, 2].map(after));
        assert_eq!(s.len(), 4);
        let mut order = Vec::new();
        let mut times = Vec::new();
        while let Some(v) = s.next().await {
            order.push(v);
            times.push((corio_core::context::now() - t0).as_secs());
        }
        assert!(s.is_empty());
        (order, times)
    });
    assert_eq!(order, [1, 2, 3, 4]);
    assert_eq!(
        times,
        [1, 2, 3, 4],
        "each output arrives as soon as it is ready"
    );
}

#[test]
fn timeout_yields_elapsed_then_ends_and_hands_back_the_rest() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let t0 = corio_core::context::now();
        let handles: Vec<_> = [1u64, 5, 2]
            .into_iter()
            .map(|s| corio_core::task::spawn(after(s)))
            .collect();
        let mut s = as_completed_with_timeout(handles, Duration::from_secs(3));
        assert_eq!(s.next().await.unwrap().unwrap().unwrap(), 1);
        assert_eq!(s.next().await.unwrap().unwrap().unwrap(), 2);
        assert!(matches!(s.next().await, Some(Err(e)) if e == Elapsed::new()));
        assert_eq!(corio_core::context::now() - t0, Duration::from_secs(3));
        assert!(s.next().await.is_none());
        let rest = s.into_remaining();
        assert_eq!(rest.len(), 1);
        // The task was not cancelled.
        assert_eq!(rest.into_iter().next().unwrap().await.unwrap(), 5);
    });
    assert_eq!(rt.elapsed(), Duration::from_secs(5));
}

#[test]
fn without_runtime_under_block_on() {
    use futures::channel::oneshot;
    let (tx_a, rx_a) = oneshot::channel();
    let (tx_b, rx_b) = oneshot::channel();
    futures::executor::block_on(async {
        let mut s = as_completed([rx_a, rx_b]);
        tx_b.send('b').unwrap();
        assert_eq!(s.next().await, Some(Ok('b')));
        tx_a.send('a').unwrap();
        assert_eq!(s.next().await, Some(Ok('a')));
        assert_eq!(s.next().await, None);
    });
}

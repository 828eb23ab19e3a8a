//! `gather` over a collection: concurrency, input order, wake-only polling.

use std::time::Duration;

use corio_combinators::gather;
use corio_test_util::{poll_once, sleep, Counters, Log, TestRuntime};
use futures::channel::oneshot;

#[test]
fn results_in_input_order_while_completion_order_differs() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let out = rt.block_on(gather([3u64, 1, 2].map(|secs| {
        let log = log.clone();
        async move {
            sleep(Duration::from_secs(secs)).await;
            log.push(format!("done {secs}"));
            secs * 10
        }
    })));
    assert_eq!(out, [30, 10, 20]);
    assert_eq!(log.take(), ["done 1", "done 2", "done 3"]);
    // Concurrent: the total is the longest, not the sum.
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
}

#[test]
fn only_woken_futures_are_polled_again() {
    let counters: Vec<Counters> = (0..100).map(|_| Counters::new()).collect();
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..100).map(|_| oneshot::channel::<u32>()).unzip();
    let futs: Vec<_> = receivers
        .into_iter()
        .zip(&counters)
        .map(|(rx, c)| c.wrap(async move { rx.await.unwrap() }))
        .collect();
    let mut g = gather(futs);
    assert!(poll_once(&mut g).is_pending());
    assert!(counters.iter().all(|c| c.polls() == 1));
    let mut senders: Vec<_> = senders.into_iter().map(Some).collect();
    senders[42].take().unwrap().send(42).unwrap();
    assert!(poll_once(&mut g).is_pending());
    assert_eq!(counters[42].polls(), 2);
    let others: usize = counters.iter().map(Counters::polls).sum::<usize>() - 2;
    assert_eq!(others, 99, "no other future was polled again");
    for (i, s) in senders.iter_mut().enumerate() {
        if let Some(s) = s.take() {
            s.send(i as u32).unwrap();
        }
    }
    let out = futures::executor::block_on(g);
    assert_eq!(out, (0..100).collect::<Vec<u32>>());
    assert!(counters.iter().all(|c| c.drops() == 1));
}

use std::future::Future;

#[test]
fn empty_input_is_ready_at_once() {
    let out: Vec<u8> = futures::executor::block_on(gather(Vec::<std::future::Ready<u8>>::new()));
    assert!(out.is_empty());
}

#[test]
fn gathers_spawned_tasks() {
    let rt = TestRuntime::new();
    let out = rt.block_on(async {
        let handles: Vec<_> = (0..5u64)
            .map(|i| {
                corio_core::task::spawn(async move {
                    sleep(Duration::from_secs(5 - i)).await;
                    i
                })
            })
            .collect();
        gather(handles).await
    });
    let out: Vec<u64> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!(out, [0, 1, 2, 3, 4]);
    assert_eq!(rt.elapsed(), Duration::from_secs(5));
}

#[test]
fn drop_before_completion_drops_every_future() {
    let c = Counters::new();
    let mut g = gather((0..10).map(|_| c.wrap(futures::future::pending::<()>())));
    assert!(poll_once(&mut g).is_pending());
    assert_eq!(c.polls(), 10);
    drop(g);
    assert_eq!(c.drops(), 10);
}

#[test]
fn ready_prefix_runs_inline_and_the_pending_head_is_polled_only_when_woken() {
    let counters: Vec<Counters> = (0..5).map(|_| Counters::new()).collect();
    let (tx_head, rx_head) = oneshot::channel::<u32>();
    let (tx_tail, rx_tail) = oneshot::channel::<u32>();
    let futs: Vec<std::pin::Pin<Box<dyn Future<Output = u32> + Send>>> = vec![
        Box::pin(counters[0].wrap(async { 0 })),
        Box::pin(counters[1].wrap(async { 1 })),
        Box::pin(counters[2].wrap(async move { rx_head.await.unwrap() })),
        Box::pin(counters[3].wrap(async move { rx_tail.await.unwrap() })),
        Box::pin(counters[4].wrap(async { 4 })),
    ];
    let mut g = gather(futs);
    assert!(poll_once(&mut g).is_pending());
    let polls = || counters.iter().map(Counters::polls).collect::<Vec<_>>();
    assert_eq!(polls(), [1, 1, 1, 1, 1]);
    // A spurious poll of the gather polls nobody.
    assert!(poll_once(&mut g).is_pending());
    assert_eq!(polls(), [1, 1, 1, 1, 1]);
    tx_head.send(2).unwrap();
    assert!(poll_once(&mut g).is_pending());
    assert_eq!(polls(), [1, 1, 2, 1, 1], "only the woken head");
    tx_tail.send(3).unwrap();
    let out = futures::executor::block_on(g);
    assert_eq!(out, [0, 1, 2, 3, 4]);
    assert_eq!(polls(), [1, 1, 2, 2, 1]);
    assert!(counters.iter().all(|c| c.drops() == 1));
}

#[test]
fn dropping_with_a_pending_head_drops_every_future_once() {
    let counters: Vec<Counters> = (0..4).map(|_| Counters::new()).collect();
    let (_keep, rxs): (Vec<_>, Vec<_>) = (0..3).map(|_| oneshot::channel::<u32>()).unzip();
    let mut futs: Vec<std::pin::Pin<Box<dyn Future<Output = u32> + Send>>> =
        vec![Box::pin(counters[0].wrap(async { 7 }))];
    for (rx, c) in rxs.into_iter().zip(&counters[1..]) {
        futs.push(Box::pin(c.wrap(async move { rx.await.unwrap_or(0) })));
    }
    let mut g = gather(futs);
    assert!(poll_once(&mut g).is_pending());
    drop(g);
    assert!(counters.iter().all(|c| c.drops() == 1 && c.polls() == 1));
}

#[test]
fn a_head_woken_from_another_thread_completes() {
    let (tx, rx) = oneshot::channel::<u32>();
    let futs: Vec<std::pin::Pin<Box<dyn Future<Output = u32> + Send>>> = vec![
        Box::pin(async { 1 }),
        Box::pin(async move { rx.await.unwrap() }),
    ];
    let t = std::thread::spawn(move || tx.send(2).unwrap());
    let out = futures::executor::block_on(gather(futs));
    t.join().unwrap();
    assert_eq!(out, [1, 2]);
}

#[test]
fn polling_again_after_a_future_panicked_panics_instead_of_hanging() {
    let futs: Vec<std::pin::Pin<Box<dyn Future<Output = u32> + Send>>> = vec![
        Box::pin(async { 1 }),
        Box::pin(async { panic!("boom") }),
        Box::pin(async { 3 }),
    ];
    let mut g = gather(futs);
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = poll_once(&mut g);
    }));
    assert!(first.is_err(), "the future's panic goes through");
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = poll_once(&mut g);
    }));
    let msg = again.unwrap_err();
    let msg = msg.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("panicked"), "{msg}");
}

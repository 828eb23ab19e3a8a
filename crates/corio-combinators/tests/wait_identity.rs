//! `wait` / `wait_keyed` / `as_completed_keyed` keep identity (issue 14 item 5): `done`
//! holds everything already finished, FIRST_EXCEPTION skips cancelled tasks, keys travel
//! with outputs and with the unfinished futures.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use corio_combinators::{as_completed_keyed, wait, wait_keyed, ReturnWhen};
use corio_core::{task::TaskId, JoinError};
use futures::channel::oneshot;
use futures::executor::block_on;
use futures::future::{pending, ready, BoxFuture, FutureExt};
use futures::StreamExt;

type Fut = BoxFuture<'static, Result<u32, JoinError>>;

#[test]
fn wait_really_done_first_completed_returns_every_finished_future() {
    // CPython test_tasks.py::test_wait_really_done.
    let futs: Vec<Fut> = vec![
        ready(Ok(1)).boxed(),
        pending().boxed(),
        ready(Ok(3)).boxed(),
    ];
    let (mut done, rest) = block_on(wait(futs, ReturnWhen::FirstCompleted, None));
    done.sort_by_key(|r| *r.as_ref().unwrap());
    assert_eq!(done.len(), 2);
    assert_eq!(rest.len(), 1);
}

#[test]
fn first_exception_ignores_cancelled_tasks() {
    // CPython: FIRST_EXCEPTION counts a future with an exception, never a cancelled one.
    let (tx, rx) = oneshot::channel::<u32>();
    let late: Fut = async move { Ok(rx.await.unwrap()) }.boxed();
    let futs: Vec<Fut> = vec![
        ready(Err(JoinError::cancelled(TaskId::next()))).boxed(),
        late,
    ];
    let mut w = pin!(wait(futs, ReturnWhen::FirstException, None));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(
        w.as_mut().poll(&mut cx).is_pending(),
        "the cancellation is not an exception"
    );
    tx.send(7).unwrap();
    let Poll::Ready((done, rest)) = w.as_mut().poll(&mut cx) else {
        panic!("all finished")
    };
    assert_eq!(done.len(), 2);
    assert!(rest.is_empty());

    // A panic is one.
    let boom = JoinError::panic(TaskId::next(), Box::new("boom"));
    let futs: Vec<Fut> = vec![ready(Err(boom)).boxed(), pending().boxed()];
    let (done, rest) = block_on(wait(futs, ReturnWhen::FirstException, None));
    assert!(done[0].as_ref().unwrap_err().is_panic());
    assert_eq!(rest.len(), 1);
}

#[test]
fn the_first_completed_loop_acts_on_the_finished_key_and_rewaits_the_rest() {
    let (tx_a, rx_a) = oneshot::channel::<u32>();
    let (tx_b, rx_b) = oneshot::channel::<u32>();
    let mk = |rx: oneshot::Receiver<u32>| -> Fut { async move { Ok(rx.await.unwrap()) }.boxed() };
    let mut pending_ = vec![
        ("a", mk(rx_a)),
        ("b", mk(rx_b)),
        ("c", ready(Ok(0)).boxed()),
    ];
    let mut order = Vec::new();
    let mut senders = [Some(tx_b), Some(tx_a)];
    block_on(async {
        while !pending_.is_empty() {
            let (done, rest) = wait_keyed(pending_, ReturnWhen::FirstCompleted, None).await;
            for (key, out) in done {
                order.push((key, out.unwrap()));
            }
            pending_ = rest;
            if let Some(tx) = senders.iter_mut().find_map(Option::take) {
                tx.send(order.len() as u32 * 10).unwrap();
            }
        }
    });
    assert_eq!(order, [("c", 0), ("b", 10), ("a", 20)]);
}

#[test]
fn as_completed_keyed_yields_keys_and_hands_back_the_rest_with_theirs() {
    let futs: Vec<(usize, BoxFuture<'static, u8>)> = vec![
        (10, pending().boxed()),
        (20, ready(2).boxed()),
        (30, pending().boxed()),
    ];
    let mut s = as_completed_keyed(futs);
    assert_eq!(block_on(s.next()), Some((20, 2)));
    assert_eq!(s.len(), 2);
    let rest: Vec<usize> = s.into_remaining().into_iter().map(|(k, _)| k).collect();
    assert_eq!(rest, [10, 30]);
}

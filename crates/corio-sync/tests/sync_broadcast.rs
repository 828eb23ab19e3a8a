//! broadcast: every receiver sees every value, lagging, closing, cancellation.

use std::task::Poll;

use corio_sync::broadcast::{self, RecvError, TryRecvError};
use corio_test_util::{count_waker, poll_once, poll_with};
use futures::executor::block_on;

#[test]
fn every_receiver_sees_every_value() {
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    assert_eq!(tx.send(1).unwrap(), 2);
    tx.send(2).unwrap();
    for rx in [&mut a, &mut b] {
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

#[test]
fn slow_receiver_lags_and_continues() {
    let (tx, mut rx) = broadcast::channel(2);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(block_on(rx.recv()), Ok(4));
    assert_eq!(
        RecvError::Lagged(3).to_string(),
        "receiver lagged by 3 messages"
    );
}

#[test]
fn send_wakes_waiting_receivers_and_close_ends_them() {
    let (tx, mut a) = broadcast::channel(2);
    let mut b = tx.subscribe();
    let (c, w) = count_waker();
    {
        let mut ra = Box::pin(a.recv());
        let mut rb = Box::pin(b.recv());
        assert!(poll_with(&mut ra, &w).is_pending());
        assert!(poll_with(&mut rb, &w).is_pending());
        tx.send(7).unwrap();
        assert_eq!(c.count(), 2);
        assert_eq!(poll_once(&mut ra), Poll::Ready(Ok(7)));
        assert_eq!(poll_once(&mut rb), Poll::Ready(Ok(7)));
    }
    drop(tx);
    assert_eq!(block_on(a.recv()), Err(RecvError::Closed));
}

#[test]
fn send_without_receivers_hands_the_value_back() {
    let (tx, rx) = broadcast::channel(1);
    drop(rx);
    assert_eq!(tx.send(3).unwrap_err().0, 3);
}

#[test]
fn cancelled_recv_loses_nothing() {
    let (tx, mut rx) = broadcast::channel(4);
    let mut r = Box::pin(rx.recv());
    assert!(poll_once(&mut r).is_pending());
    tx.send(1).unwrap();
    drop(r);
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn hundred_receivers_see_every_value() {
    let (tx, rx) = broadcast::channel(64);
    let receivers: Vec<_> = (0..100)
        .map(|_| {
            let mut rx = rx.resubscribe();
            async move {
                let mut got = Vec::new();
                loop {
                    match rx.recv().await {
                        Ok(v) => got.push(v),
                        Err(RecvError::Lagged(n)) => panic!("lagged by {n} with room for all"),
                        Err(RecvError::Closed) => return got,
                    }
                }
            }
        })
        .collect();
    drop(rx);
    let sender = std::thread::spawn(move || {
        for i in 0..50u64 {
            tx.send(i).unwrap();
        }
    });
    let results = block_on(futures::future::join_all(receivers));
    sender.join().unwrap();
    for got in results {
        assert_eq!(got, (0..50).collect::<Vec<_>>());
    }
}

#[test]
fn halves_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let (tx, mut rx) = broadcast::channel::<String>(1);
    send_sync(&tx);
    send_sync(&rx.recv());
}

// The receiver as a `Stream`: `Ok(value)` items, `Err(Lagged(n))` for a lag (the stream
// goes on), and the end (`None`, never `Err(Closed)`) once every sender is gone and the
// values left were yielded.

#[test]
fn stream_next_waits_for_a_later_send() {
    use futures::StreamExt;
    let (tx, mut rx) = broadcast::channel(4);
    {
        let mut next = corio_test_util::spawn(rx.next());
        assert!(next.poll().is_pending());
        assert!(next.poll().is_pending(), "polled twice: still one waiter");
        assert!(!next.is_woken());
        assert_eq!(tx.send(7).unwrap(), 1);
        assert_eq!(next.wake_count(), 1, "the send wakes the pending next()");
        assert_eq!(next.poll(), Poll::Ready(Some(Ok(7))));
    }
    // Consumed: the next one waits again.
    let mut next = corio_test_util::spawn(rx.next());
    assert!(next.poll().is_pending());
    tx.send(8).unwrap();
    assert!(next.is_woken());
    assert_eq!(next.poll(), Poll::Ready(Some(Ok(8))));
}

#[test]
fn stream_yields_lagged_and_goes_on() {
    use futures::StreamExt;
    let (tx, mut rx) = broadcast::channel(2);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    // 0, 1 and 2 were overwritten: one `Lagged(3)` item, then the values still held.
    assert_eq!(block_on(rx.next()), Some(Err(RecvError::Lagged(3))));
    assert_eq!(block_on(rx.next()), Some(Ok(3)));
    assert_eq!(block_on(rx.next()), Some(Ok(4)));
    assert!(
        poll_once(&mut rx.next()).is_pending(),
        "the lag did not end it"
    );
    // A lag while a `next()` waits is reported the same way.
    let mut next = corio_test_util::spawn(rx.next());
    assert!(next.poll().is_pending());
    for i in 5..9 {
        tx.send(i).unwrap();
    }
    assert!(next.is_woken());
    assert_eq!(next.poll(), Poll::Ready(Some(Err(RecvError::Lagged(2)))));
    drop(next);
    drop(tx);
    assert_eq!(block_on(rx.next()), Some(Ok(7)));
    assert_eq!(block_on(rx.next()), Some(Ok(8)));
    assert_eq!(poll_once(&mut rx.next()), Poll::Ready(None));
}

#[test]
fn stream_ends_after_every_sender_is_gone_and_the_values_are_read() {
    use futures::StreamExt;
    let (tx, mut rx) = broadcast::channel(4);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    drop(tx);
    // A sender is left: the value comes, then the stream waits.
    assert_eq!(block_on(rx.next()), Some(Ok(1)));
    let mut next = corio_test_util::spawn(rx.next());
    assert!(next.poll().is_pending());
    tx2.send(2).unwrap();
    drop(tx2);
    assert!(next.is_woken());
    // The value sent before the last sender went is still yielded, then the end.
    assert_eq!(next.poll(), Poll::Ready(Some(Ok(2))));
    drop(next);
    let mut next = corio_test_util::spawn(rx.next());
    assert_eq!(next.poll(), Poll::Ready(None));
    drop(next);
    assert_eq!(block_on(rx.next()), None, "stays ended");
}

#[test]
fn stream_next_pending_is_woken_by_the_last_sender_drop() {
    use futures::StreamExt;
    let (tx, mut rx) = broadcast::channel::<u8>(4);
    let mut next = corio_test_util::spawn(rx.next());
    assert!(next.poll().is_pending());
    drop(tx);
    assert!(next.is_woken(), "the drop wakes the pending next()");
    assert_eq!(next.poll(), Poll::Ready(None));
}

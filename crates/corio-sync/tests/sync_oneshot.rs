//! oneshot: send/receive, drops on either side, values handed back.

use std::task::Poll;

use corio_sync::oneshot::{self, TryRecvError};
use corio_test_util::{count_waker, poll_with, DropCounter};
use futures::executor::block_on;

#[test]
fn value_arrives_and_wakes_the_receiver_once() {
    let (tx, mut rx) = oneshot::channel();
    let (c, w) = count_waker();
    assert!(poll_with(&mut rx, &w).is_pending());
    tx.send(5).unwrap();
    assert_eq!(c.count(), 1);
    assert_eq!(poll_with(&mut rx, &w), Poll::Ready(Ok(5)));
}

#[test]
fn dropped_sender_gives_an_error() {
    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    let e = block_on(rx).unwrap_err();
    assert_eq!(e.to_string(), "oneshot sender dropped without sending");
}

#[test]
fn send_to_a_dropped_receiver_hands_the_value_back() {
    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send("v"), Err("v"));
}

#[test]
fn try_recv_reports_empty_then_value_then_closed() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn closed_completes_when_the_receiver_drops() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    let (c, w) = count_waker();
    {
        let mut f = Box::pin(tx.closed());
        assert!(poll_with(&mut f, &w).is_pending());
        drop(rx);
        assert_eq!(c.count(), 1);
        assert!(poll_with(&mut f, &w).is_ready());
    }
}

#[test]
fn unreceived_value_is_dropped_exactly_once() {
    let drops = DropCounter::new();
    let (tx, rx) = oneshot::channel();
    tx.send(drops.token()).ok().unwrap();
    drop(rx);
    assert_eq!(drops.drops(), 1);
}

#[test]
fn round_trips_across_threads() {
    for i in 0..200 {
        let (tx, rx) = oneshot::channel();
        let t = std::thread::spawn(move || tx.send(i).unwrap());
        assert_eq!(block_on(rx), Ok(i));
        t.join().unwrap();
    }
}

#[test]
fn halves_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let (tx, rx) = oneshot::channel::<String>();
    send_sync(&tx);
    send_sync(&rx);
}

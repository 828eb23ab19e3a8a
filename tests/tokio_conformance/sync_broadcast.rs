//! `tokio/tests/sync_broadcast.rs`, translated.

use std::sync::Arc;

use corio::sync::broadcast::{self, RecvError, TryRecvError};

use corio_test_util::{assert_pending, assert_ready, spawn};

macro_rules! assert_recv {
    ($e:expr) => {
        match $e.try_recv() {
            Ok(value) => value,
            Err(e) => panic!("expected recv; got = {:?}", e),
        }
    };
}

macro_rules! assert_empty {
    ($e:expr) => {
        match $e.try_recv() {
            Ok(value) => panic!("expected empty; got = {:?}", value),
            Err(TryRecvError::Empty) => {}
            Err(e) => panic!("expected empty; got = {:?}", e),
        }
    };
}

macro_rules! assert_lagged {
    ($e:expr, $n:expr) => {
        match $e {
            Err(TryRecvError::Lagged(n)) => assert_eq!(n, $n),
            other => panic!("expected lagged; got = {:?}", other),
        }
    };
}

macro_rules! assert_closed {
    ($e:expr) => {
        match $e {
            Err(TryRecvError::Closed) => {}
            other => panic!("expected closed; got = {:?}", other),
        }
    };
}

#[test]
fn send_try_recv_bounded() {
    let (tx, mut rx) = broadcast::channel(16);
    assert_empty!(rx);
    let n = tx.send("hello").unwrap();
    assert_eq!(n, 1);
    let val = assert_recv!(rx);
    assert_eq!(val, "hello");
    assert_empty!(rx);
}

#[test]
fn send_two_recv() {
    let (tx, mut rx1) = broadcast::channel(16);
    let mut rx2 = tx.subscribe();
    assert_empty!(rx1);
    assert_empty!(rx2);
    let n = tx.send("hello").unwrap();
    assert_eq!(n, 2);
    assert_eq!(assert_recv!(rx1), "hello");
    assert_eq!(assert_recv!(rx2), "hello");
    assert_empty!(rx1);
    assert_empty!(rx2);
}

#[test]
fn send_recv_bounded() {
    let (tx, mut rx) = broadcast::channel(16);
    let mut recv = spawn(rx.recv());
    assert_pending!(recv.poll());
    tx.send("hello").unwrap();
    assert!(recv.is_woken());
    let val = assert_ready!(recv.poll()).unwrap();
    assert_eq!(val, "hello");
}

#[test]
fn send_two_recv_bounded() {
    let (tx, mut rx1) = broadcast::channel(16);
    let mut rx2 = tx.subscribe();
    let mut recv1 = spawn(rx1.recv());
    let mut recv2 = spawn(rx2.recv());
    assert_pending!(recv1.poll());
    assert_pending!(recv2.poll());
    tx.send("hello").unwrap();
    assert!(recv1.is_woken());
    assert!(recv2.is_woken());
    let val1 = assert_ready!(recv1.poll()).unwrap();
    let val2 = assert_ready!(recv2.poll()).unwrap();
    assert_eq!(val1, "hello");
    assert_eq!(val2, "hello");
    drop((recv1, recv2));
    let mut recv1 = spawn(rx1.recv());
    let mut recv2 = spawn(rx2.recv());
    assert_pending!(recv1.poll());
    tx.send("world").unwrap();
    assert!(recv1.is_woken());
    assert!(!recv2.is_woken());
    let val1 = assert_ready!(recv1.poll()).unwrap();
    let val2 = assert_ready!(recv2.poll()).unwrap();
    assert_eq!(val1, "world");
    assert_eq!(val2, "world");
}

#[test]
fn change_tasks() {
    let (tx, mut rx) = broadcast::channel(1);
    let mut recv = Box::pin(rx.recv());
    let mut task1 = spawn(&mut recv);
    assert_pending!(task1.poll());
    drop(task1);
    let mut task2 = spawn(&mut recv);
    assert_pending!(task2.poll());
    tx.send("hello").unwrap();
    assert!(task2.is_woken());
}

#[test]
fn send_slow_rx() {
    let (tx, mut rx1) = broadcast::channel(16);
    let mut rx2 = tx.subscribe();
    {
        let mut recv2 = spawn(rx2.recv());
        {
            let mut recv1 = spawn(rx1.recv());
            assert_pending!(recv1.poll());
            assert_pending!(recv2.poll());
            tx.send("one").unwrap();
            assert!(recv1.is_woken());
            assert!(recv2.is_woken());
            tx.send("two").unwrap();
            let val = assert_ready!(recv1.poll()).unwrap();
            assert_eq!(val, "one");
        }
        let val = assert_ready!(spawn(rx1.recv()).poll()).unwrap();
        assert_eq!(val, "two");
        let mut recv1 = spawn(rx1.recv());
        assert_pending!(recv1.poll());
        tx.send("three").unwrap();
        assert!(recv1.is_woken());
        let val = assert_ready!(recv1.poll()).unwrap();
        assert_eq!(val, "three");
        let val = assert_ready!(recv2.poll()).unwrap();
        assert_eq!(val, "one");
    }
    assert_eq!(assert_recv!(rx2), "two");
    assert_eq!(assert_recv!(rx2), "three");
}

#[test]
fn drop_rx_while_values_remain_tail() {
    let (tx, mut rx1) = broadcast::channel(16);
    let mut rx2 = tx.subscribe();
    tx.send("one").unwrap();
    tx.send("two").unwrap();
    assert_recv!(rx1);
    assert_recv!(rx2);
    drop(rx2);
    drop(rx1);
}

#[test]
fn lagging_rx() {
    let (tx, mut rx1) = broadcast::channel(2);
    let mut rx2 = tx.subscribe();
    tx.send("one").unwrap();
    tx.send("two").unwrap();
    assert_eq!("one", assert_recv!(rx1));
    tx.send("three").unwrap();
    // Lagged too far
    let x = rx2.try_recv();
    assert_lagged!(x, 1);
    // Calling again gets the next value
    assert_eq!("two", assert_recv!(rx2));
    assert_eq!("two", assert_recv!(rx1));
    assert_eq!("three", assert_recv!(rx1));
    tx.send("four").unwrap();
    tx.send("five").unwrap();
    assert_lagged!(rx2.try_recv(), 1);
    tx.send("six").unwrap();
    assert_lagged!(rx2.try_recv(), 1);
}

#[test]
fn send_no_rx() {
    let (tx, _) = broadcast::channel(16);
    assert!(tx.send("hello").is_err());
    let mut rx = tx.subscribe();
    tx.send("world").unwrap();
    let val = assert_recv!(rx);
    assert_eq!("world", val);
}

#[test]
#[should_panic(expected = "capacity of at least 1")]
fn zero_capacity() {
    broadcast::channel::<()>(0);
}

#[test]
fn dropping_tx_notifies_rx() {
    let (tx, mut rx1) = broadcast::channel::<()>(16);
    let mut rx2 = tx.subscribe();
    let tx2 = tx.clone();
    let mut recv1 = spawn(rx1.recv());
    let mut recv2 = spawn(rx2.recv());
    assert_pending!(recv1.poll());
    assert_pending!(recv2.poll());
    drop(tx);
    assert_pending!(recv1.poll());
    assert_pending!(recv2.poll());
    drop(tx2);
    assert!(recv1.is_woken());
    assert!(recv2.is_woken());
    let err = assert_ready!(recv1.poll()).unwrap_err();
    assert!(matches!(err, RecvError::Closed));
    let err = assert_ready!(recv2.poll()).unwrap_err();
    assert!(matches!(err, RecvError::Closed));
}

#[test]
fn unconsumed_messages_are_dropped() {
    let (tx, rx) = broadcast::channel(16);
    let msg = Arc::new(());
    tx.send(msg.clone()).unwrap();
    assert_eq!(2, Arc::strong_count(&msg));
    drop(rx);
    assert_eq!(1, Arc::strong_count(&msg));
}

#[test]
fn single_capacity_recvs() {
    let (tx, mut rx) = broadcast::channel(1);
    tx.send(1).unwrap();
    assert_eq!(assert_recv!(rx), 1);
    assert_empty!(rx);
}

#[test]
fn single_capacity_recvs_after_drop_1() {
    let (tx, mut rx) = broadcast::channel(1);
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(assert_recv!(rx), 1);
    assert_closed!(rx.try_recv());
}

#[test]
fn single_capacity_recvs_after_drop_2() {
    let (tx, mut rx) = broadcast::channel(1);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    drop(tx);
    assert_lagged!(rx.try_recv(), 1);
    assert_eq!(assert_recv!(rx), 2);
    assert_closed!(rx.try_recv());
}

#[test]
fn dropping_sender_does_not_overwrite() {
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    drop(tx);
    assert_eq!(assert_recv!(rx), 1);
    assert_eq!(assert_recv!(rx), 2);
    assert_closed!(rx.try_recv());
}

#[test]
fn lagging_receiver_recovers_after_wrap_closed_1() {
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    drop(tx);
    assert_lagged!(rx.try_recv(), 1);
    assert_eq!(assert_recv!(rx), 2);
    assert_eq!(assert_recv!(rx), 3);
    assert_closed!(rx.try_recv());
}

#[test]
fn lagging_receiver_recovers_after_wrap_closed_2() {
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    tx.send(4).unwrap();
    drop(tx);
    assert_lagged!(rx.try_recv(), 2);
    assert_eq!(assert_recv!(rx), 3);
    assert_eq!(assert_recv!(rx), 4);
    assert_closed!(rx.try_recv());
}

#[test]
fn lagging_receiver_recovers_after_wrap_open() {
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    assert_lagged!(rx.try_recv(), 1);
    assert_eq!(assert_recv!(rx), 2);
    assert_eq!(assert_recv!(rx), 3);
    assert_empty!(rx);
}

#[test]
fn receiver_len_with_lagged() {
    let (tx, mut rx) = broadcast::channel(3);
    tx.send(10).unwrap();
    tx.send(20).unwrap();
    tx.send(30).unwrap();
    tx.send(40).unwrap();
    assert_eq!(rx.len(), 4);
    assert_lagged!(rx.try_recv(), 1);
    assert_eq!(rx.len(), 3);
    assert_eq!(assert_recv!(rx), 20);
    assert_eq!(rx.len(), 2);
}

#[test]
fn resubscribe_points_to_tail() {
    let (tx, mut rx) = broadcast::channel(3);
    tx.send(1).unwrap();
    let mut rx_resub = rx.resubscribe();
    // verify we're one behind at the start
    assert_empty!(rx_resub);
    assert_eq!(assert_recv!(rx), 1);
    // verify we do not affect rx
    tx.send(2).unwrap();
    assert_eq!(assert_recv!(rx_resub), 2);
    tx.send(3).unwrap();
    assert_eq!(assert_recv!(rx), 2);
    assert_eq!(assert_recv!(rx), 3);
    assert_empty!(rx);
    assert_eq!(assert_recv!(rx_resub), 3);
    assert_empty!(rx_resub);
}

#[test]
fn resubscribe_lagged() {
    let (tx, mut rx) = broadcast::channel(1);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    let mut rx_resub = rx.resubscribe();
    assert_lagged!(rx.try_recv(), 1);
    assert_empty!(rx_resub);
    assert_eq!(assert_recv!(rx), 2);
    assert_empty!(rx);
    assert_empty!(rx_resub);
}

#[test]
fn resubscribe_to_closed_channel() {
    let (tx, rx) = broadcast::channel::<u32>(2);
    drop(tx);
    let mut rx_resub = rx.resubscribe();
    assert_closed!(rx_resub.try_recv());
}

#[test]
fn receiver_clone_starts_at_the_same_position() {
    // tokio's broadcast receivers are not `Clone`; corio's clone keeps the position
    // (the issue asked for it): a clone sees every value the original has yet to read.
    let (tx, mut rx) = broadcast::channel(4);
    tx.send(1).unwrap();
    let mut clone = rx.clone();
    assert_eq!(assert_recv!(rx), 1);
    assert_eq!(assert_recv!(clone), 1);
    drop(rx);
    tx.send(2).unwrap();
    assert_eq!(assert_recv!(clone), 2);
    assert_empty!(clone);
}

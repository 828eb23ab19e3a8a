//! mpsc: bounded/unbounded, closing, errors, Stream, cancellation.

use std::task::Poll;

use corio_sync::mpsc::{self, SendError, TryRecvError, TrySendError};
use corio_test_util::{count_waker, poll_once, poll_with, Rng};
use futures::executor::block_on;
use futures::StreamExt;

#[test]
fn bounded_send_waits_when_full() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(1).unwrap();
    assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    let (c, w) = count_waker();
    let mut send = Box::pin(tx.send(2));
    assert!(poll_with(&mut send, &w).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(c.count(), 1);
    assert!(matches!(poll_once(&mut send), Poll::Ready(Ok(()))));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn receiver_sees_end_when_every_sender_drops() {
    let (tx, mut rx) = mpsc::channel::<u8>(4);
    let tx2 = tx.clone();
    tx.try_send(1).unwrap();
    drop(tx);
    assert_eq!(rx.sender_count(), 1);
    let mut recv = Box::pin(rx.recv());
    assert_eq!(poll_once(&mut recv), Poll::Ready(Some(1)));
    drop(recv);
    let (c, w) = count_waker();
    let mut recv = Box::pin(rx.recv());
    assert!(poll_with(&mut recv, &w).is_pending());
    drop(tx2);
    assert_eq!(c.count(), 1);
    assert_eq!(poll_once(&mut recv), Poll::Ready(None));
}

#[test]
fn sends_fail_with_the_value_when_the_receiver_drops() {
    let (tx, rx) = mpsc::channel(1);
    tx.try_send(String::from("kept")).unwrap();
    let mut waiting = Box::pin(tx.send(String::from("waiting")));
    assert!(poll_once(&mut waiting).is_pending());
    drop(rx);
    assert!(tx.is_closed());
    match poll_once(&mut waiting) {
        Poll::Ready(Err(SendError(v))) => assert_eq!(v, "waiting"),
        other => panic!("expected SendError, got {other:?}"),
    }
    assert!(matches!(
        tx.try_send("x".into()),
        Err(TrySendError::Closed(_))
    ));
    let (utx, urx) = mpsc::unbounded_channel();
    drop(urx);
    assert_eq!(utx.send(5).unwrap_err(), SendError(5));
}

#[test]
fn errors_display_lowercase_and_debug_without_t_debug() {
    struct NoDebug;
    assert_eq!(format!("{:?}", SendError(NoDebug)), "SendError(..)");
    assert_eq!(format!("{:?}", TrySendError::Full(NoDebug)), "Full(..)");
    assert_eq!(
        SendError(NoDebug).to_string(),
        "sending into a closed channel"
    );
    assert_eq!(
        TrySendError::Full(NoDebug).to_string(),
        "sending into a full channel"
    );
}

#[test]
fn close_stops_sends_but_keeps_buffered_messages() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.try_send(1).unwrap();
    rx.close();
    assert!(tx.try_send(2).is_err());
    assert_eq!(block_on(rx.recv()), Some(1));
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn reserve_holds_a_slot() {
    let (tx, mut rx) = mpsc::channel(1);
    let permit = block_on(tx.reserve()).unwrap();
    assert!(tx.try_send(0).unwrap_err().is_full());
    permit.send(1);
    assert_eq!(rx.try_recv(), Ok(1));
    let permit = block_on(tx.reserve()).unwrap();
    drop(permit);
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn receivers_are_streams() {
    let (tx, rx) = mpsc::unbounded_channel();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    drop(tx);
    assert_eq!(block_on(rx.collect::<Vec<_>>()), [0, 1, 2, 3, 4]);
}

#[test]
// Miri: 5 000 messages through a thread pool are too slow, and the bounded flavour's
// contended `parking_lot` lock does integer-to-pointer casts that
// `-Zmiri-strict-provenance` rejects; `sync_mpsc_unbounded.rs` runs producer threads
// under Miri.
#[cfg_attr(miri, ignore)]
fn five_producers_on_a_thread_pool_deliver_everything_in_per_producer_order() {
    for bounded in [true, false] {
        let pool = futures::executor::ThreadPool::builder()
            .pool_size(2)
            .create()
            .unwrap();
        let got = if bounded {
            let (tx, rx) = mpsc::channel(8);
            for p in 0..5u32 {
                let tx = tx.clone();
                pool.spawn_ok(async move {
                    for i in 0..1000 {
                        tx.send((p, i)).await.unwrap();
                    }
                });
            }
            drop(tx);
            block_on(rx.collect::<Vec<_>>())
        } else {
            let (tx, rx) = mpsc::unbounded_channel();
            for p in 0..5u32 {
                let tx = tx.clone();
                pool.spawn_ok(async move {
                    for i in 0..1000 {
                        tx.send((p, i)).unwrap();
                    }
                });
            }
            drop(tx);
            block_on(rx.collect::<Vec<_>>())
        };
        assert_eq!(got.len(), 5000);
        for p in 0..5 {
            let seq: Vec<u32> = got
                .iter()
                .filter(|(q, _)| *q == p)
                .map(|(_, i)| *i)
                .collect();
            assert_eq!(seq, (0..1000).collect::<Vec<_>>());
        }
    }
}

#[test]
fn randomized_cancellation_delivers_every_message_exactly_once() {
    for seed in 1..40u64 {
        let mut rng = Rng::new(seed);
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let mut sends = Vec::new();
        let mut sent = Vec::new();
        let mut received = Vec::new();
        let mut next = 0;
        for _ in 0..300 {
            match rng.below(5) {
                0 | 1 => {
                    let v = next;
                    next += 1;
                    let mut f = Box::pin(tx.send(v));
                    match poll_once(&mut f) {
                        Poll::Ready(r) => {
                            r.unwrap();
                            sent.push(v);
                        }
                        Poll::Pending => sends.push((v, f)),
                    }
                }
                2 if !sends.is_empty() => {
                    let i = rng.below(sends.len());
                    drop(sends.remove(i));
                }
                3 => {
                    let mut r = Box::pin(rx.recv());
                    if let Poll::Ready(Some(v)) = poll_once(&mut r) {
                        received.push(v);
                    }
                }
                _ => {
                    let mut i = 0;
                    while i < sends.len() {
                        if let Poll::Ready(r) = poll_once(&mut sends[i].1) {
                            r.unwrap();
                            sent.push(sends.remove(i).0);
                        } else {
                            i += 1;
                        }
                    }
                }
            }
        }
        drop(sends);
        while let Ok(v) = rx.try_recv() {
            received.push(v);
        }
        sent.sort();
        received.sort();
        assert_eq!(received, sent, "seed {seed}");
        assert_eq!(tx.capacity(), 2, "seed {seed}: capacity lost");
    }
}

#[test]
fn halves_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let (tx, rx) = mpsc::channel::<String>(1);
    send_sync(&tx);
    send_sync(&rx);
    send_sync(&tx.send(String::new()));
    let (utx, urx) = mpsc::unbounded_channel::<String>();
    send_sync(&utx);
    send_sync(&urx);
}

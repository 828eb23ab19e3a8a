//! Unbounded mpsc over its block list: many blocks, several producer threads, `len`,
//! and every message dropped exactly once whoever ends up owning it. Miri-able (counts
//! scale down under `cfg(miri)`, where the library's blocks hold 4 slots).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use corio_sync::mpsc::{self, TryRecvError};
use corio_test_util::{count_waker, poll_with, DropCounter};
use futures::executor::block_on;

/// Enough messages to cross many blocks (32 slots normally, 4 under Miri).
const N: usize = if cfg!(miri) { 30 } else { 300 };

#[test]
fn fifo_across_many_blocks_with_len() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for round in 0..3 {
        for i in 0..N {
            tx.send(round * N + i).unwrap();
            assert_eq!(rx.len(), i + 1);
        }
        for i in 0..N {
            assert_eq!(rx.try_recv(), Ok(round * N + i));
            assert_eq!(rx.len(), N - i - 1);
        }
        assert!(rx.is_empty());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn interleaved_send_and_receive_cross_blocks() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut next = 0;
    for i in 0..N * 2 {
        tx.send(i).unwrap();
        if i % 3 != 0 {
            assert_eq!(rx.try_recv(), Ok(next));
            next += 1;
        }
    }
    drop(tx);
    while let Ok(v) = rx.try_recv() {
        assert_eq!(v, next);
        next += 1;
    }
    assert_eq!(next, N * 2);
}

#[test]
fn receiver_drop_drops_each_buffered_message_once() {
    let drops = DropCounter::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..N {
        tx.send((drops.token(), i)).unwrap();
    }
    let first = rx.try_recv().unwrap();
    assert_eq!(first.1, 0);
    drop(first);
    assert_eq!(drops.drops(), 1);
    drop(rx);
    assert_eq!(drops.drops(), N);
    let err = tx.send((drops.token(), N)).unwrap_err();
    drop(err); // handed back, dropped by the caller
    assert_eq!(drops.drops(), N + 1);
    drop(tx);
    assert_eq!(drops.drops(), N + 1);
}

#[test]
fn channel_drop_with_messages_still_buffered_drops_each_once() {
    let drops = DropCounter::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..N {
        tx.send((drops.token(), i)).unwrap();
    }
    for i in 0..N / 2 {
        assert_eq!(rx.try_recv().map(|c| c.1).ok(), Some(i));
    }
    assert_eq!(drops.drops(), N / 2);
    drop(tx); // the receiver still owns the rest
    assert_eq!(drops.drops(), N / 2);
    drop(rx);
    assert_eq!(drops.drops(), N);
}

#[test]
fn producer_threads_cross_blocks_in_per_producer_order() {
    const PRODUCERS: usize = 3;
    let drops = DropCounter::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let threads: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            let drops = drops.clone();
            std::thread::spawn(move || {
                for i in 0..N {
                    tx.send((p, (drops.token(), i))).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut seen = [0usize; PRODUCERS];
    let mut total = 0;
    block_on(async {
        while let Some((p, c)) = rx.recv().await {
            assert_eq!(c.1, seen[p], "producer {p} out of order");
            seen[p] += 1;
            total += 1;
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(seen, [N; PRODUCERS]);
    assert_eq!(total, N * PRODUCERS);
    assert_eq!(drops.drops(), N * PRODUCERS);
}

#[test]
fn receiver_dropped_while_producer_threads_send_loses_nothing() {
    const PRODUCERS: usize = 2;
    let drops = DropCounter::new();
    let sent = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let threads: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let tx = tx.clone();
            let drops = drops.clone();
            let sent = sent.clone();
            let failed = failed.clone();
            std::thread::spawn(move || {
                for i in 0..N {
                    if tx.send((drops.token(), i)).is_err() {
                        // The value handed back drops here.
                        failed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    drop(tx);
    let mut received = 0;
    while received < N / 2 {
        if let Ok(c) = rx.try_recv() {
            drop(c);
            received += 1;
        }
    }
    drop(rx);
    for t in threads {
        t.join().unwrap();
    }
    let sent = sent.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    assert!(sent >= N / 2 && failed <= PRODUCERS);
    // Every message sent was dropped exactly once (received, drained, or dropped with
    // the channel), and so was each value a failed send handed back.
    assert_eq!(drops.drops(), sent + failed);
}

#[test]
fn parked_receiver_is_woken_by_a_send_into_a_new_block() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..N {
        tx.send(i).unwrap();
        assert_eq!(rx.try_recv(), Ok(i));
    }
    let (c, w) = count_waker();
    let mut recv = Box::pin(rx.recv());
    assert!(poll_with(&mut recv, &w).is_pending());
    tx.send(N).unwrap();
    assert_eq!(c.count(), 1);
    assert_eq!(poll_with(&mut recv, &w), Poll::Ready(Some(N)));
}

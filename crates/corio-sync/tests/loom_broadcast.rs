//! loom model of broadcast's two-lock protocol (module rules 1-5): receivers reading on
//! the slot-lock fast path while a sender overwrites slots (lag), a receiver is dropped
//! or cloned, and the last sender closes the channel.
#![cfg(loom)]

mod loom_support;

use loom::sync::Arc;
use loom::thread;

use corio_sync::broadcast::{self, Receiver, RecvError, TryRecvError};

/// Receives until `Closed`; checks that values come in order and that every position
/// is accounted for exactly once (received or reported lagged). Returns the values.
fn drain(rx: &mut Receiver<Arc<u8>>, sent: u64) -> Vec<u8> {
    let mut got = Vec::new();
    let mut seen = 0u64;
    loop {
        match loom_support::block_on(rx.recv()) {
            Ok(v) => {
                assert!(got.last().is_none_or(|&l| l < *v), "out of order");
                got.push(*v);
                seen += 1;
            }
            Err(RecvError::Lagged(n)) => {
                assert!(n > 0);
                seen += n;
            }
            Err(RecvError::Closed) => break,
        }
    }
    assert_eq!(seen, sent, "a position was lost or counted twice");
    got
}

#[test]
fn receivers_race_a_lapping_sender() {
    loom::model(|| {
        // Capacity 1: the second send overwrites the first while a receiver may be
        // reading it on the fast path.
        let (tx, mut a) = broadcast::channel::<Arc<u8>>(1);
        let mut b = tx.subscribe();
        let values: Vec<_> = (0..2u8).map(Arc::new).collect();
        let kept = values.clone();
        let t = thread::spawn(move || {
            for v in values {
                tx.send(v).unwrap();
            }
        });
        let rb = thread::spawn(move || drain(&mut b, 2));
        let ga = drain(&mut a, 2);
        let gb = rb.join().unwrap();
        t.join().unwrap();
        // Every receiver ends with the last value (it is never overwritten).
        assert_eq!(ga.last(), Some(&1));
        assert_eq!(gb.last(), Some(&1));
        drop(a);
        // No copy is left anywhere: all were taken, dropped or overwritten.
        for v in &kept {
            assert_eq!(Arc::strong_count(v), 1, "a copy of {} leaked", **v);
        }
    });
}

#[test]
fn receiver_dropped_while_another_reads() {
    loom::model(|| {
        let (tx, mut a) = broadcast::channel::<Arc<u8>>(2);
        let b = tx.subscribe();
        let v = Arc::new(7);
        tx.send(v.clone()).unwrap();
        let t = thread::spawn(move || drop(b));
        let got = a.try_recv().unwrap();
        assert_eq!(*got, 7);
        t.join().unwrap();
        // Whoever of `a` and `b` came last let go of the buffered value.
        assert_eq!(
            Arc::strong_count(&v),
            2,
            "a's copy and ours, nothing buffered"
        );
        assert_eq!(a.try_recv().unwrap_err(), TryRecvError::Empty);
        drop(tx);
        assert_eq!(a.try_recv().unwrap_err(), TryRecvError::Closed);
    });
}

#[test]
fn clone_races_a_read_and_a_send() {
    loom::model(|| {
        let (tx, mut a) = broadcast::channel::<Arc<u8>>(2);
        tx.send(Arc::new(0)).unwrap();
        let c = a.clone(); // at position 0, like `a`
        let mut c2 = c;
        let t = thread::spawn(move || {
            tx.send(Arc::new(1)).unwrap();
        });
        let rc = thread::spawn(move || drain(&mut c2, 2));
        assert_eq!(drain(&mut a, 2), [0, 1]);
        assert_eq!(rc.join().unwrap(), [0, 1]);
        t.join().unwrap();
    });
}

#[test]
fn close_wakes_a_queued_receiver() {
    loom::model(|| {
        let (tx, mut a) = broadcast::channel::<Arc<u8>>(1);
        let t = thread::spawn(move || {
            tx.send(Arc::new(3)).unwrap();
            drop(tx);
        });
        assert_eq!(drain(&mut a, 1), [3]);
        t.join().unwrap();
    });
}

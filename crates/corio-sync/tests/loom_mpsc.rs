//! loom model of the mpsc channel: capacity hand-off, close detection, and the
//! unbounded channel's block list (2 slots per block under loom): messages crossing
//! block boundaries from two producers arrive exactly once and in per-producer order,
//! blocks are freed only when no sender can reach them (the list reports a free racing
//! with a sender's use), and a dropped receiver drops every message exactly once.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use loom::thread;

use corio_sync::mpsc;

mod loom_support;

// A receiver here re-registers while a sender may be inside `AtomicWaker::wake`: the
// yielding `block_on` lets that sender finish.
use loom_support::block_on_yielding as block_on;

/// `loom::model` with room for the longer executions of three messages and a
/// receiver that parks between them.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.max_branches = 10_000;
    builder.check(f);
}

/// Counts its drops (a plain std counter: read only after every thread is joined).
struct Counted(Arc<AtomicUsize>, u8);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn bounded_capacity_hand_off() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let t = thread::spawn(move || {
            block_on(async {
                tx.send(1).await.unwrap();
                tx.send(2).await.unwrap(); // waits for the receiver to free the slot
            })
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        t.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    });
}

#[test]
fn bounded_two_senders_race_for_one_slot() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.try_send(1).is_ok());
        let b = thread::spawn(move || tx2.try_send(2).is_ok());
        let sent = usize::from(a.join().unwrap()) + usize::from(b.join().unwrap());
        assert_eq!(sent, 1, "capacity 1: exactly one try_send wins");
        assert!(rx.try_recv().is_ok());
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    });
}

#[test]
fn unbounded_last_sender_drop_is_seen() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let t = thread::spawn(move || {
            tx.send(7).unwrap();
        });
        let got = block_on(rx.recv());
        t.join().unwrap();
        assert_eq!(got, Some(7));
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    });
}

#[test]
fn receiver_drop_fails_a_waiting_sender_with_its_value() {
    model(|| {
        let (tx, rx) = mpsc::channel::<u8>(1);
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || block_on(tx.send(2)));
        drop(rx);
        assert_eq!(t.join().unwrap().unwrap_err().0, 2);
    });
}

#[test]
fn unbounded_push_wakes_a_parked_receiver_while_senders_live() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || {
            tx2.send(1).unwrap();
            tx2.send(2).unwrap();
        });
        // `tx` stays alive: only the pushes' own wake-ups can end these waits.
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), Some(2));
        t.join().unwrap();
        drop(tx);
    });
}

#[test]
fn bounded_two_senders_wake_a_parked_receiver() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.try_send(1).unwrap());
        tx.try_send(2).unwrap();
        let mut got = [block_on(rx.recv()).unwrap(), block_on(rx.recv()).unwrap()];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        t.join().unwrap();
    });
}

/// The bounded ring laps: positions 1 and 2 (slots 1 and 0 of a two-slot ring) are
/// claimed by two senders racing with the receiver, which reads one and drops the
/// other with itself, possibly while its sender is still writing it. Each message is
/// dropped exactly once, and no write overlaps the read of the slot's old value.
#[test]
fn bounded_ring_laps_with_two_senders() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = mpsc::channel::<Counted>(2);
        tx.try_send(Counted(drops.clone(), 0)).unwrap();
        assert_eq!(block_on(rx.recv()).unwrap().1, 0); // slot 0 is free again
        let tx2 = tx.clone();
        let d = drops.clone();
        let t = thread::spawn(move || {
            // Fails only if the receiver is already gone (the value comes back).
            let _ = block_on(tx2.send(Counted(d, 1)));
        });
        tx.try_send(Counted(drops.clone(), 2)).unwrap();
        let first = block_on(rx.recv()).unwrap();
        assert!(first.1 == 1 || first.1 == 2);
        drop(first);
        drop(rx);
        t.join().unwrap();
        drop(tx);
        assert_eq!(drops.load(Ordering::Relaxed), 3);
    });
}

#[test]
fn two_producers_cross_a_block_received_once_in_order() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = mpsc::unbounded_channel::<(u8, Counted)>();
        let tx2 = tx.clone();
        let d = drops.clone();
        // Indices 0..3 span two blocks; whoever claims index 2 walks past block 0.
        let a = thread::spawn(move || {
            tx2.send((0, Counted(d.clone(), 0))).unwrap();
            tx2.send((0, Counted(d, 1))).unwrap();
        });
        tx.send((1, Counted(drops.clone(), 0))).unwrap();
        drop(tx);
        let mut next = [0u8; 2];
        let mut got = 0;
        while let Some((p, c)) = block_on(rx.recv()) {
            assert_eq!(c.1, next[usize::from(p)], "per-producer order");
            next[usize::from(p)] += 1;
            got += 1;
        }
        a.join().unwrap();
        assert_eq!(got, 3);
        assert_eq!(next, [2, 1]);
        assert_eq!(drops.load(Ordering::Relaxed), 3);
    });
}

#[test]
fn block_is_reclaimed_while_the_other_producer_walks() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        tx.send(0).unwrap();
        let tx2 = tx.clone();
        // Indices 1, 2 (block 1 starts at 2) race with the receiver freeing block 0.
        let a = thread::spawn(move || {
            tx2.send(1).unwrap();
        });
        tx.send(2).unwrap();
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(block_on(rx.recv()).unwrap());
        }
        a.join().unwrap();
        tx.send(3).unwrap(); // index 3: block 1, after block 0 may be gone
        assert_eq!(rx.try_recv(), Ok(3));
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
    });
}

#[test]
fn receiver_drop_races_two_producers_and_drops_everything_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = mpsc::unbounded_channel::<Counted>();
        tx.send(Counted(drops.clone(), 0)).unwrap();
        let tx2 = tx.clone();
        let d = drops.clone();
        let a = thread::spawn(move || {
            // A failed send hands the value back; it drops here.
            let _ = tx2.send(Counted(d.clone(), 1));
            let _ = tx2.send(Counted(d, 2));
        });
        let d = drops.clone();
        let b = thread::spawn(move || {
            let _ = tx.send(Counted(d, 3));
        });
        drop(rx.try_recv());
        drop(rx);
        a.join().unwrap();
        b.join().unwrap();
        // The channel itself is gone now: every message was dropped exactly once, by
        // the receiver, its drain, the channel's drop or a failed send.
        assert_eq!(drops.load(Ordering::Relaxed), 4);
    });
}

/// The permit-vs-close race: a permit reserved before the close sends (or is dropped)
/// on another thread while the receiver closes and drains; a sent message is always
/// received, and the receiver always reaches the end.
#[test]
fn permit_send_races_with_close() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let permit_tx = tx.clone();
        let t = thread::spawn(move || {
            let permit = permit_tx.try_reserve().ok();
            match permit {
                Some(p) => {
                    p.send(1);
                    true
                }
                None => false,
            }
        });
        rx.close();
        let mut got = 0;
        while let Some(v) = block_on(rx.recv()) {
            assert_eq!(v, 1);
            got += 1;
        }
        let sent = t.join().unwrap();
        assert_eq!(got, usize::from(sent));
        drop(tx);
    });
}

#[test]
fn permit_drop_races_with_close() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let permit = tx.clone().try_reserve_owned().unwrap();
        let t = thread::spawn(move || drop(permit));
        rx.close();
        assert_eq!(block_on(rx.recv()), None);
        t.join().unwrap();
        drop(tx);
    });
}

#[test]
fn unbounded_send_races_with_close() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.send(1).is_ok());
        rx.close();
        let mut got = 0;
        while block_on(rx.recv()).is_some() {
            got += 1;
        }
        let sent = t.join().unwrap();
        assert_eq!(got, usize::from(sent));
        drop(tx);
    });
}

//! loom model of the mpsc channel: capacity hand-off and close detection.
#![cfg(loom)]

mod loom_support;

use loom::thread;

use corio_sync::mpsc;

#[test]
fn bounded_capacity_hand_off() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let t = thread::spawn(move || {
            loom_support::block_on(async {
                tx.send(1).await.unwrap();
                tx.send(2).await.unwrap(); // waits for the receiver to free the slot
            })
        });
        assert_eq!(loom_support::block_on(rx.recv()), Some(1));
        t.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    });
}

#[test]
fn bounded_two_senders_race_for_one_slot() {
    loom::model(|| {
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
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let t = thread::spawn(move || {
            tx.send(7).unwrap();
        });
        let got = loom_support::block_on(rx.recv());
        t.join().unwrap();
        assert_eq!(got, Some(7));
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    });
}

#[test]
fn receiver_drop_fails_a_waiting_sender_with_its_value() {
    loom::model(|| {
        let (tx, rx) = mpsc::channel::<u8>(1);
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || loom_support::block_on(tx.send(2)));
        drop(rx);
        assert_eq!(t.join().unwrap().unwrap_err().0, 2);
    });
}

#[test]
fn unbounded_push_wakes_a_parked_receiver_while_senders_live() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let tx2 = tx.clone();
        let t = thread::spawn(move || {
            tx2.send(1).unwrap();
            tx2.send(2).unwrap();
        });
        // `tx` stays alive: only the pushes' own wake-ups can end these waits.
        assert_eq!(loom_support::block_on(rx.recv()), Some(1));
        assert_eq!(loom_support::block_on(rx.recv()), Some(2));
        t.join().unwrap();
        drop(tx);
    });
}

#[test]
fn bounded_two_senders_wake_a_parked_receiver() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.try_send(1).unwrap());
        tx.try_send(2).unwrap();
        let mut got = [
            loom_support::block_on(rx.recv()).unwrap(),
            loom_support::block_on(rx.recv()).unwrap(),
        ];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        t.join().unwrap();
    });
}

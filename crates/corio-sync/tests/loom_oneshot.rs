//! loom model of oneshot: send vs receive vs drop on either side.
#![cfg(loom)]

mod loom_support;

use loom::thread;

use corio_sync::oneshot;

#[test]
fn send_races_receive() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel();
        let t = thread::spawn(move || tx.send(1u8).unwrap());
        assert_eq!(loom_support::block_on(rx), Ok(1));
        t.join().unwrap();
    });
}

#[test]
fn send_races_receiver_drop() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<Box<u8>>();
        let t = thread::spawn(move || tx.send(Box::new(1)).is_err());
        drop(rx);
        // Either the value came back, or it was stored and dropped with the channel:
        // loom checks for leaks and double frees.
        let _ = t.join().unwrap();
    });
}

#[test]
fn sender_drop_races_receive() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || drop(tx));
        assert!(loom_support::block_on(rx).is_err());
        t.join().unwrap();
    });
}

//! watch: latest value, changed(), closing.

use corio_sync::watch;
use corio_test_util::{count_waker, poll_once, poll_with};
use futures::executor::block_on;

#[test]
fn changed_completes_after_a_send_and_marks_seen() {
    let (tx, mut rx) = watch::channel(0);
    assert!(!rx.has_changed().unwrap());
    tx.send(1).unwrap();
    assert!(rx.has_changed().unwrap());
    block_on(rx.changed()).unwrap();
    assert_eq!(*rx.borrow(), 1);
    assert!(poll_once(&mut Box::pin(rx.changed())).is_pending());
}

#[test]
fn waiting_receiver_is_woken_once_per_send() {
    let (tx, mut rx) = watch::channel("a");
    let (c, w) = count_waker();
    let mut f = Box::pin(rx.changed());
    assert!(poll_with(&mut f, &w).is_pending());
    tx.send_modify(|v| *v = "b");
    assert_eq!(c.count(), 1);
    assert!(poll_once(&mut f).is_ready());
    drop(f);
    assert_eq!(*rx.borrow_and_update(), "b");
}

#[test]
fn sender_drop_ends_changed() {
    let (tx, mut rx) = watch::channel(());
    drop(tx);
    assert!(block_on(rx.changed()).is_err());
    assert!(rx.has_changed().is_err());
}

#[test]
fn send_without_receivers_fails_but_send_replace_works() {
    let (tx, rx) = watch::channel(1);
    drop(rx);
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(tx.send_replace(3), 1);
    assert_eq!(*tx.borrow(), 3);
    let rx = tx.subscribe();
    assert_eq!(*rx.borrow(), 3);
}

#[test]
fn halves_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let (tx, mut rx) = watch::channel(String::new());
    send_sync(&tx);
    send_sync(&rx.changed());
}

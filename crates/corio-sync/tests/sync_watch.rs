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

/// Rule 5: a receiver that read a value never sees that same value reported as a
/// change. A sender thread increments while a receiver thread reads, checks for a
/// change, and reads again; every reported change must show a larger value. (With the
/// version bumped after the value's lock was released, a read could pair the new value
/// with the old version, and the next check reported the value it had already read.)
#[test]
fn a_reported_change_is_never_the_value_already_read() {
    const SENDS: u64 = 200_000;
    for send in [0, 1, 2] {
        let (tx, mut rx) = watch::channel(0u64);
        let sender = std::thread::spawn(move || {
            for _ in 0..SENDS {
                match send {
                    0 => tx.send_modify(|v| *v += 1),
                    1 => drop(tx.send_if_modified(|v| {
                        *v += 1;
                        true
                    })),
                    _ => {
                        let next = *tx.borrow() + 1;
                        tx.send(next).unwrap();
                    }
                }
            }
        });
        let mut last = *rx.borrow_and_update();
        while last < SENDS {
            if rx.has_changed().unwrap_or(true) {
                let v = *rx.borrow_and_update();
                assert!(v > last, "reported change to {v} after reading {last}");
                last = v;
            }
        }
        sender.join().unwrap();
    }
}

// The receiver as a `Stream`: a clone of the value each time it changes (the value
// current at subscription counts as seen), ending once the sender is gone.

#[test]
fn stream_next_waits_for_a_later_send() {
    use futures::StreamExt;
    let (tx, mut rx) = watch::channel(0);
    {
        let mut next = corio_test_util::spawn(rx.next());
        assert!(next.poll().is_pending(), "the initial value counts as seen");
        assert!(next.poll().is_pending());
        assert!(!next.is_woken());
        tx.send(1).unwrap();
        assert_eq!(next.wake_count(), 1, "the send wakes the pending next()");
        assert_eq!(next.poll(), std::task::Poll::Ready(Some(1)));
    }
    // Seen: the next one waits for the next change, which `send_modify` makes.
    let mut next = corio_test_util::spawn(rx.next());
    assert!(next.poll().is_pending());
    tx.send_modify(|v| *v += 10);
    assert!(next.is_woken());
    assert_eq!(next.poll(), std::task::Poll::Ready(Some(11)));
}

#[test]
fn stream_is_not_woken_by_an_unmodified_send_if_modified() {
    use futures::StreamExt;
    let (tx, mut rx) = watch::channel(5);
    let mut next = corio_test_util::spawn(rx.next());
    assert!(next.poll().is_pending());
    assert!(!tx.send_if_modified(|_| false));
    assert!(!next.is_woken());
    assert!(next.poll().is_pending());
    assert!(tx.send_if_modified(|v| {
        *v = 6;
        true
    }));
    assert!(next.is_woken());
    assert_eq!(next.poll(), std::task::Poll::Ready(Some(6)));
}

#[test]
fn stream_ends_after_the_sender_is_dropped() {
    use futures::StreamExt;
    let (tx, mut rx) = watch::channel("a");
    // A pending `next()` is woken by the drop and ends.
    {
        let mut next = corio_test_util::spawn(rx.next());
        assert!(next.poll().is_pending());
        let tx2 = tx.subscribe(); // another receiver does not keep it open
        drop(tx2);
        assert!(!next.is_woken());
        tx.send("b").unwrap();
        assert!(next.is_woken());
        assert_eq!(next.poll(), std::task::Poll::Ready(Some("b")));
    }
    let mut next = corio_test_util::spawn(rx.next());
    assert!(next.poll().is_pending());
    drop(tx);
    assert!(next.is_woken(), "the drop wakes the pending next()");
    assert_eq!(next.poll(), std::task::Poll::Ready(None));
    drop(next);
    assert_eq!(block_on(rx.next()), None, "stays ended");
}

#[test]
fn stream_yields_a_change_left_unseen_before_the_end() {
    use futures::StreamExt;
    let (tx, rx) = watch::channel(0);
    let late = rx.clone();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    drop(tx);
    // Both sends merged into the latest value, yielded once, then the end.
    for mut rx in [late, rx] {
        assert_eq!(poll_once(&mut rx.next()), std::task::Poll::Ready(Some(2)));
        assert_eq!(poll_once(&mut rx.next()), std::task::Poll::Ready(None));
    }
}

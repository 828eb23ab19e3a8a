//! `tokio/tests/sync_watch.rs`, translated.

use corio::sync::watch;

use corio_test_util::{assert_pending, assert_ready, spawn};

#[test]
fn single_rx_recv() {
    let (tx, mut rx) = watch::channel("one");
    {
        // Not initially notified
        let mut t = spawn(rx.changed());
        assert_pending!(t.poll());
    }
    assert_eq!(*rx.borrow(), "one");
    {
        let mut t = spawn(rx.changed());
        assert_pending!(t.poll());
        tx.send("two").unwrap();
        assert!(t.is_woken());
        assert!(assert_ready!(t.poll()).is_ok());
    }
    assert_eq!(*rx.borrow(), "two");
    {
        let mut t = spawn(rx.changed());
        assert_pending!(t.poll());
        drop(tx);
        assert!(t.is_woken());
        assert!(assert_ready!(t.poll()).is_err());
    }
    assert_eq!(*rx.borrow(), "two");
}

#[test]
fn multi_rx() {
    let (tx, mut rx1) = watch::channel("one");
    let mut rx2 = rx1.clone();
    {
        let mut t1 = spawn(rx1.changed());
        let mut t2 = spawn(rx2.changed());
        assert_pending!(t1.poll());
        assert_pending!(t2.poll());
    }
    assert_eq!(*rx1.borrow(), "one");
    assert_eq!(*rx2.borrow(), "one");
    let mut t2 = spawn(rx2.changed());
    {
        let mut t1 = spawn(rx1.changed());
        assert_pending!(t1.poll());
        assert_pending!(t2.poll());
        tx.send("two").unwrap();
        assert!(t1.is_woken());
        assert!(t2.is_woken());
        assert!(assert_ready!(t1.poll()).is_ok());
    }
    assert_eq!(*rx1.borrow(), "two");
    {
        let mut t1 = spawn(rx1.changed());
        assert_pending!(t1.poll());
        tx.send("three").unwrap();
        assert!(t1.is_woken());
        assert!(t2.is_woken());
        assert!(assert_ready!(t1.poll()).is_ok());
        assert!(assert_ready!(t2.poll()).is_ok());
    }
    assert_eq!(*rx1.borrow(), "three");
    drop(t2);
    assert_eq!(*rx2.borrow(), "three");
    {
        let mut t1 = spawn(rx1.changed());
        let mut t2 = spawn(rx2.changed());
        assert_pending!(t1.poll());
        assert_pending!(t2.poll());
        tx.send("four").unwrap();
        assert!(assert_ready!(t1.poll()).is_ok());
        assert!(assert_ready!(t2.poll()).is_ok());
    }
    assert_eq!(*rx1.borrow(), "four");
    assert_eq!(*rx2.borrow(), "four");
}

#[test]
fn rx_observes_final_value() {
    // Initial value
    let (tx, mut rx) = watch::channel("one");
    drop(tx);
    {
        let mut t1 = spawn(rx.changed());
        assert!(assert_ready!(t1.poll()).is_err());
    }
    assert_eq!(*rx.borrow(), "one");
    // Sending a value
    let (tx, mut rx) = watch::channel("one");
    tx.send("two").unwrap();
    {
        let mut t1 = spawn(rx.changed());
        assert!(assert_ready!(t1.poll()).is_ok());
    }
    assert_eq!(*rx.borrow(), "two");
    {
        let mut t1 = spawn(rx.changed());
        assert_pending!(t1.poll());
        tx.send("three").unwrap();
        drop(tx);
        assert!(t1.is_woken());
        assert!(assert_ready!(t1.poll()).is_ok());
    }
    assert_eq!(*rx.borrow(), "three");
    {
        let mut t1 = spawn(rx.changed());
        assert!(assert_ready!(t1.poll()).is_err());
    }
    assert_eq!(*rx.borrow(), "three");
}

#[test]
fn poll_close() {
    let (tx, rx) = watch::channel("one");
    {
        let mut t = spawn(tx.closed());
        assert_pending!(t.poll());
        drop(rx);
        assert!(t.is_woken());
        assert_ready!(t.poll());
    }
    assert!(tx.send("two").is_err());
}

#[test]
fn borrow_and_update() {
    let (tx, mut rx) = watch::channel("one");
    assert!(!rx.has_changed().unwrap());
    tx.send("two").unwrap();
    assert!(rx.has_changed().unwrap());
    assert_ready!(spawn(rx.changed()).poll()).unwrap();
    assert_pending!(spawn(rx.changed()).poll());
    assert!(!rx.has_changed().unwrap());
    tx.send("three").unwrap();
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), "three");
    assert_pending!(spawn(rx.changed()).poll());
    assert!(!rx.has_changed().unwrap());
    drop(tx);
    assert_eq!(*rx.borrow_and_update(), "three");
    assert_ready!(spawn(rx.changed()).poll()).unwrap_err();
    assert!(rx.has_changed().is_err());
}

#[test]
fn reopened_after_subscribe() {
    let (tx, rx) = watch::channel("one");
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    let rx = tx.subscribe();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
}

#[test]
fn send_modify_panic() {
    let (tx, mut rx) = watch::channel("one");
    tx.send_modify(|old| *old = "two");
    assert_eq!(*rx.borrow_and_update(), "two");
    let mut rx2 = rx.clone();
    assert_eq!(*rx2.borrow_and_update(), "two");
    let mut task = spawn(rx2.changed());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tx.send_modify(|old| {
            *old = "panicked";
            panic!();
        })
    }));
    assert!(result.is_err());
    assert_pending!(task.poll());
    assert_eq!(*rx.borrow(), "panicked");
    tx.send_modify(|old| *old = "three");
    assert!(assert_ready!(task.poll()).is_ok());
    assert_eq!(*rx.borrow_and_update(), "three");
}

#[corio::test(start_paused = true)]
async fn changed_succeeds_on_closed_channel_with_unseen_value() {
    let (tx, mut rx) = watch::channel("A");
    tx.send("B").unwrap();
    drop(tx);
    rx.changed()
        .await
        .expect("should not return error as receiver has not seen value");
}

#[corio::test(start_paused = true)]
async fn changed_errors_on_closed_channel_with_seen_value() {
    let (tx, mut rx) = watch::channel("A");
    drop(tx);
    rx.changed()
        .await
        .expect_err("should return error as the channel is closed");
}

#[test]
fn has_changed_errors_on_closed_channel_with_unseen_value() {
    // corio kept tokio's rule: `has_changed` is an error once the sender is gone.
    let (tx, rx) = watch::channel("A");
    tx.send("B").unwrap();
    drop(tx);
    rx.has_changed()
        .expect_err("`has_changed` returns an error if and only if channel is closed");
}

#[test]
fn has_changed_errors_on_closed_channel_with_seen_value() {
    let (tx, rx) = watch::channel("A");
    drop(tx);
    rx.has_changed()
        .expect_err("`has_changed` returns an error if and only if channel is closed");
}

#[corio::test(start_paused = true)]
async fn wait_for_test() {
    let (tx, mut rx) = watch::channel(false);
    let tx_arc = std::sync::Arc::new(tx);
    let tx1 = tx_arc.clone();
    let tx2 = tx_arc.clone();
    let th1 = corio::spawn(async move {
        for _ in 0..1000 {
            tx1.send_modify(|it| *it = false);
            corio::yield_now().await;
        }
        tx1.send_modify(|it| *it = true);
    });
    let th2 = corio::spawn(async move {
        for _ in 0..1000 {
            tx2.send_modify(|it| *it = false);
            corio::yield_now().await;
        }
    });
    assert!(*rx.wait_for(|x| *x).await.unwrap());
    assert!(*rx.wait_for(|x| *x).await.unwrap());
    th1.await.unwrap();
    th2.await.unwrap();
}

#[corio::test(start_paused = true)]
async fn wait_for_returns_correct_value() {
    let (tx, mut rx) = watch::channel(0);
    let jh = corio::spawn(async move {
        for _ in 0..1000 {
            tx.send_modify(|x| *x += 1);
            corio::yield_now().await;
        }
    });
    // Stop at the first value we are called at.
    let mut stopped_at = usize::MAX;
    let returned = *rx
        .wait_for(|x| {
            stopped_at = *x;
            true
        })
        .await
        .unwrap();
    // Check that it returned the same value as the one we returned `true` for.
    assert_eq!(stopped_at, returned);
    jh.await.unwrap();
}

#[test]
fn send_if_modified() {
    let (tx, rx) = watch::channel("a");
    assert!(!tx.send_if_modified(|_| false));
    assert!(!rx.has_changed().unwrap());
    assert!(tx.send_if_modified(|v| {
        *v = "b";
        true
    }));
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow(), "b");
}

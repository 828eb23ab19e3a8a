//! Notify: notify_one permit, notify_waiters, cancellation passes notifications on.

use corio_sync::Notify;
use corio_test_util::{count_waker, poll_once, poll_with, Rng};

#[test]
fn notify_one_without_waiter_stores_one_permit() {
    let n = Notify::new();
    n.notify_one();
    n.notify_one();
    assert!(poll_once(&mut Box::pin(n.notified())).is_ready());
    assert!(poll_once(&mut Box::pin(n.notified())).is_pending());
}

#[test]
fn notify_one_wakes_waiters_in_fifo_order() {
    let n = Notify::new();
    let mut a = Box::pin(n.notified());
    let mut b = Box::pin(n.notified());
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    n.notify_one();
    assert!(poll_once(&mut b).is_pending());
    assert!(poll_once(&mut a).is_ready());
}

#[test]
fn notify_waiters_reaches_created_but_unpolled_futures_and_stores_nothing() {
    let n = Notify::new();
    let mut a = Box::pin(n.notified());
    let mut b = Box::pin(n.notified());
    assert!(poll_once(&mut a).is_pending());
    n.notify_waiters();
    assert!(poll_once(&mut a).is_ready());
    assert!(poll_once(&mut b).is_ready());
    assert!(poll_once(&mut Box::pin(n.notified())).is_pending());
}

#[test]
fn cancelled_notified_passes_notify_one_on() {
    let n = Notify::new();
    let mut a = Box::pin(n.notified());
    let mut b = Box::pin(n.notified());
    let (c, w) = count_waker();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_with(&mut b, &w).is_pending());
    n.notify_one();
    drop(a);
    assert_eq!(c.count(), 1);
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn cancelled_notified_from_notify_waiters_passes_nothing_on() {
    let n = Notify::new();
    let mut a = Box::pin(n.notified());
    assert!(poll_once(&mut a).is_pending());
    n.notify_waiters();
    drop(a);
    assert!(poll_once(&mut Box::pin(n.notified())).is_pending());
}

#[test]
fn randomized_cancellation_conserves_notify_one() {
    for seed in 1..60u64 {
        let mut rng = Rng::new(seed);
        let n = Notify::new();
        let mut waiting = Vec::new();
        for step in 0..200 {
            for _ in 0..rng.below(3) {
                let mut f = Box::pin(n.notified());
                assert!(poll_once(&mut f).is_pending());
                waiting.push(f);
            }
            let sent = rng.below(3);
            for _ in 0..sent {
                n.notify_one();
            }
            for _ in 0..rng.below(3) {
                if !waiting.is_empty() {
                    let i = rng.below(waiting.len());
                    drop(waiting.remove(i));
                }
            }
            let survivors = waiting.len();
            let mut completed = 0;
            let mut i = 0;
            while i < waiting.len() {
                if poll_once(&mut waiting[i]).is_ready() {
                    drop(waiting.remove(i));
                    completed += 1;
                } else {
                    i += 1;
                }
            }
            assert_eq!(completed, sent.min(survivors), "seed {seed} step {step}");
            // What found no waiter (directly or passed on) became the one permit.
            let stored = poll_once(&mut Box::pin(n.notified())).is_ready();
            assert_eq!(stored, sent > survivors, "seed {seed} step {step}: permit");
        }
    }
}

#[test]
fn is_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let n = Notify::new();
    send_sync(&n);
    send_sync(&n.notified());
}

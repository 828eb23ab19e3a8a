//! Condition: wait with the guard, notify(n), notify_all, wait_for, cancellation.

use std::task::Poll;

use corio_sync::Condition;
use corio_test_util::{poll_once, Rng};
use futures::executor::block_on;

#[test]
fn notify_wakes_n_waiters_in_fifo_order() {
    let c = Condition::new(Vec::new());
    let mut waiters: Vec<_> = (0..3)
        .map(|i| {
            let c = &c;
            Box::pin(async move {
                let g = c.lock().await;
                let mut g = c.wait(g).await;
                g.push(i);
            })
        })
        .collect();
    for w in &mut waiters {
        assert!(poll_once(w).is_pending());
    }
    assert_eq!(c.notify(2), 2);
    for w in &mut waiters {
        let _ = poll_once(w);
    }
    assert_eq!(*c.mutex().try_lock().unwrap(), [0, 1]);
    assert_eq!(c.notify_all(), 1);
    assert!(poll_once(&mut waiters[2]).is_ready());
}

#[test]
fn wait_for_rechecks_the_predicate() {
    let c = Condition::new(0);
    let mut f = Box::pin(async {
        let g = c.lock().await;
        *c.wait_for(g, |v| *v >= 2).await
    });
    assert!(poll_once(&mut f).is_pending());
    *c.mutex().try_lock().unwrap() = 1;
    c.notify_all();
    assert!(poll_once(&mut f).is_pending(), "predicate still false");
    *c.mutex().try_lock().unwrap() = 2;
    c.notify_all();
    assert_eq!(poll_once(&mut f), Poll::Ready(2));
}

#[test]
fn wait_for_returns_at_once_when_true() {
    let c = Condition::new(5);
    let v = block_on(async { *c.wait_for(c.lock().await, |v| *v == 5).await });
    assert_eq!(v, 5);
}

#[test]
fn wait_releases_and_reacquires_the_lock() {
    let c = Condition::new(());
    let mut f = Box::pin(async {
        let g = c.lock().await;
        let g = c.wait(g).await;
        assert!(c.mutex().is_locked());
        drop(g);
    });
    assert!(poll_once(&mut f).is_pending());
    let held = c.mutex().try_lock().expect("wait released the lock");
    c.notify(1);
    assert!(
        poll_once(&mut f).is_pending(),
        "must re-acquire before returning"
    );
    drop(held);
    assert!(poll_once(&mut f).is_ready());
}

#[test]
fn cancelled_notified_waiter_passes_the_notification_on() {
    let c = Condition::new(());
    let mk = || {
        Box::pin(async {
            let g = c.lock().await;
            drop(c.wait(g).await);
        })
    };
    let mut a = mk();
    let mut b = mk();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    let held = c.mutex().try_lock().unwrap();
    c.notify(1); // a is chosen...
    drop(a); // ...but cancelled while re-acquiring: b gets the notification
    drop(held);
    assert!(poll_once(&mut b).is_ready());
}

#[test]
#[should_panic(expected = "guard of another mutex")]
fn wait_with_a_foreign_guard_panics() {
    let c = Condition::new(());
    let other = Condition::new(());
    block_on(async {
        let g = other.lock().await;
        let _ = c.wait(g).await;
    });
}

#[test]
fn randomized_cancellation_never_loses_a_notification() {
    for seed in 1..60u64 {
        let mut rng = Rng::new(seed);
        let c = Condition::new(0u32);
        let mut waiting = Vec::new();
        for step in 0..200 {
            for _ in 0..rng.below(3) {
                let c = &c;
                let mut f = Box::pin(async move {
                    let g = c.lock().await;
                    drop(c.wait(g).await);
                });
                assert!(poll_once(&mut f).is_pending());
                waiting.push(f);
            }
            // Notify some, cancel some (possibly the notified ones), then run all.
            let popped = c.notify(rng.below(3));
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
            // A notification taken by a cancelled waiter goes to a survivor.
            assert_eq!(
                completed,
                popped.min(survivors),
                "seed {seed} step {step}: notification lost or duplicated"
            );
        }
    }
}

#[test]
fn is_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let c = Condition::new(1);
    send_sync(&c);
    send(&async {
        let g = c.lock().await;
        let _g = c.wait(g).await;
    });
}

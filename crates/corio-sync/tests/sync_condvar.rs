//! Condvar: conditions over a shared lock (asyncio's `Condition(lock)`), owned guards,
//! cancellation while waiting and while re-acquiring.

use std::sync::Arc;
use std::task::Poll;

use corio_sync::{Condition, Condvar, Mutex};
use corio_test_util::{poll_once, Rng};

#[test]
fn two_conditions_over_one_lock_wake_only_their_own_waiters() {
    let lock = Mutex::new(Vec::new());
    let (a, b) = (Condvar::new(), Condvar::new());
    let mk = |cv: &'static str| {
        let (lock, cond) = (&lock, if cv == "a" { &a } else { &b });
        Box::pin(async move {
            let g = lock.lock().await;
            let mut g = cond.wait(g).await;
            g.push(cv);
        })
    };
    let mut on_a = mk("a");
    let mut on_b = mk("b");
    assert!(poll_once(&mut on_a).is_pending());
    assert!(poll_once(&mut on_b).is_pending());
    assert!(!lock.is_locked(), "both waiters gave the shared lock up");
    assert_eq!((a.waiters(), b.waiters()), (1, 1));
    assert!(b.notify_one());
    assert!(
        poll_once(&mut on_a).is_pending(),
        "a's waiter was not notified"
    );
    assert!(poll_once(&mut on_b).is_ready());
    assert!(a.notify_one());
    assert!(poll_once(&mut on_a).is_ready());
    assert!(!a.notify_one(), "nobody left");
    assert_eq!(*lock.try_lock().unwrap(), ["b", "a"]);
}

#[test]
fn a_condition_lock_shared_with_a_condvar() {
    // asyncio: `cond2 = Condition(cond1._lock)`.
    let c = Condition::new(0);
    let other = Condvar::new();
    let mut f = Box::pin(async {
        let g = c.lock().await;
        *other.wait_for(g, |v| *v == 3).await
    });
    assert!(poll_once(&mut f).is_pending());
    *c.mutex().try_lock().unwrap() = 3;
    assert_eq!(c.notify_all(), 0, "the waiter is on the other condition");
    assert!(poll_once(&mut f).is_pending());
    other.notify_all();
    assert_eq!(poll_once(&mut f), Poll::Ready(3));
}

#[test]
fn one_condvar_serves_guards_of_different_mutexes() {
    let (m1, m2) = (Mutex::new(1), Mutex::new(2));
    let cv = Condvar::new();
    let mut w1 = Box::pin(async { *cv.wait(m1.lock().await).await });
    let mut w2 = Box::pin(async { *cv.wait(m2.lock().await).await });
    assert!(poll_once(&mut w1).is_pending());
    assert!(poll_once(&mut w2).is_pending());
    let held = m1.try_lock().unwrap();
    assert_eq!(cv.notify_all(), 2);
    assert!(poll_once(&mut w1).is_pending(), "m1 is held");
    assert_eq!(poll_once(&mut w2), Poll::Ready(2), "m2 is free");
    drop(held);
    assert_eq!(poll_once(&mut w1), Poll::Ready(1));
}

#[test]
fn wait_releases_and_reacquires_the_lock() {
    let m = Mutex::new(());
    let cv = Condvar::new();
    let mut f = Box::pin(async {
        let g = cv.wait(m.lock().await).await;
        assert!(m.is_locked());
        drop(g);
    });
    assert!(poll_once(&mut f).is_pending());
    let held = m.try_lock().expect("wait released the lock");
    cv.notify_one();
    assert!(
        poll_once(&mut f).is_pending(),
        "re-acquires before returning"
    );
    drop(held);
    assert!(poll_once(&mut f).is_ready());
    assert!(!m.is_locked());
}

#[test]
fn notify_before_the_waiter_releases_is_not_missed() {
    // Rule 1: the waiter joins the queue before it gives the lock up.
    let m = Mutex::new(false);
    let cv = Condvar::new();
    let mut f = Box::pin(async { *cv.wait_for(m.lock().await, |ready| *ready).await });
    assert!(poll_once(&mut f).is_pending());
    let mut g = m.try_lock().unwrap();
    *g = true;
    cv.notify_one();
    drop(g);
    assert_eq!(poll_once(&mut f), Poll::Ready(true));
}

#[test]
fn cancelled_notified_waiter_passes_the_notification_on() {
    let m = Mutex::new(());
    let cv = Condvar::new();
    let mk = || Box::pin(async { drop(cv.wait(m.lock().await).await) });
    let mut a = mk();
    let mut b = mk();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    let held = m.try_lock().unwrap();
    assert_eq!(cv.notify(1), 1); // a is chosen...
    assert!(poll_once(&mut a).is_pending(), "a waits for the lock");
    drop(a); // ...but cancelled while re-acquiring: b gets the notification
    drop(held);
    assert!(poll_once(&mut b).is_ready());
    assert!(!m.is_locked(), "nobody kept the lock");
}

#[test]
fn cancelled_waiter_after_getting_the_lock_back_releases_it() {
    // Re-acquired, not yet resumed: dropping the future must not keep the lock.
    let m = Mutex::new(());
    let cv = Condvar::new();
    let mut a = Box::pin(async {
        let g = cv.wait(m.lock().await).await;
        std::future::pending::<()>().await;
        drop(g);
    });
    assert!(poll_once(&mut a).is_pending());
    cv.notify_one();
    assert!(poll_once(&mut a).is_pending());
    assert!(m.is_locked(), "a holds the lock again");
    drop(a);
    assert!(!m.is_locked());
    assert_eq!(cv.waiters(), 0);
}

#[test]
fn owned_guards_in_spawned_tasks_with_corio_cancel() {
    let rt = corio::Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let m = Arc::new(Mutex::new(0u32));
        let cv = Arc::new(Condvar::new());
        let spawn_waiter = |id: u32| {
            let (m, cv) = (m.clone(), cv.clone());
            corio::spawn(async move {
                let g = m.lock_owned().await;
                let mut g = cv.wait_owned(g).await;
                *g += id;
            })
        };
        let first = spawn_waiter(1);
        let second = spawn_waiter(10);
        corio::task::yield_now().await;
        assert_eq!(cv.waiters(), 2);

        // Cancel while waiting: the waiter leaves the queue and the lock stays free.
        assert!(first.cancel());
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(cv.waiters(), 1);
        assert!(!m.is_locked());

        // Notify while holding the lock, cancel the notified waiter before it gets
        // the lock back: the notification reaches the next waiter.
        let third = spawn_waiter(100);
        corio::task::yield_now().await;
        let g = m.clone().lock_owned().await;
        assert_eq!(cv.notify(1), 1); // `second` is chosen
        corio::task::yield_now().await; // it now waits for the lock
        assert!(second.cancel());
        assert!(second.await.unwrap_err().is_cancelled());
        drop(g);
        corio::time::timeout(std::time::Duration::from_secs(5), third)
            .await
            .expect("the notification reached the third waiter")
            .unwrap();
        assert_eq!(*m.lock().await, 100, "only the third waiter ran on");
        assert_eq!(cv.waiters(), 0);
    });
}

#[test]
fn randomized_cancellation_over_a_shared_lock_never_loses_a_notification() {
    for seed in 1..40u64 {
        let mut rng = Rng::new(seed);
        let m = Mutex::new(());
        let cvs = [Condvar::new(), Condvar::new()];
        let mut waiting: [Vec<_>; 2] = [Vec::new(), Vec::new()];
        for step in 0..150 {
            for (which, list) in waiting.iter_mut().enumerate() {
                for _ in 0..rng.below(3) {
                    let (m, cv) = (&m, &cvs[which]);
                    let mut f = Box::pin(async move { drop(cv.wait(m.lock().await).await) });
                    assert!(poll_once(&mut f).is_pending());
                    list.push(f);
                }
            }
            let held = if rng.below(2) == 0 {
                m.try_lock().ok()
            } else {
                None
            };
            let n0 = [waiting[0].len(), waiting[1].len()];
            let popped = [cvs[0].notify(rng.below(3)), cvs[1].notify(rng.below(3))];
            let mut completed = [0, 0];
            let mut cancelled = [0, 0];
            for (which, list) in waiting.iter_mut().enumerate() {
                // Let notified ones run (or queue for a held lock), then cancel some.
                completed[which] += poll_all(list);
                for _ in 0..rng.below(3) {
                    if !list.is_empty() {
                        let i = rng.below(list.len());
                        drop(list.remove(i));
                        cancelled[which] += 1;
                    }
                }
            }
            drop(held);
            // The lock passes from one survivor to the next (of either condition):
            // poll until nobody makes progress.
            loop {
                let done = [poll_all(&mut waiting[0]), poll_all(&mut waiting[1])];
                completed[0] += done[0];
                completed[1] += done[1];
                if done == [0, 0] {
                    break;
                }
            }
            for which in 0..2 {
                assert_eq!(
                    completed[which],
                    popped[which].min(n0[which] - cancelled[which]),
                    "seed {seed} step {step} cond {which}: notification lost or duplicated"
                );
            }
            assert!(!m.is_locked(), "seed {seed} step {step}: lock leaked");
        }
    }
}

/// Polls each future once, dropping the finished ones; returns how many finished.
fn poll_all<F: std::future::Future<Output = ()> + Unpin>(list: &mut Vec<F>) -> usize {
    let before = list.len();
    list.retain_mut(|f| poll_once(f).is_pending());
    before - list.len()
}

#[test]
fn is_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let cv = Condvar::new();
    let m = Arc::new(Mutex::new(1));
    send_sync(&cv);
    send(&async {
        let _g = cv.wait(m.lock().await).await;
    });
    send(&async {
        let _g = cv.wait_owned(m.clone().lock_owned().await).await;
    });
}

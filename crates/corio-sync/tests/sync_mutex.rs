//! Mutex behaviour: exclusion, FIFO hand-off, cancellation, owned guards.

use std::sync::Arc;
use std::task::Poll;

use corio_sync::Mutex;
use corio_test_util::{count_waker, poll_once, poll_with, Rng};
use futures::executor::block_on;

#[test]
fn lock_gives_exclusive_access() {
    let m = Mutex::new(0);
    block_on(async {
        let mut g = m.lock().await;
        *g += 1;
        assert!(m.try_lock().is_err());
        assert!(m.is_locked());
    });
    assert!(!m.is_locked());
    assert_eq!(m.into_inner(), 1);
}

#[test]
fn waiters_get_the_lock_in_fifo_order() {
    let m = Mutex::new(Vec::new());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(async {
        m.lock().await.push('a');
    });
    let mut b = Box::pin(async {
        m.lock().await.push('b');
    });
    assert!(poll_once(&mut b).is_pending());
    assert!(poll_once(&mut a).is_pending());
    drop(g);
    // b queued first, so b goes first even though a is polled first.
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_ready());
    assert!(poll_once(&mut a).is_ready());
    assert_eq!(*m.try_lock().unwrap(), ['b', 'a']);
}

#[test]
fn cancelled_waiter_that_was_handed_the_lock_passes_it_on() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    let (wb, waker_b) = count_waker();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_with(&mut b, &waker_b).is_pending());
    drop(g);
    drop(a);
    assert_eq!(wb.count(), 1);
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn try_lock_does_not_jump_a_queued_waiter() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    drop(g);
    assert!(
        m.try_lock().is_err(),
        "the lock was handed to the queued waiter"
    );
    assert!(matches!(poll_once(&mut a), Poll::Ready(_)));
}

#[test]
fn lock_owned_is_static_and_works_on_a_thread_pool() {
    let m = Arc::new(Mutex::new(0u64));
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(2)
        .create()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..6 {
        let (m, tx) = (m.clone(), tx.clone());
        pool.spawn_ok(async move {
            for _ in 0..200 {
                let mut g = m.clone().lock_owned().await;
                let v = *g;
                *g = v + 1;
            }
            tx.send(()).unwrap();
        });
    }
    for _ in 0..6 {
        rx.recv().unwrap();
    }
    assert_eq!(*block_on(m.lock()), 1200);
}

#[test]
fn randomized_cancellation_never_loses_the_lock() {
    for seed in 1..30u64 {
        let mut rng = Rng::new(seed);
        let m = Mutex::new(0usize);
        let mut waiting = Vec::new();
        let mut held = None;
        for _ in 0..300 {
            match rng.below(4) {
                0 => {
                    let mut f = Box::pin(m.lock());
                    match poll_once(&mut f) {
                        Poll::Ready(g) => {
                            assert!(held.is_none(), "seed {seed}: two holders");
                            held = Some(g);
                        }
                        Poll::Pending => waiting.push(f),
                    }
                }
                1 if !waiting.is_empty() => {
                    let i = rng.below(waiting.len());
                    drop(waiting.remove(i));
                }
                2 => held = None,
                _ => {
                    let mut i = 0;
                    while i < waiting.len() {
                        if let Poll::Ready(g) = poll_once(&mut waiting[i]) {
                            assert!(held.is_none(), "seed {seed}: two holders");
                            held = Some(g);
                            drop(waiting.remove(i));
                        } else {
                            i += 1;
                        }
                    }
                }
            }
        }
        drop(waiting);
        drop(held);
        assert!(m.try_lock().is_ok(), "seed {seed}: lock lost");
    }
}

#[test]
fn guards_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let m = Arc::new(Mutex::new(1));
    send(&m.lock());
    send(&m.clone().lock_owned());
    send_sync(&m.try_lock().unwrap());
    send_sync(&m);
}

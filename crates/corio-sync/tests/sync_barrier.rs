//! Barrier: parties, leader, reuse, abort/reset, cancellation.

use std::task::Poll;

use corio_sync::Barrier;
use corio_test_util::poll_once;
use futures::future::join_all;

#[test]
fn releases_all_parties_with_exactly_one_leader() {
    let b = Barrier::new(4);
    for _round in 0..3 {
        let results = futures::executor::block_on(join_all((0..4).map(|_| b.wait())));
        assert_eq!(results.iter().filter(|r| r.unwrap().is_leader()).count(), 1);
        assert_eq!(b.n_waiting(), 0);
    }
}

#[test]
fn waits_until_the_last_party() {
    let b = Barrier::new(2);
    let mut a = b.wait();
    assert!(poll_once(&mut a).is_pending());
    assert_eq!(b.n_waiting(), 1);
    let mut c = b.wait();
    assert!(matches!(poll_once(&mut c), Poll::Ready(Ok(r)) if r.is_leader()));
    assert!(matches!(poll_once(&mut a), Poll::Ready(Ok(r)) if !r.is_leader()));
}

#[test]
fn abort_breaks_current_and_later_waiters_until_reset() {
    let b = Barrier::new(3);
    let mut a = b.wait();
    assert!(poll_once(&mut a).is_pending());
    b.abort();
    assert!(b.is_broken());
    assert!(matches!(poll_once(&mut a), Poll::Ready(Err(_))));
    assert_eq!(
        poll_once(&mut b.wait()).map(|r| r.unwrap_err().to_string()),
        Poll::Ready("barrier is broken".to_string())
    );
    b.reset();
    assert!(!b.is_broken());
    let mut x = b.wait();
    assert!(poll_once(&mut x).is_pending());
}

#[test]
fn reset_fails_current_waiters_and_empties_the_barrier() {
    let b = Barrier::new(2);
    let mut a = b.wait();
    assert!(poll_once(&mut a).is_pending());
    b.reset();
    assert!(matches!(poll_once(&mut a), Poll::Ready(Err(_))));
    assert_eq!(b.n_waiting(), 0);
    let results = futures::executor::block_on(join_all((0..2).map(|_| b.wait())));
    assert!(results.iter().all(|r| r.is_ok()));
}

#[test]
fn cancelled_waiter_does_not_count() {
    let b = Barrier::new(2);
    let mut a = b.wait();
    assert!(poll_once(&mut a).is_pending());
    drop(a);
    assert_eq!(b.n_waiting(), 0);
    let mut c = b.wait();
    assert!(
        poll_once(&mut c).is_pending(),
        "the cancelled one must not trip it"
    );
}

#[test]
fn waiter_from_an_old_round_sees_its_own_outcome() {
    let b = Barrier::new(2);
    let mut a = b.wait();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b.wait()).is_ready()); // round 1 trips
    let mut c = b.wait();
    // Round 1 is draining (`a` has not returned): `c` is blocked, not counted.
    assert!(poll_once(&mut c).is_pending());
    assert_eq!(b.n_waiting(), 0);
    b.reset(); // nobody has joined round 2: it breaks nobody
    assert!(matches!(poll_once(&mut a), Poll::Ready(Ok(_))));
    // Round 1 drained: `c` joins round 2 when polled, and waits for a partner.
    assert!(poll_once(&mut c).is_pending());
    assert_eq!(b.n_waiting(), 1);
    let mut d = b.wait();
    assert!(matches!(poll_once(&mut d), Poll::Ready(Ok(r)) if r.is_leader() && r.index() == 1));
    assert!(matches!(poll_once(&mut c), Poll::Ready(Ok(r)) if r.index() == 0));
}

/// CPython's `BarrierTests.test_reset_barrier_while_tasks_draining`: the last task
/// of a round resets the barrier while the others already wait for the next round;
/// asyncio's draining phase keeps them out of the round until every task of the old
/// one has left, so the reset breaks nobody.
#[test]
fn reset_barrier_while_tasks_draining() {
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    const N: usize = 5;
    let barrier = Rc::new(Barrier::new(N));
    let count = Rc::new(Cell::new(0));
    let results = Rc::new(RefCell::new((0, 0, 0)));
    let mut pool = LocalPool::new();
    for _ in 0..N {
        let (barrier, count, results) = (barrier.clone(), count.clone(), results.clone());
        pool.spawner()
            .spawn_local(async move {
                barrier.wait().await.unwrap();
                count.set(count.get() + 1);
                if count.get() == N {
                    // last task exited from the barrier
                    barrier.reset();
                    // wait here to reach the `parties`
                    barrier.wait().await.unwrap();
                } else {
                    match barrier.wait().await {
                        Ok(_) => results.borrow_mut().0 += 1,  // N-1 tasks here
                        Err(_) => results.borrow_mut().1 += 1, // never
                    }
                }
                // Now, pass the barrier again: the last wait must complete.
                barrier.wait().await.unwrap();
                results.borrow_mut().2 += 1;
            })
            .unwrap();
    }
    pool.run();
    assert!(!barrier.is_broken());
    assert_eq!(*results.borrow(), (N - 1, 0, N));
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn abort_fails_arrivals_blocked_while_draining() {
    let b = Barrier::new(2);
    let mut a = b.wait();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b.wait()).is_ready());
    let mut c = b.wait();
    assert!(poll_once(&mut c).is_pending()); // blocked: round 1 drains
    b.abort();
    assert!(matches!(poll_once(&mut c), Poll::Ready(Err(_))));
    assert!(matches!(poll_once(&mut a), Poll::Ready(Ok(_)))); // its own outcome
}

#[test]
fn a_blocked_arrival_dropped_while_draining_is_never_counted() {
    let b = Barrier::new(2);
    let mut a = b.wait();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b.wait()).is_ready());
    let mut c = b.wait();
    assert!(poll_once(&mut c).is_pending());
    drop(c);
    assert!(poll_once(&mut a).is_ready());
    assert_eq!(b.n_waiting(), 0);
    let mut d = b.wait();
    assert!(
        poll_once(&mut d).is_pending(),
        "the dropped arrival must not count"
    );
}

#[test]
#[should_panic(expected = "at least one party")]
fn zero_parties_panics() {
    let _ = Barrier::new(0);
}

#[test]
fn is_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let b = Barrier::new(1);
    send_sync(&b);
    send_sync(&b.wait());
}

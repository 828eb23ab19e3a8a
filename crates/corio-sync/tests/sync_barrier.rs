//! Barrier: parties, leader, reuse, abort/reset, cancellation.

mod support;

use std::task::Poll;

use corio_sync::Barrier;
use futures::future::join_all;
use support::poll_once;

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
    assert!(poll_once(&mut c).is_pending());
    b.reset(); // round 2 broken
    assert!(matches!(poll_once(&mut a), Poll::Ready(Ok(_))));
    assert!(matches!(poll_once(&mut c), Poll::Ready(Err(_))));
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

//! OnceCell and SetOnce: one initialiser at a time, cancellation and failure leave the
//! cell empty for the next caller, waiters of a SetOnce see the value.

use std::cell::Cell;
use std::task::Poll;

use corio_sync::{OnceCell, SetError, SetOnce};
use corio_test_util::{count_waker, poll_with};
use futures::executor::block_on;

#[test]
fn one_initialiser_at_a_time_and_the_second_caller_gets_the_first_value() {
    let cell = OnceCell::new();
    let runs = Cell::new(0);
    let (c1, w1) = count_waker();
    let (_c2, w2) = count_waker();
    let gate = corio_sync::Event::new();
    let mut first = Box::pin(cell.get_or_init(|| async {
        runs.set(runs.get() + 1);
        gate.wait().await;
        1
    }));
    let mut second = Box::pin(cell.get_or_init(|| async {
        runs.set(runs.get() + 1);
        2
    }));
    assert!(poll_with(&mut first, &w1).is_pending());
    assert!(
        poll_with(&mut second, &w2).is_pending(),
        "waits for the running initialiser"
    );
    assert!(matches!(cell.set(9), Err(SetError::InitializingError(9))));
    gate.set();
    assert!(c1.count() >= 1);
    assert_eq!(poll_with(&mut first, &w1), Poll::Ready(&1));
    assert_eq!(poll_with(&mut second, &w2), Poll::Ready(&1));
    assert_eq!(runs.get(), 1);
    assert!(matches!(cell.set(9), Err(SetError::AlreadyInitialized(9))));
}

#[test]
fn a_cancelled_initialiser_lets_the_next_caller_run_its_own() {
    let cell = OnceCell::new();
    let gate = corio_sync::Event::new();
    let (_c, w) = count_waker();
    let mut first = Box::pin(cell.get_or_init(|| async {
        gate.wait().await;
        1
    }));
    let mut second = Box::pin(cell.get_or_init(|| async { 2 }));
    assert!(poll_with(&mut first, &w).is_pending());
    assert!(poll_with(&mut second, &w).is_pending());
    drop(first); // cancelled mid-initialisation
    assert_eq!(poll_with(&mut second, &w), Poll::Ready(&2));
    assert_eq!(cell.get(), Some(&2));
}

#[test]
fn a_failed_initialiser_leaves_the_cell_empty() {
    let mut cell = OnceCell::<u8>::new();
    assert_eq!(
        block_on(cell.get_or_try_init(|| async { Err("no") })),
        Err("no")
    );
    assert!(!cell.initialized());
    cell.set(4).unwrap();
    assert_eq!(cell.take(), Some(4));
    assert_eq!(cell.into_inner(), None);
}

#[test]
fn set_once_wakes_every_waiter_and_refuses_a_second_value() {
    let cell = SetOnce::new();
    let (c1, w1) = count_waker();
    let (c2, w2) = count_waker();
    let mut a = Box::pin(cell.wait());
    let mut b = Box::pin(cell.wait());
    assert!(poll_with(&mut a, &w1).is_pending());
    assert!(poll_with(&mut b, &w2).is_pending());
    cell.set("v").unwrap();
    assert_eq!((c1.count(), c2.count()), (1, 1));
    assert_eq!(poll_with(&mut a, &w1), Poll::Ready(&"v"));
    assert_eq!(poll_with(&mut b, &w2), Poll::Ready(&"v"));
    assert_eq!(cell.set("w").unwrap_err().0, "w");
    assert_eq!(block_on(cell.wait()), &"v");
}

#[test]
fn set_once_across_threads() {
    let cell = std::sync::Arc::new(SetOnce::new());
    let c = cell.clone();
    let t = std::thread::spawn(move || c.set(5).unwrap());
    assert_eq!(*block_on(cell.wait()), 5);
    t.join().unwrap();
}

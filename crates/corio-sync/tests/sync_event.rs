//! Event: set/clear/is_set/wait, asyncio's "woken even if cleared again".

use corio_sync::Event;
use corio_test_util::{count_waker, poll_once, poll_with};

#[test]
fn wait_completes_at_once_when_set() {
    let e = Event::new();
    e.set();
    assert!(poll_once(&mut e.wait()).is_ready());
}

#[test]
fn set_wakes_every_waiter_once() {
    let e = Event::new();
    let (c, w) = count_waker();
    let mut waits: Vec<_> = (0..40).map(|_| e.wait()).collect();
    for f in &mut waits {
        assert!(poll_with(f, &w).is_pending());
    }
    e.set();
    e.set();
    assert_eq!(c.count(), 40);
    for f in &mut waits {
        assert!(poll_once(f).is_ready());
    }
}

#[test]
fn waiter_released_by_set_completes_even_if_cleared() {
    let e = Event::new();
    let mut f = e.wait();
    assert!(poll_once(&mut f).is_pending());
    e.set();
    e.clear();
    assert!(!e.is_set());
    assert!(poll_once(&mut f).is_ready());
    assert!(poll_once(&mut e.wait()).is_pending());
}

#[test]
fn dropped_waiter_leaves_no_trace() {
    let e = Event::new();
    let mut f = e.wait();
    assert!(poll_once(&mut f).is_pending());
    drop(f);
    let (c, w) = count_waker();
    let mut g = e.wait();
    assert!(poll_with(&mut g, &w).is_pending());
    e.set();
    assert_eq!(c.count(), 1);
}

#[test]
fn works_across_threads() {
    let e = std::sync::Arc::new(Event::new());
    let e2 = e.clone();
    let t = std::thread::spawn(move || futures::executor::block_on(e2.wait()));
    e.set();
    t.join().unwrap();
}

#[test]
fn is_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let e = Event::new();
    send_sync(&e);
    send_sync(&e.wait());
}

//! BoundedSemaphore: releasing past the initial count is an error.

use corio_sync::BoundedSemaphore;
use corio_test_util::poll_once;
use futures::executor::block_on;

#[test]
fn release_past_initial_count_is_an_error() {
    let s = BoundedSemaphore::new(2);
    assert_eq!(
        s.release().unwrap_err().to_string(),
        "bounded semaphore released too many times"
    );
    block_on(s.acquire()).unwrap().forget();
    assert_eq!(s.available_permits(), 1);
    s.release().unwrap();
    assert!(s.release().is_err());
    assert_eq!(s.available_permits(), 2);
}

#[test]
fn guard_drop_releases_within_the_bound() {
    let s = BoundedSemaphore::new(1);
    let g = s.try_acquire().unwrap();
    assert!(s.locked());
    s.release().unwrap(); // a stray release refills the count...
    drop(g); // ...so the guard's release is the one too many and is refused
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn release_hands_the_permit_to_a_waiter() {
    let s = BoundedSemaphore::new(1);
    s.try_acquire().unwrap().forget();
    let mut w = Box::pin(s.acquire());
    assert!(poll_once(&mut w).is_pending());
    s.release().unwrap();
    assert!(poll_once(&mut w).is_ready());
}

#[test]
fn zero_bound_never_accepts_a_release() {
    let s = BoundedSemaphore::new(0);
    assert!(s.release().is_err());
}

//! A dropped sleep's entry is kept as a spare for the next registration. The spare keeps
//! its last owner's waker, so a task that sleeps again re-registers without cloning it,
//! but only until the driver blocks: an idle runtime keeps no task alive through its
//! spares. And the `Sleep` itself stays small enough to move without a `memcpy` call.
mod support;

use std::sync::Arc;
use std::time::Duration;

use corio_core::Driver;
use corio_test_util::{count_waker, poll_with};
use corio_timer::{sleep, Sleep};
use support::Rt;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn spare_keeps_the_waker_until_the_driver_blocks() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (wakes, w) = count_waker();
    // Ours and `w`'s.
    assert_eq!(Arc::strong_count(&wakes), 2);
    let mut s = sleep(ms(10));
    assert!(poll_with(&mut s, &w).is_pending());
    assert_eq!(Arc::strong_count(&wakes), 3, "the entry holds a clone");
    drop(s);
    assert_eq!(Arc::strong_count(&wakes), 3, "the spare keeps it");
    // The same task sleeps again: the spare is re-armed, the waker not cloned again.
    for _ in 0..3 {
        let mut s = sleep(ms(10));
        assert!(poll_with(&mut s, &w).is_pending());
        assert_eq!(Arc::strong_count(&wakes), 3);
        drop(s);
    }
    // A non-blocking poll of the driver keeps it (the runtime is busy).
    rt.driver.park(Some(Duration::ZERO));
    assert_eq!(Arc::strong_count(&wakes), 3);
    // The driver blocks (nothing armed: until the timeout): the spare lets go.
    rt.driver.park(Some(Duration::from_micros(100)));
    assert_eq!(
        Arc::strong_count(&wakes),
        2,
        "dropped before the driver blocked"
    );
    // The bare spare is re-armed by another sleep, which registers its own waker.
    let (other, w2) = count_waker();
    let mut s = sleep(ms(10));
    assert!(poll_with(&mut s, &w2).is_pending());
    assert_eq!(Arc::strong_count(&other), 3);
    assert!(rt.driver.park(None), "jumps to the deadline and fires");
    assert_eq!(other.count(), 1);
    assert_eq!(wakes.count(), 0);
    assert!(poll_with(&mut s, &w2).is_ready());
}

#[test]
fn a_spare_registered_by_another_task_wakes_only_the_new_one() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (first, w1) = count_waker();
    let mut s = sleep(ms(5));
    assert!(poll_with(&mut s, &w1).is_pending());
    drop(s); // a spare holding `w1`
    let (second, w2) = count_waker();
    let mut s = sleep(ms(5));
    assert!(poll_with(&mut s, &w2).is_pending());
    assert_eq!(
        Arc::strong_count(&first),
        2,
        "the old waker was replaced and dropped"
    );
    assert!(rt.driver.park(None));
    assert_eq!((first.count(), second.count()), (0, 1));
    assert!(poll_with(&mut s, &w2).is_ready());
}

#[test]
fn driver_drop_releases_the_spares_wakers() {
    let rt = Rt::paused();
    let (wakes, w) = count_waker();
    {
        let _g = rt.enter();
        let mut s = sleep(ms(10));
        assert!(poll_with(&mut s, &w).is_pending());
    }
    assert_eq!(Arc::strong_count(&wakes), 3);
    drop(rt);
    assert_eq!(Arc::strong_count(&wakes), 2);
}

#[test]
fn sleep_moves_without_a_memcpy_call() {
    // 56 bytes: two of them and a tag fit the 128 bytes LLVM copies inline on x86-64.
    assert!(std::mem::size_of::<Sleep>() <= 56);
}

#[test]
fn a_sleep_of_centuries_keeps_its_exact_deadline_and_never_fires() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let long = Duration::from_secs(600 * 365 * 86_400);
    let mut s = sleep(long);
    assert_eq!(s.deadline() - rt.start, long);
    let (wakes, w) = count_waker();
    assert!(poll_with(&mut s, &w).is_pending());
    assert!(rt.driver.is_empty(), "never filed");
    assert!(!rt.driver.park(Some(Duration::from_micros(100))));
    assert_eq!(wakes.count(), 0);
}

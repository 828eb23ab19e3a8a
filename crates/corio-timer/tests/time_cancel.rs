//! Dropping a timer cancels it: it never fires, it leaves the wheel, others are unaffected.
mod support;

use std::task::Poll;
use std::time::Duration;

use corio_core::Driver;
use corio_test_util::{count_waker, poll_with};
use corio_timer::sleep;
use support::{ms, Rt};

#[test]
fn dropped_sleep_never_fires_and_leaves_the_wheel() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (c1, w1) = count_waker();
    let (c2, w2) = count_waker();
    let mut a = sleep(ms(10));
    let mut b = sleep(ms(20));
    assert!(poll_with(&mut a, &w1).is_pending());
    assert!(poll_with(&mut b, &w2).is_pending());
    rt.driver.turn();
    assert_eq!(rt.driver.len(), 2);
    drop(a);
    rt.driver.turn();
    assert_eq!(rt.driver.len(), 1);
    assert!(rt.driver.park(None));
    assert_eq!(
        rt.elapsed(),
        ms(20),
        "the cancelled 10 ms deadline was skipped"
    );
    assert_eq!((c1.count(), c2.count()), (0, 1));
    assert_eq!(poll_with(&mut b, &w2), Poll::Ready(()));
    assert!(rt.driver.is_empty());
}

#[test]
fn cancel_before_the_driver_saw_the_registration() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (c, w) = count_waker();
    for _ in 0..100 {
        let mut s = sleep(ms(5));
        assert!(poll_with(&mut s, &w).is_pending());
    }
    rt.driver.turn();
    assert!(rt.driver.is_empty());
    // Nothing left to jump to: an idle paused driver does not move the clock.
    assert!(!rt.driver.park(Some(Duration::from_micros(100))));
    assert_eq!(rt.elapsed(), Duration::ZERO);
    assert_eq!(c.count(), 0);
}

#[test]
fn cancelled_earliest_deadline_is_a_harmless_lower_bound() {
    // The 1.2 ms and 1.5 ms timers share a wheel slot; cancelling the earlier one leaves
    // a stale slot minimum. Auto-advance must still land exactly on 1.5 ms.
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (c, w) = count_waker();
    let mut a = sleep(Duration::from_micros(1200));
    let mut b = sleep(Duration::from_micros(1500));
    assert!(poll_with(&mut a, &w).is_pending());
    assert!(poll_with(&mut b, &w).is_pending());
    rt.driver.turn();
    drop(a);
    assert!(rt.driver.park(None));
    assert_eq!(rt.elapsed(), Duration::from_micros(1500));
    assert_eq!(c.count(), 1);
    assert_eq!(poll_with(&mut b, &w), Poll::Ready(()));
}

#[test]
fn dropping_a_fired_sleep_is_fine() {
    let mut rt = Rt::paused();
    let mut s = {
        let _g = rt.enter();
        sleep(ms(1))
    };
    rt.block_on(&mut s);
    drop(s);
    rt.driver.turn();
    assert!(rt.driver.is_empty());
}

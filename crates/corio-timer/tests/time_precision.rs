//! Precision: the driver parks the inner driver until the exact nearest deadline (never
//! rounded up to the 1 ms tick), and a real-clock sleep is never early.
mod support;

use std::time::Duration;

use corio_core::{Clock, Driver};
use corio_test_util::{count_waker, poll_with};
use corio_timer::{sleep, Instant};
use support::{ms, Recording, Rt};

#[test]
#[cfg_attr(miri, ignore)] // real clock: Miri's slow virtual clock passes 1.5 ms before the poll
fn park_timeout_is_the_exact_time_to_the_nearest_deadline() {
    let (inner, log) = Recording::new();
    let mut rt = Rt::with(inner, Clock::new());
    let _g = rt.enter();
    let (wakes, w) = count_waker();
    let mut s = sleep(Duration::from_micros(1500));
    let deadline = s.deadline();
    assert!(poll_with(&mut s, &w).is_pending());
    while wakes.count() == 0 {
        rt.driver.park(None);
    }
    assert!(Instant::now() >= deadline, "never early");
    let log = log.0.lock().unwrap();
    let (first, _) = log[0];
    let first = first.expect("a timed park");
    assert!(
        first <= Duration::from_micros(1500),
        "not rounded up to a tick: {first:?}"
    );
    assert!(first > Duration::ZERO);
}

#[test]
fn caller_timeout_shorter_than_the_deadline_wins() {
    let (inner, log) = Recording::new();
    let mut rt = Rt::with(inner, Clock::new());
    let _g = rt.enter();
    let (_, w) = count_waker();
    let mut s = sleep(Duration::from_secs(60));
    assert!(poll_with(&mut s, &w).is_pending());
    assert!(!rt.driver.park(Some(Duration::from_micros(200))));
    assert_eq!(log.0.lock().unwrap()[0].0, Some(Duration::from_micros(200)));
}

#[test]
fn real_sleep_is_never_early() {
    let mut rt = Rt::real();
    rt.block_on(async {
        for us in [1u64, 300, 1000, 1700] {
            let t0 = Instant::now();
            sleep(Duration::from_micros(us)).await;
            assert!(t0.elapsed() >= Duration::from_micros(us));
        }
        let t0 = Instant::now();
        sleep(ms(2)).await;
        assert!(t0.elapsed() >= ms(2));
    });
}

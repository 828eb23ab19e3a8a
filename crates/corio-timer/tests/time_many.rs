//! 1 000 000 concurrent timers (100 000 in debug builds unless CORIO_TEST_FULL=1; the
//! count is printed), all firing on virtual time; then the wheel is empty again.
mod support;

use std::task::Poll;
use std::time::Duration;

use corio_core::Driver;
use corio_test_util::{count_waker, poll_with};
use corio_timer::sleep;
use support::Rt;

fn count() -> usize {
    if cfg!(miri) {
        1000
    } else if cfg!(debug_assertions) && std::env::var_os("CORIO_TEST_FULL").is_none() {
        100_000
    } else {
        1_000_000
    }
}

#[test]
fn a_million_concurrent_timers_all_fire() {
    let n = count();
    println!("concurrent timers: {n}");
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (wakes, waker) = count_waker();
    // 1000 distinct deadlines over 10 s, many timers sharing each.
    let mut sleeps: Vec<_> = (0..n)
        .map(|i| sleep(Duration::from_millis(10 * (i % 1000) as u64 + 1)))
        .collect();
    for s in sleeps.iter_mut() {
        assert!(poll_with(s, &waker).is_pending());
    }
    rt.driver.turn();
    assert_eq!(rt.driver.len(), n);
    let mut parks = 0;
    while wakes.count() < n {
        assert!(rt.driver.park(None));
        parks += 1;
    }
    assert_eq!(parks, 1000, "one auto-advance jump per distinct deadline");
    assert_eq!(wakes.count(), n);
    assert_eq!(rt.elapsed(), Duration::from_millis(9991));
    assert!(rt.driver.is_empty());
    assert!(sleeps
        .iter_mut()
        .all(|s| poll_with(s, &waker) == Poll::Ready(())));
    drop(sleeps);
    // Large slabs are released when the wheel empties (small ones, <= 4096 entries, are
    // kept for reuse).
    if cfg!(miri) {
        assert!(rt.driver.slab_capacity() <= 4096);
    } else {
        assert_eq!(rt.driver.slab_capacity(), 0);
    }
}

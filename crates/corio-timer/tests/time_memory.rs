//! Dropping timers returns memory: after 1 000 000 sleeps are created (and registered)
//! and dropped, the wheel holds nothing and its slab is released.
mod support;

use std::time::Duration;

use corio_test_util::{count_waker, poll_with};
use corio_timer::sleep;
use support::Rt;

fn count() -> usize {
    if cfg!(miri) {
        2000
    } else {
        1_000_000
    }
}

#[test]
fn a_million_dropped_sleeps_return_to_baseline() {
    let n = count();
    println!("sleeps: {n}");
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (wakes, w) = count_waker();
    // Registered in batches the driver files, then cancelled: the worst case for memory.
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let mut s = sleep(Duration::from_millis(1 + (i % 5000) as u64));
        assert!(poll_with(&mut s, &w).is_pending());
        batch.push(s);
        if batch.len() == 10_000 {
            rt.driver.turn();
            assert_eq!(rt.driver.len(), 10_000);
            batch.clear();
        }
    }
    drop(batch);
    rt.driver.turn();
    assert_eq!(rt.driver.len(), 0);
    // The slab is released when the wheel empties (<= 4096 entries are kept for reuse).
    if cfg!(miri) {
        assert!(rt.driver.slab_capacity() <= 4096);
    } else {
        assert_eq!(rt.driver.slab_capacity(), 0);
    }
    assert_eq!(wakes.count(), 0);
    // Created but never polled: no registration at all.
    for _ in 0..n {
        drop(sleep(Duration::from_secs(1)));
    }
    rt.driver.turn();
    assert_eq!(rt.driver.len(), 0);
}

//! `Sleep::reset`: earlier, later, after completion, into the past, to never.
mod support;

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use corio_core::Driver;
use corio_test_util::{count_waker, poll_with};
use corio_timer::{sleep, Instant};
use support::{ms, Rt};

#[test]
fn reset_earlier_fires_at_the_new_deadline() {
    let mut rt = Rt::paused();
    let took = rt.block_on(async {
        let t0 = Instant::now();
        let mut s = sleep(Duration::from_secs(10));
        futures::future::poll_fn(|cx| {
            assert!(std::pin::Pin::new(&mut s).poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        s.reset(t0 + ms(3));
        s.await;
        t0.elapsed()
    });
    assert_eq!(took, ms(3));
}

#[test]
fn reset_later_does_not_fire_at_the_old_deadline() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (c, w) = count_waker();
    let t0 = Instant::now();
    let mut s = sleep(ms(5));
    assert!(poll_with(&mut s, &w).is_pending());
    rt.driver.turn();
    s.reset(t0 + ms(50));
    assert!(rt.driver.park(None));
    assert_eq!(rt.elapsed(), ms(50), "the stale 5 ms deadline is skipped");
    assert_eq!(c.count(), 1);
    assert_eq!(poll_with(&mut s, &w), Poll::Ready(()));
    assert_eq!(s.deadline(), t0 + ms(50));
}

#[test]
fn reset_after_completion_rearms() {
    let mut rt = Rt::paused();
    rt.block_on(async {
        let t0 = Instant::now();
        let mut s = sleep(ms(1));
        (&mut s).await;
        s.reset(t0 + ms(9));
        assert!(!s.is_elapsed());
        (&mut s).await;
        assert_eq!(t0.elapsed(), ms(9));
    });
}

#[test]
fn reset_into_the_past_is_ready_on_next_poll() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (_c, w) = count_waker();
    let t0 = Instant::now();
    let mut s = sleep(Duration::from_secs(1));
    assert!(poll_with(&mut s, &w).is_pending());
    rt.clock.advance(ms(10)).unwrap();
    s.reset(t0);
    assert_eq!(poll_with(&mut s, &w), Poll::Ready(()));
    rt.driver.turn();
    assert!(rt.driver.is_empty());
}

#[test]
fn reset_to_never_disarms() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (c, w) = count_waker();
    let mut s = sleep(ms(5));
    assert!(poll_with(&mut s, &w).is_pending());
    s.reset(Instant::now() + Duration::from_secs(u64::MAX / 4));
    rt.driver.turn();
    assert!(rt.driver.is_empty());
    assert!(!rt.driver.park(Some(Duration::from_micros(100))));
    assert_eq!(c.count(), 0);
}

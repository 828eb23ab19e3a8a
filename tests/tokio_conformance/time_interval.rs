//! `tokio/tests/time_interval.rs`, translated. corio's timer has nanosecond precision
//! and fires at the deadline itself, so the `+ 1 ms` that tokio's millisecond wheel
//! needs after a `reset` or a `Delay` is not there (listed in docs/asyncio-to-corio.md).

use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio::time::{self, Instant, Interval, MissedTickBehavior};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// tokio's `check_interval_poll!`: the interval yields exactly these ticks (offsets
/// from `start` in ms), then is pending.
fn check_interval_poll(i: &mut Interval, start: Instant, expected: &[u64]) {
    let mut cx = Context::from_waker(Waker::noop());
    for &e in expected {
        match i.poll_tick(&mut cx) {
            Poll::Ready(at) => assert_eq!(at, start + ms(e), "tick {e}"),
            Poll::Pending => panic!("expected the tick at {e} ms, got pending"),
        }
    }
    if let Poll::Ready(at) = i.poll_tick(&mut cx) {
        panic!("unexpected tick at {:?}", at - start);
    }
}

#[corio::test(start_paused = true)]
#[should_panic]
async fn interval_zero_duration() {
    let _ = time::interval_at(Instant::now(), ms(0));
}

#[corio::test(start_paused = true)]
async fn burst() {
    let start = Instant::now();
    let mut i = time::interval_at(start, ms(300));
    check_interval_poll(&mut i, start, &[0]);
    time::advance(ms(100)).await;
    check_interval_poll(&mut i, start, &[]);
    time::advance(ms(200)).await;
    check_interval_poll(&mut i, start, &[300]);
    time::advance(ms(650)).await;
    check_interval_poll(&mut i, start, &[600, 900]);
    time::advance(ms(200)).await;
    check_interval_poll(&mut i, start, &[]);
    time::advance(ms(100)).await;
    check_interval_poll(&mut i, start, &[1200]);
    time::advance(ms(250)).await;
    check_interval_poll(&mut i, start, &[1500]);
    time::advance(ms(300)).await;
    check_interval_poll(&mut i, start, &[1800]);
}

#[corio::test(start_paused = true)]
async fn delay() {
    let start = Instant::now();
    let mut i = time::interval_at(start, ms(300));
    i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    check_interval_poll(&mut i, start, &[0]);
    time::advance(ms(100)).await;
    check_interval_poll(&mut i, start, &[]);
    time::advance(ms(200)).await;
    check_interval_poll(&mut i, start, &[300]);
    time::advance(ms(650)).await;
    check_interval_poll(&mut i, start, &[600]);
    time::advance(ms(100)).await;
    check_interval_poll(&mut i, start, &[]);
    // The late tick completed at 950: the next one is a period later (tokio: 1251).
    time::advance(ms(200)).await;
    check_interval_poll(&mut i, start, &[1250]);
    time::advance(ms(300)).await;
    check_interval_poll(&mut i, start, &[1550]);
    time::advance(ms(300)).await;
    check_interval_poll(&mut i, start, &[1850]);
}

#[corio::test(start_paused = true)]
async fn skip() {
    let start = Instant::now();
    let mut i = time::interval_at(start, ms(300));
    i.set_missed_tick_behavior(MissedTickBehavior::Skip);
    check_interval_poll(&mut i, start, &[0]);
    time::advance(ms(100)).await;
    check_interval_poll(&mut i, start, &[]);
    time::advance(ms(200)).await;
    check_interval_poll(&mut i, start, &[300]);
    time::advance(ms(650)).await;
    check_interval_poll(&mut i, start, &[600]);
    time::advance(ms(250)).await;
    check_interval_poll(&mut i, start, &[1200]);
    time::advance(ms(300)).await;
    check_interval_poll(&mut i, start, &[1500]);
    time::advance(ms(300)).await;
    check_interval_poll(&mut i, start, &[1800]);
}

#[corio::test(start_paused = true)]
async fn reset() {
    let start = Instant::now();
    let mut i = time::interval_at(start, ms(300));
    check_interval_poll(&mut i, start, &[0]);
    time::advance(ms(100)).await;
    check_interval_poll(&mut i, start, &[]);
    time::advance(ms(200)).await;
    check_interval_poll(&mut i, start, &[300]);
    time::advance(ms(100)).await;
    check_interval_poll(&mut i, start, &[]);
    i.reset();
    time::advance(ms(250)).await;
    check_interval_poll(&mut i, start, &[]);
    time::advance(ms(50)).await;
    // `reset` restarted the schedule at 400: the tick is at 700 (tokio: 701).
    check_interval_poll(&mut i, start, &[700]);
    time::advance(ms(300)).await;
    check_interval_poll(&mut i, start, &[1000]);
}

#[corio::test(start_paused = true)]
async fn interval_doesnt_panic_max_duration_when_polling() {
    let mut timer = time::interval(Duration::MAX);
    let mut cx = Context::from_waker(Waker::noop());
    // The first tick is immediate; the next one is beyond the clock's range.
    assert!(timer.poll_tick(&mut cx).is_ready());
    assert!(timer.poll_tick(&mut cx).is_pending());
}

#[corio::test(start_paused = true)]
async fn interval_at_past_start_ticks_at_once() {
    // tokio's `interval_at` with a start in the past (`burst` from an old start):
    // the missed ticks come back to back.
    time::advance(ms(1000)).await;
    let start = Instant::now() - ms(600);
    let mut i = time::interval_at(start, ms(300));
    check_interval_poll(&mut i, start, &[0, 300, 600]);
}

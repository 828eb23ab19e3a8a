//! Interval: schedule, each missed-tick policy, reset, bad input.
mod support;

use std::time::Duration;

use corio_timer::{
    interval, interval_at, sleep, try_interval, Instant, IntervalError, MissedTickBehavior,
};
use support::{ms, Rt};

/// Ticks at 0 and 10 on time, then the task is busy 25 ms (until 35), then ticks 3 more
/// times. Returns `(scheduled, observed)` offsets of each tick.
fn late_run(policy: MissedTickBehavior) -> Vec<(u64, u64)> {
    let mut rt = Rt::paused();
    let start = rt.start;
    rt.block_on(async move {
        let mut it = interval(ms(10));
        it.set_missed_tick_behavior(policy);
        assert_eq!(it.missed_tick_behavior(), policy);
        let mut out = Vec::new();
        let mut record = |t: Instant| {
            out.push((
                (t - start).as_millis() as u64,
                (Instant::now() - start).as_millis() as u64,
            ))
        };
        record(it.tick().await);
        record(it.tick().await);
        sleep(ms(25)).await;
        for _ in 0..3 {
            record(it.tick().await);
        }
        out
    })
}

#[test]
fn burst_catches_up_back_to_back() {
    assert_eq!(
        late_run(MissedTickBehavior::Burst),
        vec![(0, 0), (10, 10), (20, 35), (30, 35), (40, 40)]
    );
}

#[test]
fn delay_restarts_the_schedule_from_the_late_tick() {
    assert_eq!(
        late_run(MissedTickBehavior::Delay),
        vec![(0, 0), (10, 10), (20, 35), (45, 45), (55, 55)]
    );
}

#[test]
fn skip_drops_missed_ticks_and_keeps_the_grid() {
    assert_eq!(
        late_run(MissedTickBehavior::Skip),
        vec![(0, 0), (10, 10), (20, 35), (40, 40), (50, 50)]
    );
}

#[test]
fn a_slightly_late_tick_is_not_missed() {
    // Late by less than a period: every policy keeps the original schedule.
    for policy in [
        MissedTickBehavior::Burst,
        MissedTickBehavior::Delay,
        MissedTickBehavior::Skip,
    ] {
        let mut rt = Rt::paused();
        let start = rt.start;
        let got = rt.block_on(async move {
            let mut it = interval(ms(10));
            it.set_missed_tick_behavior(policy);
            it.tick().await;
            sleep(ms(4)).await;
            let a = it.tick().await - start;
            let b = it.tick().await - start;
            (a, b, Instant::now() - start)
        });
        assert_eq!(got, (ms(10), ms(20), ms(20)), "{policy:?}");
    }
}

#[test]
fn interval_at_starts_later_and_reset_restarts() {
    let mut rt = Rt::paused();
    let start = rt.start;
    rt.block_on(async move {
        let mut it = interval_at(Instant::now() + ms(100), ms(30));
        assert_eq!(it.period(), ms(30));
        assert_eq!(it.tick().await - start, ms(100));
        assert_eq!(it.tick().await - start, ms(130));
        sleep(ms(5)).await;
        it.reset();
        assert_eq!(it.tick().await - start, ms(165));
    });
}

#[test]
fn zero_period_is_rejected_clearly() {
    let rt = Rt::paused();
    let _g = rt.enter();
    let err = std::panic::catch_unwind(|| drop(interval(Duration::ZERO))).unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.contains("`corio::time::interval`") && msg.contains("period must be non-zero"),
        "{msg}"
    );
    assert_eq!(
        try_interval(Duration::ZERO).unwrap_err(),
        IntervalError::ZeroPeriod
    );
    assert!(try_interval(ms(1)).is_ok());
}

#[test]
fn outside_a_runtime() {
    let err = std::panic::catch_unwind(|| drop(interval(ms(1)))).unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.starts_with("`corio::time::interval` was called outside"),
        "{msg}"
    );
    match try_interval(ms(1)).unwrap_err() {
        IntervalError::NoRuntime(e) => assert_eq!(e.function(), "corio::time::try_interval"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        IntervalError::ZeroPeriod.to_string(),
        "an interval's period must be non-zero"
    );
}

#[test]
fn dropped_tick_future_loses_no_tick() {
    let mut rt = Rt::paused();
    let start = rt.start;
    rt.block_on(async move {
        let mut it = interval(ms(10));
        it.tick().await;
        // Race the tick against a shorter sleep: the sleep wins, the tick future is dropped.
        {
            let tick = std::pin::pin!(it.tick());
            let first = futures::future::select(tick, sleep(ms(3))).await;
            assert!(matches!(first, futures::future::Either::Right(_)));
        }
        assert_eq!(it.tick().await - start, ms(10));
    });
}

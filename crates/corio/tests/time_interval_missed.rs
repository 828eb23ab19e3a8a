//! `interval` missed-tick policies through the facade: a task that sleeps 35 ms past a
//! 10 ms interval's tick sees Burst, Delay and Skip behave as documented.

mod support;

use std::time::Duration;

use corio::time::{interval, sleep, Instant, MissedTickBehavior};
use corio::Runtime;

const MS: Duration = Duration::from_millis(1);

/// Returns (scheduled, observed) offsets in ms of 6 ticks, sleeping 35 ms after tick 0.
async fn ticks(policy: MissedTickBehavior) -> Vec<(u128, u128)> {
    let start = Instant::now();
    let mut every = interval(10 * MS);
    every.set_missed_tick_behavior(policy);
    assert_eq!(every.missed_tick_behavior(), policy);
    let mut out = Vec::new();
    for i in 0..6 {
        let scheduled = every.tick().await;
        out.push(((scheduled - start).as_millis(), start.elapsed().as_millis()));
        if i == 0 {
            sleep(35 * MS).await;
        }
    }
    out
}

fn check(rt: Runtime) {
    rt.block_on(async {
        let burst = corio::spawn(ticks(MissedTickBehavior::Burst))
            .await
            .unwrap();
        assert_eq!(
            burst,
            [(0, 0), (10, 35), (20, 35), (30, 35), (40, 40), (50, 50)]
        );
        let delay = corio::spawn(ticks(MissedTickBehavior::Delay))
            .await
            .unwrap();
        assert_eq!(
            delay,
            [(0, 0), (10, 35), (45, 45), (55, 55), (65, 65), (75, 75)]
        );
        let skip = ticks(MissedTickBehavior::Skip).await;
        assert_eq!(
            skip,
            [(0, 0), (10, 35), (40, 40), (50, 50), (60, 60), (70, 70)]
        );
        assert_eq!(
            MissedTickBehavior::default(),
            MissedTickBehavior::Burst,
            "the default policy"
        );
    });
}

#[test]
fn missed_ticks_current_thread() {
    check(support::paused_current_thread());
}

#[test]
fn missed_ticks_multi_thread() {
    check(support::paused_multi_thread());
}

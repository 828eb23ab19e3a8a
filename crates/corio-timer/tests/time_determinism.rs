//! Virtual time is deterministic: the same program run twice records the same timestamps.
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio_timer::{interval, sleep, timeout, Instant, MissedTickBehavior};
use support::{ms, Rt};

fn program() -> Vec<(u32, Duration)> {
    let mut rt = Rt::paused();
    let log = Arc::new(Mutex::new(Vec::new()));
    let start = rt.start;
    let l = log.clone();
    rt.block_on(async move {
        let rec = |who: u32| l.lock().unwrap().push((who, Instant::now() - start));
        let ticker = async {
            let mut it = interval(Duration::from_micros(7300));
            it.set_missed_tick_behavior(MissedTickBehavior::Skip);
            for _ in 0..20 {
                it.tick().await;
                rec(1);
            }
        };
        let sleeper = async {
            for i in 1..15u64 {
                sleep(Duration::from_micros(1_000 * i + 333)).await;
                rec(2);
            }
        };
        let racer = async {
            for i in 0..10u64 {
                let r = timeout(ms(5 + i), sleep(ms(3 * i))).await;
                rec(if r.is_ok() { 3 } else { 4 });
            }
        };
        futures::join!(ticker, sleeper, racer);
    });
    let v = log.lock().unwrap().clone();
    v
}

#[test]
fn same_program_twice_same_timestamps() {
    let a = program();
    let b = program();
    assert_eq!(a.len(), 20 + 14 + 10);
    assert_eq!(a, b);
    // Timestamps never go backwards.
    assert!(a.windows(2).all(|w| w[0].1 <= w[1].1));
}

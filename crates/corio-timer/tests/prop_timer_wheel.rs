//! The timer wheel against a reference model, on a paused clock: random sleeps (from
//! microseconds to days, so every wheel level and the sub-millisecond heap are used),
//! resets, cancellation (dropping a pending sleep at a random step) and clock advances.
//!
//! The model is a list of deadlines and the virtual time. After every advance (which
//! returns once the driver has fired every timer due at the new instant): every sleep
//! whose deadline has passed was woken and completes, exactly at its deadline or after;
//! no sleep completes early, and no un-woken sleep completes. Cancelled sleeps never
//! fire, and the clock shows exactly the time the model advanced to.

use std::time::Duration;

use corio::time::{advance, sleep, Instant, Sleep};
use corio_test_util::{prop_config, spawn, Spawn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Sleep(Duration),
    /// Reset the i-th pending sleep (modulo their number) to `now + d`.
    Reset(usize, Duration),
    /// Cancel: drop the i-th pending sleep.
    Cancel(usize),
    Poll(usize),
    Advance(Duration),
}

/// Durations across the wheel's levels: sub-millisecond, milliseconds, seconds, hours.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..1_000).prop_map(Duration::from_micros),
        (0u64..100).prop_map(Duration::from_millis),
        (0u64..300_000).prop_map(Duration::from_millis),
        (0u64..200_000).prop_map(Duration::from_secs),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => duration().prop_map(Op::Sleep),
        1 => (any::<usize>(), duration()).prop_map(|(i, d)| Op::Reset(i, d)),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => any::<usize>().prop_map(Op::Poll),
        3 => duration().prop_map(Op::Advance),
    ]
}

fn run(ops: Vec<Op>) {
    let rt = corio::Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut now = Duration::ZERO; // the model's time since `start`
        let mut sleeps: Vec<(Duration, Spawn<Sleep>)> = Vec::new();
        for op in ops {
            match op {
                Op::Sleep(d) => {
                    let mut probe = spawn(sleep(d));
                    let ready = probe.poll().is_ready();
                    assert_eq!(ready, d.is_zero(), "sleep({d:?}) at once");
                    if !ready {
                        sleeps.push((now + d, probe));
                    }
                }
                Op::Reset(i, d) if !sleeps.is_empty() => {
                    let i = i % sleeps.len();
                    sleeps[i].1.get_mut().reset(start + now + d);
                    sleeps[i].0 = now + d;
                    if sleeps[i].1.poll().is_ready() {
                        assert!(d.is_zero(), "a reset sleep fired early");
                        sleeps.remove(i);
                    }
                }
                Op::Cancel(i) if !sleeps.is_empty() => {
                    sleeps.remove(i % sleeps.len());
                }
                Op::Poll(i) if !sleeps.is_empty() => {
                    let i = i % sleeps.len();
                    let deadline = sleeps[i].0;
                    assert!(sleeps[i].1.poll().is_pending(), "fired before {deadline:?}");
                }
                Op::Advance(d) => {
                    advance(d).await;
                    now += d;
                    assert_eq!(Instant::now() - start, now, "the clock moved on its own");
                    let mut kept = Vec::new();
                    for (deadline, mut probe) in sleeps {
                        if deadline <= now {
                            assert!(
                                probe.is_woken(),
                                "due at {deadline:?}, not woken at {now:?}"
                            );
                            assert!(probe.poll().is_ready());
                        } else {
                            assert!(
                                probe.poll_not_lost("sleep").is_pending(),
                                "due at {deadline:?}, fired at {now:?}"
                            );
                            kept.push((deadline, probe));
                        }
                    }
                    sleeps = kept;
                }
                Op::Reset(..) | Op::Cancel(_) | Op::Poll(_) => {}
            }
        }
    });
}

proptest! {
    #![proptest_config(prop_config(128))]

    #[test]
    fn timer_wheel_matches_the_deadline_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops);
    }
}

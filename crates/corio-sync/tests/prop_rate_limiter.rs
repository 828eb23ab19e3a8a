//! `RateLimiter` against a reference model, on a paused clock: random `try_acquire_n`,
//! waiting `acquire_n`s, cancellation of a waiting acquire at a random step, and clock
//! advances.
//!
//! The model is the limiter's documented algorithm (`rate_limiter.rs`): a GCRA bucket in
//! exact integer units, waiters served strictly in FIFO order, a newcomer served at once
//! only if nobody is queued, tokens taken when the waiter runs. After every step, with
//! the woken waiters run to quiescence as an executor would: exactly the waiters the
//! model serves have completed, in FIFO order; `try_acquire_n` answers as the model;
//! a cancelled waiter takes no token and passes its turn on; no un-woken waiter
//! completes. The clock shows exactly the model's time.

use std::collections::VecDeque;
use std::task::Poll;
use std::time::Duration;

use corio::time::{advance, Instant};
use corio_sync::RateLimiter;
use corio_test_util::{prop_config, spawn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    TryAcquire(u32),
    Acquire(u32),
    /// Cancel: drop the i-th waiting acquire (modulo their number).
    Cancel(usize),
    /// Advance the clock by this many 5 ms steps.
    Advance(u64),
}

fn op(burst: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (1..=burst).prop_map(Op::TryAcquire),
        3 => (1..=burst).prop_map(Op::Acquire),
        1 => any::<usize>().prop_map(Op::Cancel),
        3 => (0u64..150).prop_map(Op::Advance),
    ]
}

/// GCRA in the limiter's units: nanoseconds × `rate`; one token costs `period` in ns.
struct Model {
    rate: u128,
    cost: u128,
    burst: u128,
    tat: u128,
    /// Waiting acquires: (id, tokens), in order.
    queue: VecDeque<(usize, u32)>,
}

impl Model {
    fn take(&mut self, n: u32, now: Duration) -> bool {
        let now_s = now.as_nanos() * self.rate;
        let new_tat = self.tat.max(now_s) + u128::from(n) * self.cost;
        if new_tat.saturating_sub(self.burst * self.cost) <= now_s {
            self.tat = new_tat;
            true
        } else {
            false
        }
    }

    /// Serves the queue's head while its tokens are there; returns who was served.
    fn settle(&mut self, now: Duration) -> Vec<usize> {
        let mut served = Vec::new();
        while let Some(&(id, n)) = self.queue.front() {
            if !self.take(n, now) {
                break;
            }
            self.queue.pop_front();
            served.push(id);
        }
        served
    }
}

fn run(rate: u32, burst: u32, ops: Vec<Op>) {
    let rt = corio::Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let limiter = RateLimiter::with_burst(rate, Duration::from_secs(1), burst).unwrap();
        let start = Instant::now();
        let mut now = Duration::ZERO;
        let mut m = Model {
            rate: u128::from(rate),
            cost: 1_000_000_000,
            burst: u128::from(burst),
            tat: 0,
            queue: VecDeque::new(),
        };
        let mut waiting = Vec::new(); // (id, probe)
        let mut next_id = 0;
        for op in ops {
            let mut served_now = Vec::new();
            match op {
                Op::TryAcquire(n) => {
                    let got = limiter.try_acquire_n(n).unwrap();
                    let want = m.queue.is_empty() && m.take(n, now);
                    assert_eq!(got, want, "try_acquire_n({n}) at {now:?}");
                }
                Op::Acquire(n) => {
                    let mut probe = spawn(limiter.acquire_n(n));
                    let want = m.queue.is_empty() && m.take(n, now);
                    match probe.poll() {
                        Poll::Ready(r) => {
                            r.unwrap();
                            assert!(want, "acquire_n({n}) served out of turn at {now:?}");
                        }
                        Poll::Pending => {
                            assert!(!want, "acquire_n({n}) waited with tokens there at {now:?}");
                            m.queue.push_back((next_id, n));
                            waiting.push((next_id, probe));
                            next_id += 1;
                        }
                    }
                }
                Op::Cancel(i) if !waiting.is_empty() => {
                    let (id, probe) = waiting.remove(i % waiting.len());
                    drop(probe);
                    m.queue.retain(|&(q, _)| q != id);
                }
                Op::Advance(steps) => {
                    let d = Duration::from_millis(5 * steps);
                    advance(d).await;
                    now += d;
                    assert_eq!(Instant::now() - start, now, "the clock moved on its own");
                }
                Op::Cancel(_) => {}
            }
            // Run the woken waiters to quiescence, as an executor would.
            loop {
                let mut progressed = false;
                let mut i = 0;
                while i < waiting.len() {
                    if waiting[i].1.is_woken() {
                        progressed = true;
                        if let Poll::Ready(r) = waiting[i].1.poll() {
                            r.unwrap();
                            served_now.push(waiting.remove(i).0);
                            continue;
                        }
                    }
                    i += 1;
                }
                if !progressed {
                    break;
                }
            }
            assert_eq!(served_now, m.settle(now), "served at {now:?}");
            for (id, probe) in &mut waiting {
                assert!(probe.poll_not_lost(&format!("acquire {id}")).is_pending());
            }
        }
    });
}

proptest! {
    #![proptest_config(prop_config(128))]

    #[test]
    fn rate_limiter_matches_the_gcra_model(
        (rate, burst, ops) in (prop_oneof![Just(1u32), Just(2), Just(4), Just(5), Just(10)], 1u32..4)
            .prop_flat_map(|(rate, burst)| {
                (Just(rate), Just(burst), prop::collection::vec(op(burst), 1..60))
            })
    ) {
        run(rate, burst, ops);
    }
}

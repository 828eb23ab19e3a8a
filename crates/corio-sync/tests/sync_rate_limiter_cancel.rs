//! RateLimiter under random cancellation, in virtual time: tokens are conserved (no
//! window ever sees more than `burst + rate × window / period`), waiters are served
//! FIFO, a cancelled head hands the timer on, and nobody is starved.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use corio_sync::{RateLimitError, RateLimiter};
use corio_test_util::{count_waker, poll_with, CountWaker, Rng, TestRuntime};

type Acquiring<'a> = Pin<Box<dyn Future<Output = Result<(), RateLimitError>> + 'a>>;

struct Waiter<'a> {
    id: u64,
    n: u32,
    fut: Acquiring<'a>,
    wakes: Arc<CountWaker>,
    waker: Waker,
    /// Wake count at the last poll: more means it was woken since.
    seen: usize,
}

/// Grants so far as (ns since start, tokens); checks every window ending at the new one.
struct Ledger {
    rate: u128,
    burst: u128,
    period: u128,
    grants: Vec<(u128, u128)>,
}

impl Ledger {
    fn grant(&mut self, at: Duration, n: u32, ctx: &str) {
        let (t, n) = (at.as_nanos(), u128::from(n));
        self.grants.push((t, n));
        let mut sum = 0;
        for &(t0, n0) in self.grants.iter().rev() {
            sum += n0;
            // sum ≤ burst + rate × (t - t0) / period, without division.
            assert!(
                sum * self.period <= self.burst * self.period + self.rate * (t - t0),
                "{ctx}: {sum} tokens within {} ns",
                t - t0
            );
        }
    }
}

#[test]
fn randomized_cancellation_conserves_tokens_and_keeps_fifo() {
    let periods = [100u64, 250, 333, 1000];
    for seed in 1..40u64 {
        let mut rng = Rng::new(seed);
        let timer = TestRuntime::new();
        let clock = timer.clock().clone();
        let _guard = timer.enter();
        let rate = 1 + rng.below(3) as u32;
        let burst = 1 + rng.below(3) as u32;
        let period = Duration::from_millis(periods[rng.below(periods.len())]);
        let limiter = RateLimiter::with_burst(rate, period, burst).unwrap();
        let start = clock.now();
        let mut ledger = Ledger {
            rate: rate.into(),
            burst: burst.into(),
            period: period.as_nanos(),
            grants: Vec::new(),
        };
        let mut waiting: Vec<Waiter<'_>> = Vec::new();
        let (mut next_id, mut cancelled, mut queued_served) = (0u64, 0usize, 0usize);

        // Polls waiters (woken ones, or all) in arrival order; only the head may finish.
        let poll_waiters =
            |waiting: &mut Vec<Waiter<'_>>, ledger: &mut Ledger, all: bool, ctx: &str| -> usize {
                let mut served = 0;
                let mut i = 0;
                while i < waiting.len() {
                    let w = &mut waiting[i];
                    let count = w.wakes.count();
                    if !all && count == w.seen {
                        i += 1;
                        continue;
                    }
                    w.seen = count;
                    let waker = w.waker.clone();
                    match poll_with(&mut w.fut, &waker) {
                        Poll::Ready(r) => {
                            r.unwrap();
                            assert_eq!(i, 0, "{ctx}: waiter {} overtook an earlier one", w.id);
                            ledger.grant(clock.now() - start, w.n, ctx);
                            waiting.remove(0);
                            served += 1;
                        }
                        Poll::Pending => i += 1,
                    }
                }
                served
            };

        for step in 0..300 {
            let ctx = format!("seed {seed} step {step}");
            match rng.below(9) {
                0 | 1 => {
                    let n = if rng.below(3) == 0 {
                        1 + rng.below(burst as usize) as u32
                    } else {
                        1
                    };
                    let (wakes, waker) = count_waker();
                    let mut fut: Acquiring<'_> = Box::pin(limiter.acquire_n(n));
                    match poll_with(&mut fut, &waker) {
                        Poll::Ready(r) => {
                            r.unwrap();
                            assert!(waiting.is_empty(), "{ctx}: newcomer jumped the queue");
                            ledger.grant(clock.now() - start, n, &ctx);
                        }
                        Poll::Pending => waiting.push(Waiter {
                            id: next_id,
                            n,
                            fut,
                            wakes,
                            waker,
                            seen: 0,
                        }),
                    }
                    next_id += 1;
                }
                2 => {
                    if limiter.try_acquire() {
                        assert!(waiting.is_empty(), "{ctx}: try_acquire jumped the queue");
                        ledger.grant(clock.now() - start, 1, &ctx);
                    }
                }
                3 | 4 if !waiting.is_empty() => {
                    // Cancel anyone, the sleeping head included.
                    let i = if rng.below(2) == 0 {
                        0
                    } else {
                        rng.below(waiting.len())
                    };
                    drop(waiting.remove(i));
                    cancelled += 1;
                }
                5 | 6 => {
                    // Time passes: to the next timer, or by a random amount.
                    match timer.earliest_timer() {
                        Some(at) if rng.below(3) != 0 => clock.advance_to(at).unwrap(),
                        _ => clock
                            .advance(Duration::from_millis(rng.below(400) as u64))
                            .unwrap(),
                    }
                    timer.fire_due();
                }
                _ => {
                    let all = rng.below(4) == 0;
                    queued_served += poll_waiters(&mut waiting, &mut ledger, all, &ctx);
                }
            }
            // Only the head sleeps; a queue with nobody woken has a timer to wake it.
            assert!(timer.pending_timers() <= 1, "{ctx}: more than one timer");
            let woken = waiting.iter().any(|w| w.wakes.count() > w.seen);
            if !waiting.is_empty() && !woken {
                assert_eq!(
                    timer.pending_timers(),
                    1,
                    "{ctx}: queue stalled: lost wake-up"
                );
            }
        }

        // Drain: nobody new arrives; every waiter is served in order, none starved.
        let left = waiting.len();
        let mut rounds = 0;
        while !waiting.is_empty() {
            rounds += 1;
            assert!(
                rounds < 10 * (left + 2),
                "seed {seed}: starved in the drain"
            );
            let served = poll_waiters(&mut waiting, &mut ledger, false, "drain");
            queued_served += served;
            if served == 0 && !waiting.iter().any(|w| w.wakes.count() > w.seen) {
                let at = timer
                    .earliest_timer()
                    .expect("a waiting queue holds a timer");
                clock.advance_to(at).unwrap();
                timer.fire_due();
            }
        }
        assert_eq!(
            timer.pending_timers(),
            0,
            "seed {seed}: a timer outlived the queue"
        );
        assert!(
            cancelled > 0 && queued_served > 0,
            "seed {seed}: run too tame"
        );
    }
}

#[test]
fn cancelled_sleeping_head_hands_its_timer_to_the_next_waiter() {
    let timer = TestRuntime::new();
    let clock = timer.clock().clone();
    let _guard = timer.enter();
    let limiter = RateLimiter::with_burst(1, Duration::from_secs(1), 1).unwrap();
    assert!(limiter.try_acquire());
    let (ca, wa) = count_waker();
    let (cb, wb) = count_waker();
    let mut a = Box::pin(limiter.acquire());
    let mut b = Box::pin(limiter.acquire());
    assert!(poll_with(&mut a, &wa).is_pending());
    assert!(poll_with(&mut b, &wb).is_pending());
    clock.advance(Duration::from_millis(999)).unwrap();
    drop(a); // the head leaves just before its token: b takes over, nothing is spent
    assert_eq!((ca.count(), cb.count()), (0, 1));
    assert!(poll_with(&mut b, &wb).is_pending());
    assert_eq!(timer.pending_timers(), 1);
    clock.advance(Duration::from_millis(1)).unwrap();
    timer.fire_due();
    assert_eq!(cb.count(), 2);
    assert!(
        poll_with(&mut b, &wb).is_ready(),
        "the token a gave up is b's, on time"
    );
    assert!(!limiter.try_acquire());
}

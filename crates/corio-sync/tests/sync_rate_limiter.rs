//! RateLimiter under virtual time: exact spacing, FIFO, head-only timer, errors.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use corio_core::context;
use corio_sync::{RateLimitError, RateLimiter};
use corio_test_util::{poll_once, TestRuntime};

type Task<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Runs `calls` concurrent `acquire`s and returns each call's time since start, in
/// completion order with its id.
fn seed_example(rate: u32, burst: u32, calls: usize) -> Vec<(usize, Duration)> {
    let rt = TestRuntime::new();
    let _cx = rt.enter();
    let limiter = RateLimiter::with_burst(rate, Duration::from_secs(1), burst).unwrap();
    let start = rt.clock().now();
    let log = RefCell::new(Vec::new());
    let tasks: Vec<Task<'_>> = (0..calls)
        .map(|id| {
            let (limiter, log) = (&limiter, &log);
            Box::pin(async move {
                limiter.acquire().await;
                log.borrow_mut().push((id, context::now() - start));
            }) as Task<'_>
        })
        .collect();
    rt.block_on_all(tasks);
    assert_eq!(rt.pending_timers(), 0);
    log.into_inner()
}

#[test]
fn seed_example_ten_calls_at_two_per_second_are_half_a_second_apart() {
    let log = seed_example(2, 1, 10);
    let ids: Vec<_> = log.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (0..10).collect::<Vec<_>>(), "served in FIFO order");
    for (i, (_, t)) in log.iter().enumerate() {
        assert_eq!(*t, Duration::from_millis(500) * i as u32);
    }
}

#[test]
fn seed_example_with_burst_two_starts_with_two_then_spaces_evenly() {
    let log = seed_example(2, 2, 10);
    let times: Vec<_> = log.iter().map(|(_, t)| t.as_millis()).collect();
    assert_eq!(times, [0, 0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000]);
}

#[test]
fn only_the_head_waiter_holds_a_timer() {
    let rt = TestRuntime::new();
    let _g = rt.enter();
    let limiter = RateLimiter::with_burst(1, Duration::from_secs(1), 1).unwrap();
    assert!(limiter.try_acquire());
    let mut waiters: Vec<_> = (0..20).map(|_| Box::pin(limiter.acquire())).collect();
    for w in &mut waiters {
        assert!(poll_once(w).is_pending());
    }
    assert_eq!(rt.pending_timers(), 1, "no thundering herd: one timer");
    drop(waiters.remove(0)); // the head leaves: the next one takes over the timer
    assert_eq!(rt.pending_timers(), 0);
    assert!(poll_once(&mut waiters[0]).is_pending());
    assert_eq!(rt.pending_timers(), 1);
    assert!(!limiter.try_acquire(), "a newcomer does not jump the queue");
}

#[test]
fn bad_settings_and_oversized_requests_are_errors_not_hangs() {
    assert_eq!(
        RateLimiter::new(0, Duration::from_secs(1)).unwrap_err(),
        RateLimitError::ZeroRate
    );
    assert_eq!(
        RateLimiter::new(1, Duration::ZERO).unwrap_err(),
        RateLimitError::ZeroPeriod
    );
    assert_eq!(
        RateLimiter::with_burst(1, Duration::from_secs(1), 0).unwrap_err(),
        RateLimitError::ZeroBurst
    );
    let l = RateLimiter::with_burst(5, Duration::from_secs(1), 3).unwrap();
    let e = futures::executor::block_on(l.acquire_n(4)).unwrap_err();
    assert_eq!(
        e,
        RateLimitError::ExceedsBurst {
            requested: 4,
            burst: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "requested 4 tokens but the rate limiter holds at most 3"
    );
    assert!(l.try_acquire_n(4).is_err());
}

#[test]
fn outside_a_runtime_acquire_n_errs_and_acquire_panics_naming_the_function() {
    let l = RateLimiter::with_burst(1, Duration::from_secs(3600), 1).unwrap();
    futures::executor::block_on(l.acquire()); // the first token needs no timer
    match futures::executor::block_on(l.acquire_n(1)) {
        Err(RateLimitError::NoRuntime(e)) => {
            assert_eq!(e.function(), "corio::sync::RateLimiter::acquire_n")
        }
        other => panic!("expected NoRuntime, got {other:?}"),
    }
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(l.acquire())
    }))
    .unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("`corio::sync::RateLimiter::acquire` was called outside"),
        "{msg}"
    );
    // The failed waiters left the queue.
    assert!(format!("{l:?}").contains("waiters: 0"));
}

#[test]
fn idle_time_refills_up_to_the_burst_only() {
    let clock = corio_core::Clock::new_paused();
    let _g = corio_core::RuntimeContext::new(clock.clone()).enter();
    let l = RateLimiter::with_burst(10, Duration::from_secs(1), 3).unwrap();
    clock.advance(Duration::from_secs(60)).unwrap();
    assert_eq!(l.try_acquire_n(3), Ok(true));
    assert!(!l.try_acquire());
    clock.advance(Duration::from_millis(100)).unwrap();
    assert!(l.try_acquire());
    let _ = Instant::now();
}

#[test]
fn limiter_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let l = RateLimiter::new(1, Duration::from_secs(1)).unwrap();
    send_sync(&l);
    send(&l.acquire());
    send(&l.acquire_n(1));
}

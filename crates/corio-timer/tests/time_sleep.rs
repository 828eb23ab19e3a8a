//! Sleep: exact deadlines, past deadlines, `Duration::MAX`, errors, coop budget.
mod support;

use std::task::Poll;
use std::time::Duration;

use corio_core::{coop, Driver};
use corio_test_util::{count_waker, poll_with};
use corio_timer::{sleep, sleep_until, try_sleep, Instant, Sleep};
use futures::FutureExt;
use support::{ms, Rt};

#[test]
fn sleep_completes_exactly_at_its_deadline() {
    let mut rt = Rt::paused();
    let took = rt.block_on(async {
        let t0 = Instant::now();
        sleep(Duration::from_millis(1500)).await;
        t0.elapsed()
    });
    assert_eq!(took, ms(1500));
    assert_eq!(rt.elapsed(), ms(1500));
}

#[test]
fn one_millisecond_is_not_rounded_to_two() {
    let mut rt = Rt::paused();
    rt.block_on(async {
        // Start off the tick grid: 0.3 ms into a tick.
        sleep(Duration::from_micros(300)).await;
        let t0 = Instant::now();
        sleep(ms(1)).await;
        assert_eq!(t0.elapsed(), ms(1));
        let t1 = Instant::now();
        sleep(Duration::from_micros(1)).await;
        assert_eq!(t1.elapsed(), Duration::from_micros(1));
    });
}

#[test]
fn deadline_in_the_past_fires_on_first_poll() {
    let rt = Rt::paused();
    let _g = rt.enter();
    rt.clock.advance(Duration::from_secs(10)).unwrap();
    let (wakes, waker) = count_waker();
    let mut s = sleep_until(Instant::now() - Duration::from_secs(5));
    assert_eq!(poll_with(&mut s, &waker), Poll::Ready(()));
    let mut z = sleep(Duration::ZERO);
    assert_eq!(poll_with(&mut z, &waker), Poll::Ready(()));
    assert_eq!(wakes.count(), 0);
    assert!(rt.driver.is_empty());
}

#[test]
fn is_elapsed_and_deadline_of_a_sleep_never_polled() {
    // The deadline's conversion to the wheel's nanoseconds is deferred to the first poll;
    // an unpolled sleep still answers `is_elapsed` and `deadline` exactly.
    let rt = Rt::paused();
    let _g = rt.enter();
    let t0 = Instant::now();
    let s = sleep(ms(1500));
    let past = sleep_until(t0 - Duration::from_secs(1));
    assert_eq!(s.deadline(), t0 + ms(1500));
    assert!(!s.is_elapsed());
    assert!(past.is_elapsed());
    rt.clock.advance(ms(1499)).unwrap();
    assert!(!s.is_elapsed());
    rt.clock.advance(ms(1)).unwrap();
    assert!(s.is_elapsed());
    assert!(!sleep(Duration::MAX).is_elapsed());
    assert!(rt.driver.is_empty());
}

#[test]
fn duration_max_never_fires_and_never_overflows() {
    let mut rt = Rt::paused();
    rt.block_on(async {
        let mut forever = sleep(Duration::MAX);
        assert!(forever.deadline() > Instant::now() + Duration::from_secs(100 * 365 * 86_400));
        let first = futures::future::select(&mut forever, sleep(Duration::from_secs(1))).await;
        assert!(
            matches!(first, futures::future::Either::Right(_)),
            "Duration::MAX fired"
        );
        assert!(!forever.is_elapsed());
    });
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
    // Alone and idle, a never-firing sleep does not move the clock.
    let _g = rt.enter();
    let (wakes, waker) = count_waker();
    let mut forever = sleep(Duration::MAX);
    assert!(poll_with(&mut forever, &waker).is_pending());
    rt.driver.park(Some(Duration::ZERO)); // consume the wake-up left by block_on
    assert!(
        !rt.driver.park(Some(ms(1))),
        "nothing to observe, nothing fired"
    );
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
    assert_eq!(wakes.count(), 0);
    assert!(rt.driver.is_empty());
}

#[test]
fn outside_a_runtime_panics_naming_the_fix() {
    let err = std::panic::catch_unwind(|| drop(sleep(ms(1)))).unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.starts_with("`corio::time::sleep` was called outside of a corio runtime"),
        "{msg}"
    );
    assert!(msg.contains("corio::run"), "{msg}");
    let err = std::panic::catch_unwind(|| drop(sleep_until(Instant::now()))).unwrap_err();
    assert!(corio_core::panic_message(&*err)
        .unwrap()
        .contains("`corio::time::sleep_until`"));
    let e = try_sleep(ms(1)).unwrap_err();
    assert_eq!(e.function(), "corio::time::try_sleep");
}

#[test]
fn completing_spends_coop_budget() {
    let rt = Rt::paused();
    let _g = rt.enter();
    let (_wakes, waker) = count_waker();
    coop::budget(|| {
        let mut done = 0;
        loop {
            let mut s = sleep(Duration::ZERO);
            match poll_with(&mut s, &waker) {
                Poll::Ready(()) => done += 1,
                Poll::Pending => break,
            }
        }
        assert_eq!(done, coop::INITIAL_BUDGET as usize);
    });
}

#[test]
fn pending_poll_refunds_budget() {
    let rt = Rt::paused();
    let _g = rt.enter();
    let (_wakes, waker) = count_waker();
    let mut s = sleep(ms(5));
    coop::budget(|| {
        for _ in 0..1000 {
            assert!(poll_with(&mut s, &waker).is_pending());
        }
        assert!(coop::has_budget_remaining());
    });
}

#[test]
fn is_elapsed_and_repoll_after_completion() {
    let mut rt = Rt::paused();
    let mut s = {
        let _g = rt.enter();
        sleep(ms(3))
    };
    assert!(!s.is_elapsed());
    rt.block_on(&mut s);
    assert!(s.is_elapsed());
    assert!(
        (&mut s).now_or_never().is_some(),
        "a completed Sleep stays ready"
    );
}

#[test]
fn send_sync_unpin() {
    fn check<T: Send + Sync + Unpin + 'static>() {}
    check::<Sleep>();
    check::<corio_timer::Interval>();
    check::<corio_timer::Instant>();
    check::<corio_timer::TimerHandle>();
    check::<corio_timer::Timeout<std::future::Ready<()>>>();
    fn send<T: Send>(_: &T) {}
    send(&corio_timer::advance(ms(1)));
}

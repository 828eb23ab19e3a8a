//! pause / advance / resume on the current runtime's clock.
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio_timer::{advance, pause, resume, sleep, Instant};
use futures::FutureExt;
use support::{ms, Rt};

#[test]
fn advance_fires_due_timers_before_returning() {
    let mut rt = Rt::paused();
    rt.clock.set_auto_advance(false);
    let woke = Arc::new(AtomicUsize::new(0));
    let w = woke.clone();
    rt.block_on(async move {
        let start = Instant::now();
        let mut a = sleep(ms(10));
        let mut b = sleep(ms(30));
        assert!((&mut a).now_or_never().is_none());
        assert!((&mut b).now_or_never().is_none());
        advance(ms(20)).await;
        assert!(a.is_elapsed() && !b.is_elapsed());
        assert!((&mut a).now_or_never().is_some(), "a fired during advance");
        assert!((&mut b).now_or_never().is_none());
        advance(ms(10)).await;
        assert!(
            (&mut b).now_or_never().is_some(),
            "b fired exactly at its deadline"
        );
        assert_eq!(start.elapsed(), ms(30));
        w.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(woke.load(Ordering::SeqCst), 1);
}

#[test]
fn advance_while_not_paused_panics_clearly() {
    let mut rt = Rt::real();
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(advance(ms(1)))))
            .unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.contains("`corio::time::advance`") && msg.contains("call `pause()` first"),
        "{msg}"
    );
}

#[test]
fn pause_sleep_resume_on_a_real_clock() {
    let mut rt = Rt::real();
    rt.block_on(async {
        pause();
        let t0 = Instant::now();
        sleep(Duration::from_secs(3600)).await; // auto-advanced
        assert_eq!(t0.elapsed(), Duration::from_secs(3600));
        resume();
        let t1 = Instant::now();
        sleep(ms(1)).await; // real time again
        assert!(t1.elapsed() >= ms(1));
    });
}

#[test]
fn double_pause_and_resume_while_running_panic() {
    let mut rt = Rt::paused();
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { pause() })
    }))
    .unwrap_err();
    assert!(corio_core::panic_message(&*e)
        .unwrap()
        .contains("time is already paused"));
    let mut rt = Rt::real();
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { resume() })
    }))
    .unwrap_err();
    assert!(corio_core::panic_message(&*e)
        .unwrap()
        .contains("`corio::time::resume`"));
}

#[test]
fn outside_a_runtime() {
    let e = std::panic::catch_unwind(pause).unwrap_err();
    assert!(corio_core::panic_message(&*e)
        .unwrap()
        .starts_with("`corio::time::pause` was called outside"));
    let e = std::panic::catch_unwind(|| futures::executor::block_on(advance(ms(1)))).unwrap_err();
    assert!(corio_core::panic_message(&*e)
        .unwrap()
        .contains("`corio::time::advance`"));
}

#[test]
fn instant_follows_the_runtime_clock() {
    let rt = Rt::paused();
    let _g = rt.enter();
    let a = Instant::now();
    rt.clock.advance(Duration::from_secs(7)).unwrap();
    let b = Instant::now();
    assert_eq!(b - a, Duration::from_secs(7));
    assert_eq!(a - b, Duration::ZERO, "saturates");
    assert_eq!(b.duration_since(a), Duration::from_secs(7));
    assert_eq!(a.checked_duration_since(b), None);
    assert_eq!(a + Duration::from_secs(7), b);
    assert_eq!(b - Duration::from_secs(7), a);
    assert_eq!(a.checked_add(Duration::MAX), None);
    let mut c = a;
    c += Duration::from_secs(1);
    c -= Duration::from_millis(500);
    assert_eq!(c - a, ms(500));
    assert_eq!(a.elapsed(), Duration::from_secs(7));
    let std: std::time::Instant = b.into();
    assert_eq!(Instant::from(std), b);
    assert_eq!(b.into_std(), std);
}

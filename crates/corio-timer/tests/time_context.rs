//! The context seams: the typed extension and core's `TimerSource` both reach this timer.
mod support;

use std::time::Duration;

use corio_core::context;
use corio_timer::{Instant, TimerHandle};
use support::{ms, Rt};

#[test]
fn core_try_sleep_until_uses_this_timer() {
    let mut rt = Rt::paused();
    rt.block_on(async {
        let t0 = Instant::now();
        let deadline = (t0 + ms(250)).into_std();
        context::try_sleep_until("corio::sync::RateLimiter::acquire", deadline)
            .unwrap()
            .await;
        assert_eq!(t0.elapsed(), ms(250));
    });
}

#[test]
fn handle_is_found_through_the_context() {
    let rt = Rt::paused();
    assert!(TimerHandle::try_current().is_err());
    let _g = rt.enter();
    let h = TimerHandle::try_current().unwrap();
    assert!(std::sync::Arc::ptr_eq(&h, &rt.handle));
    assert!(h.clock().ptr_eq(&rt.clock));
    let s = h.sleep(Duration::from_secs(3));
    assert_eq!(s.deadline() - h.now(), Duration::from_secs(3));
}

#[test]
fn no_runtime_error_names_the_function() {
    let e = TimerHandle::try_current().unwrap_err();
    assert_eq!(e.function(), "corio::time::TimerHandle::current");
}

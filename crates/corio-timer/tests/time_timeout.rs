//! timeout / timeout_at: ready, late, never-ready (inner dropped on expiry), Duration::MAX.
mod support;

use std::time::Duration;

use corio_test_util::{poll_with, DropCounter};
use corio_timer::{sleep, timeout, timeout_at, try_timeout, Elapsed, Instant};
use support::{ms, Rt};

#[test]
fn ready_future_returns_ok_without_touching_the_wheel() {
    let mut rt = Rt::paused();
    assert_eq!(
        rt.block_on(async { timeout(Duration::ZERO, async { 5 }).await }),
        Ok(5)
    );
    assert_eq!(
        rt.block_on(async { timeout(ms(1), std::future::ready('x')).await }),
        Ok('x')
    );
    rt.driver.turn();
    assert!(rt.driver.is_empty());
    assert_eq!(rt.elapsed(), Duration::ZERO);
}

#[test]
fn finishing_before_the_deadline_is_ok() {
    let mut rt = Rt::paused();
    let r = rt.block_on(async {
        timeout(ms(100), async {
            sleep(ms(99)).await;
            "done"
        })
        .await
    });
    assert_eq!(r, Ok("done"));
    assert_eq!(rt.elapsed(), ms(99));
}

#[test]
fn late_future_times_out_at_the_deadline() {
    let mut rt = Rt::paused();
    let r = rt.block_on(async { timeout(ms(100), sleep(ms(101))).await });
    assert_eq!(r, Err(Elapsed::new()));
    assert_eq!(rt.elapsed(), ms(100));
}

#[test]
fn never_ready_future_is_dropped_at_expiry() {
    let mut rt = Rt::paused();
    let drops = DropCounter::new();
    let guard = drops.token();
    let drops2 = drops.clone();
    rt.block_on(async move {
        let start = Instant::now();
        let mut t = std::pin::pin!(timeout(Duration::from_secs(2), async move {
            let _g = guard;
            std::future::pending::<()>().await
        }));
        assert_eq!((&mut t).await, Err(Elapsed::new()));
        // Dropped at expiry, while `t` itself is still alive.
        assert_eq!(drops2.drops(), 1);
        assert!(t.get_ref().is_none());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    });
    assert_eq!(drops.drops(), 1);
}

#[test]
fn timeout_at_a_past_deadline_still_polls_the_future_first() {
    let mut rt = Rt::paused();
    let r = rt.block_on(async {
        let past = Instant::now();
        sleep(ms(5)).await;
        (
            timeout_at(past, async { 1 }).await,
            timeout_at(past, sleep(ms(1))).await,
        )
    });
    assert_eq!(r, (Ok(1), Err(Elapsed::new())));
}

#[test]
fn duration_max_never_times_out() {
    let mut rt = Rt::paused();
    let r = rt.block_on(async {
        timeout(Duration::MAX, async {
            sleep(Duration::from_secs(86_400 * 365)).await;
            7
        })
        .await
    });
    assert_eq!(r, Ok(7));
}

#[test]
fn elapsed_is_an_io_timed_out_error() {
    let e: std::io::Error = Elapsed::new().into();
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(Elapsed::new().to_string(), "deadline has elapsed");
}

#[test]
fn outside_a_runtime() {
    let err = std::panic::catch_unwind(|| drop(timeout(ms(1), async {}))).unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.starts_with("`corio::time::timeout` was called outside"),
        "{msg}"
    );
    let err = std::panic::catch_unwind(|| drop(timeout_at(Instant::now(), async {}))).unwrap_err();
    assert!(corio_core::panic_message(&*err)
        .unwrap()
        .contains("`corio::time::timeout_at`"));
    assert_eq!(
        try_timeout(ms(1), async {}).unwrap_err().function(),
        "corio::time::try_timeout"
    );
}

#[test]
#[should_panic(expected = "`Timeout` polled after it completed")]
fn polling_after_completion_panics() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let mut t = timeout(ms(1), std::future::ready(()));
    let w = std::task::Waker::noop();
    assert!(poll_with(&mut t, w).is_ready());
    let _ = poll_with(&mut t, w);
    rt.driver.turn();
}

/// The limit starts at the first poll (asyncio's `wait_for`, corio's `move_on_after`):
/// a `Timeout` created, then awaited after the clock moved, still gives its future the
/// whole duration; until that poll its deadline is the duration from now.
#[test]
fn the_limit_starts_at_the_first_poll() {
    let mut rt = Rt::paused();
    let r = rt.block_on(async {
        let t = timeout(ms(100), async { sleep(ms(80)).await });
        let start = Instant::now();
        assert_eq!(t.deadline(), start + ms(100));
        sleep(ms(50)).await;
        assert_eq!(t.deadline(), Instant::now() + ms(100));
        let polled = Instant::now();
        let r = t.await;
        (r, polled.elapsed())
    });
    assert_eq!(r, (Ok(()), ms(80)));
    assert_eq!(rt.elapsed(), ms(130));
}

//! Auto-advance: jumps only when everything is idle; holds still while a party holds a
//! `clock.busy()` guard (a running spawn_blocking job looks like that); proceeds once it is
//! dropped. Three 2 s downloads take exactly 2.000 s of virtual time.
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio_core::{Clock, Driver};
use corio_test_util::{count_waker, poll_with};
use corio_timer::{sleep, Instant};
use support::{ms, Rt};

#[test]
fn three_downloads_of_two_seconds_take_exactly_two_seconds() {
    let mut rt = Rt::paused();
    let took = rt.block_on(async {
        let start = Instant::now();
        let download = |name: &'static str| async move {
            sleep(Duration::from_secs(2)).await;
            name
        };
        let got = futures::join!(download("a"), download("b"), download("c"));
        assert_eq!(got, ("a", "b", "c"));
        start.elapsed()
    });
    assert_eq!(took, Duration::from_millis(2000));
}

#[test]
fn holds_still_while_busy_and_proceeds_when_idle() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (wakes, w) = count_waker();
    let mut s = sleep(Duration::from_secs(1));
    assert!(poll_with(&mut s, &w).is_pending());

    // A "blocking job" in flight on another thread.
    let job = rt.clock.busy();
    let clock = rt.clock.clone();
    let t0 = clock.now();
    let checked = Arc::new(AtomicBool::new(false));
    let checked2 = checked.clone();
    let worker = std::thread::spawn(move || {
        std::thread::sleep(ms(20)); // real time passes; virtual time must not
        assert_eq!(clock.now(), t0, "the clock moved while a party was busy");
        checked2.store(true, Ordering::SeqCst);
        drop(job); // the last busy party going idle wakes the driver
    });
    // Blocks (no timeout) until the job finishes, then jumps and fires.
    let mut parks = 0;
    while wakes.count() == 0 {
        rt.driver.park(None);
        parks += 1;
        assert!(parks < 5);
    }
    assert!(
        checked.load(Ordering::SeqCst),
        "fired before the busy guard was dropped"
    );
    worker.join().unwrap();
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
}

#[test]
fn busy_with_a_timeout_returns_without_moving_time() {
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let (wakes, w) = count_waker();
    let mut s = sleep(ms(10));
    assert!(poll_with(&mut s, &w).is_pending());
    let busy = rt.clock.busy();
    assert!(!rt.driver.park(Some(ms(2))));
    assert_eq!(rt.elapsed(), Duration::ZERO);
    assert_eq!(wakes.count(), 0);
    drop(busy);
    while wakes.count() == 0 {
        rt.driver.park(None);
    }
    assert_eq!(rt.elapsed(), ms(10));
}

#[test]
fn paused_with_no_timers_parks_until_something_external_wakes_it() {
    let mut rt = Rt::paused();
    let unparker = rt.driver.unparker();
    let t = std::thread::spawn(move || {
        std::thread::sleep(ms(10));
        unparker.unpark();
    });
    assert!(rt.driver.park(None), "returned because it was unparked");
    assert_eq!(rt.elapsed(), Duration::ZERO);
    t.join().unwrap();
}

#[test]
fn no_auto_advance_when_switched_off() {
    let mut rt = Rt::paused();
    rt.clock.set_auto_advance(false);
    let _g = rt.enter();
    let (wakes, w) = count_waker();
    let mut s = sleep(ms(10));
    assert!(poll_with(&mut s, &w).is_pending());
    assert!(!rt.driver.park(Some(ms(1))));
    assert_eq!((rt.elapsed(), wakes.count()), (Duration::ZERO, 0));
    rt.clock.advance(ms(10)).unwrap();
    assert!(rt.driver.park(Some(ms(1))));
    assert_eq!(wakes.count(), 1);
}

#[test]
fn a_new_timer_from_an_idle_foreign_thread_is_jumped_to() {
    // The driver is blocked, idle, with no timers; a thread outside the runtime (not
    // busy) registers one: the driver wakes and auto-advances to it.
    let mut rt = Rt::paused();
    let cx = rt.cx.clone();
    let fired = Arc::new(AtomicBool::new(false));
    let f2 = fired.clone();
    let unparker = rt.driver.unparker();
    let t = std::thread::spawn(move || {
        let _g = cx.enter();
        std::thread::sleep(ms(5));
        let (wakes, w) = count_waker();
        let mut s = sleep(Duration::from_secs(30));
        // The filing wakes the driver, which may jump and fire the timer before this
        // first poll returns: then the poll sees it fired (Ready), else a wake follows.
        if poll_with(&mut s, &w).is_pending() {
            while wakes.count() == 0 {
                std::thread::yield_now();
            }
        }
        f2.store(true, Ordering::SeqCst);
        unparker.unpark(); // the driver may be parked again (for the long timer)
    });
    // A bounded real-time park per round: a panicking thread (which never unparks)
    // fails the test at `join` instead of hanging it.
    while !fired.load(Ordering::SeqCst) && !t.is_finished() {
        rt.driver.park(Some(ms(100)));
    }
    t.join().unwrap();
    assert_eq!(rt.elapsed(), Duration::from_secs(30));
    let _ = Clock::new();
}

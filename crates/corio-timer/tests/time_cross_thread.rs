//! Timers created on one thread fire on the driver's thread; an earlier registration from
//! another thread unparks a driver blocked on a later deadline.
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use corio_core::Driver;
use corio_test_util::{count_waker, poll_with};
use corio_timer::{sleep, Sleep};
use support::{ms, Recording, Rt};

#[test]
fn created_on_one_thread_fired_on_another() {
    let mut rt = Rt::paused();
    let cx = rt.cx.clone();
    let (wakes, waker) = count_waker();
    let w2 = waker.clone();
    let mut sleeps: Vec<Sleep> = std::thread::scope(|s| {
        (0..4)
            .map(|t| {
                let (cx, w) = (cx.clone(), w2.clone());
                s.spawn(move || {
                    let _g = cx.enter();
                    (0..50)
                        .map(|i| {
                            let mut sl = sleep(ms(1 + (i * 4 + t) as u64));
                            assert!(poll_with(&mut sl, &w).is_pending());
                            sl
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut parks = 0;
    while wakes.count() < 200 {
        assert!(rt.driver.park(None));
        parks += 1;
        assert!(parks <= 400);
    }
    assert_eq!(rt.elapsed(), ms(200));
    assert!(sleeps
        .iter_mut()
        .all(|s| poll_with(s, &waker) == Poll::Ready(())));
}

#[test]
fn earlier_registration_from_another_thread_unparks_the_driver() {
    // Real clock. The driver blocks on a one-hour timer; another thread registers a 1 s
    // timer. The inner park must return because it was *unparked* (not by timing out).
    let (inner, log) = Recording::new();
    let mut rt = Rt::with(inner, corio_core::Clock::new());
    let _g = rt.enter();
    let (_, w) = count_waker();
    let mut hour = sleep(Duration::from_secs(3600));
    assert!(poll_with(&mut hour, &w).is_pending());
    let fired = Arc::new(AtomicBool::new(false));
    let cx = rt.cx.clone();
    let f2 = fired.clone();
    let unparker = rt.driver.unparker();
    let parks = log.1.clone();
    let t = std::thread::spawn(move || {
        let _g = cx.enter();
        // Register only once the driver has entered its park for the hour timer (a fixed
        // sleep here raced a slow main thread on a loaded machine). An unpark that lands
        // just before the inner park blocks still ends it at once: observed either way.
        while parks.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let (wakes, w) = count_waker();
        let mut short = sleep(Duration::from_secs(1));
        assert!(poll_with(&mut short, &w).is_pending());
        while wakes.count() == 0 {
            std::thread::yield_now();
        }
        f2.store(true, Ordering::SeqCst);
        unparker.unpark(); // the driver may be parked again (for the long timer)
        short
    });
    let mut rounds = 0;
    while !fired.load(Ordering::SeqCst) && !t.is_finished() {
        rt.driver.park(None);
        rounds += 1;
        assert!(rounds < 10_000);
    }
    drop(t.join().unwrap());
    let log = log.0.lock().unwrap();
    let (timeout, observed) = log[0];
    assert!(
        timeout.unwrap() > Duration::from_secs(3000),
        "parked for the hour timer"
    );
    assert!(observed, "woken by the registration, not by a timeout");
}

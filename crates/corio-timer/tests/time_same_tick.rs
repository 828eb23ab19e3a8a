//! Many distinct sub-millisecond deadlines inside one 1 ms tick, on virtual time: each
//! park jumps to the next exact deadline and fires exactly that timer, in deadline order,
//! each once. The wheel keeps the tick's not-yet-due timers in a heap, so this is
//! O(k log k); rescanning the tick's slot on every pass (the old wheel) made it O(k²),
//! which at this count takes minutes in a debug build.
mod support;

use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::time::Duration;

use corio_core::Driver;
use corio_test_util::poll_with;
use corio_timer::{sleep_until, Instant};
use support::Rt;

fn count() -> u64 {
    if cfg!(miri) {
        100
    } else {
        20_000
    }
}

/// Records which timer woke.
struct Recorder(usize, Arc<Mutex<Vec<usize>>>);

impl Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

#[test]
fn distinct_deadlines_in_one_tick_fire_in_order_once_each() {
    let n = count();
    let mut rt = Rt::paused();
    let _g = rt.enter();
    // Offsets 1 ms + 0..1 ms (all in the tick [1 ms, 2 ms)), distinct, scrambled:
    // 7919 is prime, so `i * 7919 % n` is a permutation when n is not a multiple of it.
    let step = 1_000_000 / n;
    let offsets: Vec<Duration> = (0..n)
        .map(|i| Duration::from_nanos(1_000_000 + (i * 7919 % n) * step))
        .collect();
    let woken = Arc::new(Mutex::new(Vec::new()));
    let mut sleeps: Vec<_> = offsets
        .iter()
        .enumerate()
        .map(|(i, &off)| {
            let mut s = Box::pin(sleep_until(rt.start + off));
            let waker = Waker::from(Arc::new(Recorder(i, woken.clone())));
            assert!(poll_with(&mut s, &waker).is_pending());
            s
        })
        .collect();
    let mut order: Vec<usize> = (0..n as usize).collect();
    order.sort_by_key(|&i| offsets[i]);
    for (k, &i) in order.iter().enumerate() {
        // One auto-advance jump per deadline, landing exactly on it.
        assert!(rt.driver.park(None));
        assert_eq!(rt.elapsed(), offsets[i], "park {k}");
        assert_eq!(
            woken.lock().unwrap().len(),
            k + 1,
            "park {k} fired one timer"
        );
        assert_eq!(*woken.lock().unwrap().last().unwrap(), i, "park {k}");
    }
    assert_eq!(*woken.lock().unwrap(), order);
    assert!(rt.driver.is_empty());
    let noop = Waker::noop();
    assert!(sleeps
        .iter_mut()
        .all(|s| poll_with(s, noop) == Poll::Ready(())));
    assert_eq!(Instant::now() - rt.start, offsets[order[n as usize - 1]]);
}

/// Cancelling half of the tick's timers after the first has fired (they are then parked
/// in the tick's heap) leaves exactly the other half to fire, still one per park.
#[test]
fn cancel_within_a_tick_after_it_started_firing() {
    let n = count();
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let woken = Arc::new(Mutex::new(Vec::new()));
    let at = |i: u64| Duration::from_nanos(1_000_000 + i * (1_000_000 / n));
    // Registered in reverse deadline order.
    let mut sleeps: Vec<_> = (0..n)
        .rev()
        .map(|i| {
            let mut s = Some(Box::pin(sleep_until(rt.start + at(i))));
            let waker = Waker::from(Arc::new(Recorder(i as usize, woken.clone())));
            assert!(poll_with(s.as_mut().unwrap(), &waker).is_pending());
            s
        })
        .collect();
    sleeps.reverse(); // sleeps[i] has deadline at(i)
    assert!(rt.driver.park(None));
    assert_eq!(*woken.lock().unwrap(), [0]);
    // Drop every odd timer: each drop queues a cancellation the next park takes in.
    for s in sleeps.iter_mut().skip(1).step_by(2) {
        *s = None;
    }
    let want: Vec<usize> = (0..n as usize).step_by(2).collect();
    for (k, &i) in want.iter().enumerate().skip(1) {
        assert!(rt.driver.park(None));
        assert_eq!(rt.elapsed(), at(i as u64), "park {k}");
        assert_eq!(
            woken.lock().unwrap().len(),
            k + 1,
            "park {k} fired one timer"
        );
    }
    assert_eq!(*woken.lock().unwrap(), want);
    assert_eq!(rt.elapsed(), at(want[want.len() - 1] as u64));
    assert!(rt.driver.is_empty());
    assert!(!rt.driver.park(Some(Duration::ZERO)));
}

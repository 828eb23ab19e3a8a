//! Many timers with equal and different deadlines fire in deadline order (equal
//! deadlines in registration order).
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio_test_util::poll_with;
use corio_timer::{sleep, Instant};
use support::Rt;

#[test]
fn equal_and_different_deadlines_fire_in_deadline_order() {
    let mut rt = Rt::paused();
    let log = Arc::new(Mutex::new(Vec::new()));
    // Deadlines spread over sub-millisecond, millisecond, second and hour scales, with
    // duplicates, registered in a scrambled order.
    let mut delays: Vec<(usize, Duration)> = Vec::new();
    for i in 0..300usize {
        let scramble = (i * 7919) % 300;
        let d = match scramble % 5 {
            0 => Duration::from_micros(250 * (scramble as u64 % 7)),
            1 => Duration::from_millis(scramble as u64 % 13),
            2 => Duration::from_millis(64 * (scramble as u64 % 5) + 3),
            3 => Duration::from_secs(scramble as u64 % 9),
            _ => Duration::from_secs(3600 * (scramble as u64 % 3)),
        };
        delays.push((i, d));
    }
    let start = rt.start;
    let tasks = delays.iter().map(|&(i, d)| {
        let log = log.clone();
        async move {
            sleep(d).await;
            log.lock().unwrap().push((Instant::now() - start, i));
        }
    });
    rt.block_on(futures::future::join_all(tasks));
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 300);
    // Each fired exactly at its deadline ...
    for &(at, i) in &log {
        assert_eq!(at, delays[i].1, "timer {i}");
    }
    // ... in deadline order, ties in registration order.
    let mut expected = delays.clone();
    expected.sort_by_key(|&(i, d)| (d, i));
    let got: Vec<usize> = log.iter().map(|&(_, i)| i).collect();
    let want: Vec<usize> = expected.iter().map(|&(i, _)| i).collect();
    assert_eq!(got, want);
}

struct Recorder(usize, Arc<Mutex<Vec<usize>>>);

impl std::task::Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

#[test]
fn one_big_jump_fires_everything_in_order() {
    // Timers due in one driver pass (time moved over all of them at once, across wheel
    // levels and within one millisecond slot) are woken in deadline order.
    let mut rt = Rt::paused();
    let _g = rt.enter();
    let order = Arc::new(Mutex::new(Vec::new()));
    let micros = [
        900_000u64, 70_000, 65_000, 5_000_000, 70_000, 1_000, 64_000_000, 130_000, 1_700, 1_300,
    ];
    let mut sleeps: Vec<_> = micros
        .iter()
        .map(|&us| sleep(Duration::from_micros(us)))
        .collect();
    for (i, s) in sleeps.iter_mut().enumerate() {
        let waker = std::task::Waker::from(Arc::new(Recorder(i, order.clone())));
        assert!(poll_with(s, &waker).is_pending());
    }
    rt.clock.advance(Duration::from_secs(100)).unwrap();
    assert_eq!(rt.driver.turn(), micros.len());
    assert_eq!(*order.lock().unwrap(), vec![5, 9, 8, 2, 1, 4, 7, 0, 3, 6]);
}

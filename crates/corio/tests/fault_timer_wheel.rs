//! A timer wheel with many entries and random cancellation, under paused time: every
//! sleep that is not cancelled fires exactly once, at exactly its deadline (virtual
//! time), in deadline order; a cancelled one (its task aborted before the deadline)
//! never fires. Deadlines are whole milliseconds spread log-uniformly from 1 ms to about
//! 12 days (so every wheel level is used), one in 64 with an extra sub-millisecond part.
//!
//! Size: 200 000 sleeps by default (a debug build); `CORIO_STRESS=big` runs 1 000 000,
//! `CORIO_STRESS=<factor>` scales the default.

mod support;

use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::time::{sleep_until, Instant};
use corio_test_util::Rng;

fn size(default: usize, big: usize) -> usize {
    match std::env::var("CORIO_STRESS") {
        Ok(v) if v.eq_ignore_ascii_case("big") => big,
        Ok(v) => match v.trim().parse::<f64>() {
            Ok(f) if f > 0.0 => ((default as f64 * f) as usize).max(1),
            _ => panic!("CORIO_STRESS must be `big` or a positive factor, got {v:?}"),
        },
        Err(_) => default,
    }
}

/// 1 ms to 2^30 ms (~12.4 days), log-uniform, in whole milliseconds; one in 64 gets an
/// extra sub-millisecond part.
fn random_delay(rng: &mut Rng) -> Duration {
    let bits = rng.below(30);
    let ms = (1u64 << bits) + rng.below(1 << bits) as u64;
    let extra_ns = if rng.one_in(64) {
        1 + rng.below(999_999) as u64
    } else {
        0
    };
    Duration::from_millis(ms) + Duration::from_nanos(extra_ns)
}

#[test]
fn timer_wheel_with_random_cancellation_fires_each_live_sleep_once_in_order() {
    let n = size(200_000, 1_000_000);
    let rt = support::paused_current_thread();
    let fired: Arc<Mutex<Vec<(Instant, Instant, usize)>>> = Arc::new(Mutex::new(Vec::new()));
    let state: Arc<Vec<AtomicU8>> = Arc::new((0..n).map(|_| AtomicU8::new(0)).collect());
    const LIVE: u8 = 0;
    const CANCELLED: u8 = 1;
    const FIRED: u8 = 2;
    let f = fired.clone();
    let s = state.clone();
    let cancelled = rt.block_on(async move {
        let mut rng = Rng::new(0x5EED_1234);
        let start = Instant::now();
        let mut deadlines = Vec::with_capacity(n);
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let deadline = start + random_delay(&mut rng);
                deadlines.push(deadline);
                let (fired, state) = (f.clone(), s.clone());
                corio::spawn(async move {
                    sleep_until(deadline).await;
                    let now = Instant::now();
                    let prev = state[i].swap(FIRED, SeqCst);
                    assert_eq!(prev, LIVE, "sleep {i} fired twice or after cancellation");
                    fired.lock().unwrap().push((deadline, now, i));
                })
            })
            .collect();
        // Let every task register its sleep.
        corio::yield_now().await;
        // Cancel about a third at points spread over (virtual) time like the deadlines:
        // advance to the point, then abort random tasks whose deadline is still ahead.
        let mut cancelled = 0;
        for step in 0..32u32 {
            if step > 0 {
                let point = Duration::from_micros(1 << (step - 1)) * 1000;
                corio::time::sleep_until(start + point).await;
            }
            let now = Instant::now();
            for _ in 0..n / 64 {
                let i = rng.below(n);
                if deadlines[i] > now && s[i].load(SeqCst) == LIVE {
                    s[i].store(CANCELLED, SeqCst);
                    tasks[i].abort();
                    cancelled += 1;
                }
            }
        }
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await {
                Ok(()) => assert_eq!(s[i].load(SeqCst), FIRED),
                Err(e) => {
                    assert!(e.is_cancelled(), "{e}");
                    assert_eq!(s[i].load(SeqCst), CANCELLED, "task {i} cancelled by whom?");
                }
            }
        }
        cancelled
    });
    assert!(cancelled > n / 10, "only {cancelled} cancelled");
    eprintln!("{n} sleeps, {cancelled} cancelled");
    let fired = fired.lock().unwrap();
    assert_eq!(fired.len(), n - cancelled, "some live sleeps never fired");
    for (k, &(deadline, now, i)) in fired.iter().enumerate() {
        assert_eq!(now, deadline, "sleep {i} fired at the wrong (virtual) time");
        if k > 0 {
            assert!(
                fired[k - 1].0 <= deadline,
                "sleep {i} fired out of deadline order"
            );
        }
    }
    for (i, st) in state.iter().enumerate() {
        assert_ne!(
            st.load(SeqCst),
            LIVE,
            "sleep {i} neither fired nor cancelled"
        );
    }
}

/// Many sleeps with distinct deadlines inside one 1 ms wheel tick. Hang guard only: the
/// process aborts if this does not finish in 60 s (it is O(n log n) work).
#[test]
fn many_distinct_deadlines_in_one_tick() {
    let n = 100_000u64;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        // Only a timeout is a hang: the sender is dropped (disconnected) on success.
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            rx.recv_timeout(Duration::from_secs(60))
        {
            eprintln!("hang guard: {n} sleeps in one tick did not finish in 60 s");
            std::process::abort();
        }
    });
    let rt = support::paused_current_thread();
    let fired = rt.block_on(async move {
        use futures::StreamExt;
        let start = Instant::now();
        let mut rng = Rng::new(99);
        // Deadlines 1 ms + 0..1 ms: all in the same tick, nearly all distinct.
        let mut sleeps: futures::stream::FuturesUnordered<_> = (0..n)
            .map(|_| {
                let d = start + Duration::from_nanos(1_000_000 + rng.below(1_000_000) as u64);
                async move {
                    sleep_until(d).await;
                    assert_eq!(Instant::now(), d);
                    d
                }
            })
            .collect();
        let (mut last, mut fired) = (start, 0);
        while let Some(d) = sleeps.next().await {
            assert!(d >= last, "out of order");
            last = d;
            fired += 1;
        }
        fired
    });
    drop(tx);
    assert_eq!(fired, n);
}

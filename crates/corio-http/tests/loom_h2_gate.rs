//! loom model of the HTTP/2 connection task's wake gate (`src/h2_task/gate.rs`, included
//! here as is): a wake-up racing the end of a poll pass is never lost — either a pass
//! sees the work it announced, or the notifier is told to wake the task.
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p corio-http --release --test loom_h2_gate`.
#![cfg(loom)]

#[allow(dead_code, unreachable_pub)]
#[path = "../src/h2_task/gate.rs"]
mod gate;

/// What `gate.rs` takes from its parent module: loom's atomics here.
mod sync {
    pub(crate) use loom::sync::atomic::{AtomicBool, Ordering};
}

use gate::WakeGate;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// The task's poll: passes until one ends with nothing woken (at most `passes`);
/// returns how many work items it took.
fn poll(gate: &WakeGate, work: &AtomicUsize, passes: usize) -> usize {
    let mut taken = 0;
    for _ in 0..passes {
        gate.begin_pass();
        taken += work.swap(0, Ordering::SeqCst);
        if !gate.end_pass() {
            return taken;
        }
    }
    gate.leave();
    taken
}

#[test]
fn a_wake_during_a_pass_is_never_lost() {
    loom::model(|| {
        let gate = Arc::new(WakeGate::new());
        let work = Arc::new(AtomicUsize::new(0));
        let (g, w) = (gate.clone(), work.clone());
        // Another thread announces work (a response arrived) and wakes the task.
        let notifier = thread::spawn(move || {
            w.fetch_add(1, Ordering::SeqCst);
            g.notify()
        });
        let taken = poll(&gate, &work, 3);
        let must_wake = notifier.join().unwrap();
        // Not taken by the poll: the task must be woken, and its next poll takes it.
        if taken == 0 {
            assert!(must_wake, "the work was neither seen by a pass nor woken");
            assert_eq!(poll(&gate, &work, 3), 1);
        }
    });
}

#[test]
fn a_wake_outside_a_poll_wakes_the_task() {
    loom::model(|| {
        let gate = Arc::new(WakeGate::new());
        assert_eq!(poll(&gate, &AtomicUsize::new(0), 1), 0);
        let g = gate.clone();
        let woke = thread::spawn(move || g.notify()).join().unwrap();
        assert!(woke, "no pass runs: the notifier must wake the task");
    });
}

#[test]
fn two_notifiers_racing_one_pass() {
    loom::model(|| {
        let gate = Arc::new(WakeGate::new());
        let work = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (g, w) = (gate.clone(), work.clone());
                thread::spawn(move || {
                    w.fetch_add(1, Ordering::SeqCst);
                    g.notify()
                })
            })
            .collect();
        let taken = poll(&gate, &work, 4);
        let woken = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|w| *w)
            .count();
        if taken < 2 {
            assert!(woken > 0, "{} items left and no wake-up", 2 - taken);
            assert_eq!(taken + poll(&gate, &work, 4), 2);
        }
    });
}

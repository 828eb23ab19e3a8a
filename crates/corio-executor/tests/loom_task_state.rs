//! loom model of the task state word: wake vs. idle, abort vs. complete, join-handle
//! drop vs. complete, and the last reference.
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p corio-executor --release --test loom_task_state`.
#![cfg(loom)]

use corio_executor::__loom::{State, ToIdle, ToNotified, ToRunning};
use loom::sync::Arc;
use loom::thread;

/// A spawned task after a worker claimed it: refs = owned + running + join.
fn running_task() -> Arc<State> {
    let s = Arc::new(State::new(3));
    assert_eq!(s.transition_to_running(), ToRunning::Success);
    s
}

#[test]
fn wake_racing_idle_queues_exactly_once() {
    loom::model(|| {
        let s = running_task();
        s.ref_inc(); // a waker held by another thread
        let s2 = s.clone();
        let waker = thread::spawn(move || {
            let r = s2.transition_to_notified_by_val();
            r == ToNotified::Submit
        });
        let idle = s.transition_to_idle();
        let submitted = waker.join().unwrap();
        let requeued = idle == ToIdle::OkNotified;
        assert_eq!(submitted as u8 + requeued as u8, 1, "exactly one Notified");
        // Refs: owned + join + the one Notified that exists now.
        assert_eq!(s.load().ref_count(), 3);
    });
}

#[test]
fn wake_by_ref_racing_idle_queues_exactly_once() {
    loom::model(|| {
        let s = running_task();
        let s2 = s.clone();
        let waker = thread::spawn(move || s2.transition_to_notified_by_ref() == ToNotified::Submit);
        let idle = s.transition_to_idle();
        let submitted = waker.join().unwrap();
        assert_eq!(submitted as u8 + (idle == ToIdle::OkNotified) as u8, 1);
        assert_eq!(s.load().ref_count(), 3);
    });
}

#[test]
fn abort_racing_completion_never_queues_a_complete_task() {
    loom::model(|| {
        let s = running_task();
        let s2 = s.clone();
        let aborter = thread::spawn(move || s2.transition_to_notified_and_cancel());
        let prev = s.transition_to_complete();
        assert!(prev.is_running());
        assert_eq!(aborter.join().unwrap(), ToNotified::DoNothing);
        assert!(s.load().is_complete());
        assert!(!s.load().is_running());
    });
}

#[test]
fn abort_racing_idle_cancels_exactly_once() {
    loom::model(|| {
        let s = running_task();
        let s2 = s.clone();
        let aborter = thread::spawn(move || s2.transition_to_notified_and_cancel());
        let idle = s.transition_to_idle();
        let abort = aborter.join().unwrap();
        match idle {
            // Saw the cancel: still running, the runner cancels it.
            ToIdle::Cancelled => assert_eq!(abort, ToNotified::DoNothing),
            // Went idle first: the aborter must queue it so a worker cancels it.
            ToIdle::Ok => assert_eq!(abort, ToNotified::Submit),
            other => panic!("unexpected {other:?}"),
        }
        assert!(s.load().is_cancelled());
    });
}

#[test]
fn output_dropped_exactly_once_when_join_handle_races_completion() {
    loom::model(|| {
        let s = running_task();
        let s2 = s.clone();
        let joiner = thread::spawn(move || s2.unset_join_interest().is_complete());
        let task_drops = !s.transition_to_complete().is_join_interested();
        let join_drops = joiner.join().unwrap();
        assert_eq!(task_drops as u8 + join_drops as u8, 1);
    });
}

#[test]
fn shutdown_racing_a_worker_claims_once() {
    loom::model(|| {
        // Queued once (NOTIFIED), owned, joined: refs = owned + notified + join.
        let s = Arc::new(State::new(3));
        let s2 = s.clone();
        let worker = thread::spawn(move || s2.transition_to_running());
        let shut = s.transition_to_shutdown();
        let w = worker.join().unwrap();
        let worker_claimed = matches!(w, ToRunning::Success | ToRunning::Cancelled);
        assert_eq!(worker_claimed as u8 + shut as u8, 1, "one claimer");
    });
}

#[test]
fn last_reference_is_seen_once() {
    loom::model(|| {
        let s = Arc::new(State::new(2));
        let s2 = s.clone();
        let t = thread::spawn(move || s2.ref_dec());
        let a = s.ref_dec();
        let b = t.join().unwrap();
        assert_eq!(a as u8 + b as u8, 1);
    });
}

#[test]
fn join_waker_registration_racing_completion_is_never_missed() {
    loom::model(|| {
        let s = running_task();
        let s2 = s.clone();
        // The join handle: store the waker (elsewhere), set the bit, re-check.
        let joiner = thread::spawn(move || {
            s2.set_join_waker();
            s2.load().is_complete()
        });
        let woke = s.transition_to_complete().has_join_waker();
        let saw_complete = joiner.join().unwrap();
        assert!(woke || saw_complete, "join wake-up lost");
    });
}

#[test]
fn cancel_request_racing_idle_is_never_lost() {
    // Rule 8: either the runner sees the request when it releases the task (and decides),
    // or the canceller finds the task idle and queues it, so a claim reports the request.
    loom::model(|| {
        let s = running_task();
        let s2 = s.clone();
        let canceller = thread::spawn(move || s2.request_cancel());
        let idle = s.transition_to_idle();
        let req = canceller.join().unwrap();
        match idle {
            ToIdle::CancelRequested => {
                assert_eq!(req, Some(ToNotified::DoNothing));
                // No handler alive: the runner cancels; with one, it goes idle, re-queued.
                assert_eq!(s.transition_to_idle_shielded(), ToIdle::OkNotified);
                assert_eq!(s.transition_to_running(), ToRunning::CancelRequested);
            }
            ToIdle::Ok => {
                assert_eq!(req, Some(ToNotified::Submit));
                assert_eq!(s.transition_to_running(), ToRunning::CancelRequested);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(s.load().is_cancel_requested());
    });
}

#[test]
fn handler_taking_a_request_racing_a_second_cancel_keeps_the_second() {
    // The runner's handler takes the first request while a second canceller asks again:
    // the second is either taken with the first or still set (and the task re-queued).
    loom::model(|| {
        let s = running_task();
        assert_eq!(s.request_cancel(), Some(ToNotified::DoNothing));
        let s2 = s.clone();
        let canceller = thread::spawn(move || s2.request_cancel());
        assert!(s.take_cancel_request());
        let req = canceller.join().unwrap();
        assert_eq!(req, Some(ToNotified::DoNothing), "the task is running");
        // Whatever the order, the task is re-polled (NOTIFIED) after the second request.
        let pending = s.load().is_cancel_requested();
        match s.transition_to_idle() {
            ToIdle::CancelRequested => assert!(pending),
            ToIdle::OkNotified => assert!(!pending),
            other => panic!("unexpected {other:?}"),
        }
    });
}

#[test]
fn cancel_request_racing_completion_never_queues_a_complete_task() {
    loom::model(|| {
        let s = running_task();
        let s2 = s.clone();
        let canceller = thread::spawn(move || s2.request_cancel());
        s.transition_to_complete();
        let req = canceller.join().unwrap();
        assert_ne!(req, Some(ToNotified::Submit));
        assert!(s.load().is_complete() && !s.load().is_running());
    });
}

//! loom model of the cross-thread registration hand-off (entry.rs): a registration racing
//! the driver's park is never missed, a reset racing a fire never fires the new deadline
//! early, and a cancel racing the driver's drain never leaves the timer filed.
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p corio-timer --release --test loom_handoff`.
#![cfg(loom)]

use corio_core::{Unpark, Unparker};
use corio_timer::loom_model::{Model, ModelEntry, CANCELLED, FIRED};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

struct Flag(AtomicUsize);
impl Unpark for Flag {
    fn unpark(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn model() -> (Arc<Model>, std::sync::Arc<Flag>) {
    let flag = std::sync::Arc::new(Flag(AtomicUsize::new(0)));
    (Arc::new(Model::new(Unparker::new(flag.clone()))), flag)
}

#[test]
fn registration_racing_park_is_never_missed() {
    loom::model(|| {
        let (m, flag) = model();
        let e = ModelEntry::new();
        let (m2, e2) = (m.clone(), e.clone());
        let producer = thread::spawn(move || m2.submit(&e2, 5));
        // The driver intends to sleep until 10.
        let may_block = m.prepare_park(10);
        producer.join().unwrap();
        assert!(
            !may_block || flag.0.load(Ordering::SeqCst) == 1,
            "the driver would block past an earlier registration"
        );
        m.awake();
        let (got, word) = m.pop().unwrap();
        assert!(got.ptr_eq(&e));
        assert_eq!(word, 5);
    });
}

#[test]
fn first_registration_racing_park_is_never_missed() {
    loom::model(|| {
        let (m, flag) = model();
        let m2 = m.clone();
        let producer = thread::spawn(move || m2.register(5));
        let may_block = m.prepare_park(10);
        let e = producer.join().unwrap();
        assert!(
            !may_block || flag.0.load(Ordering::SeqCst) == 1,
            "the driver would block past an earlier first registration"
        );
        m.awake();
        let (got, word) = m.pop().unwrap();
        assert!(got.ptr_eq(&e));
        assert_eq!(word, 5);
        // Popping cleared `queued`: a later change is queued again.
        m.cancel(&e);
        assert_eq!(m.pop().unwrap().1, CANCELLED);
    });
}

#[test]
fn later_registration_does_not_unpark() {
    loom::model(|| {
        let (m, flag) = model();
        let e = ModelEntry::new();
        let (m2, e2) = (m.clone(), e.clone());
        let producer = thread::spawn(move || m2.submit(&e2, 50));
        let may_block = m.prepare_park(10);
        producer.join().unwrap();
        assert_eq!(flag.0.load(Ordering::SeqCst), 0);
        let _ = may_block;
        assert_eq!(m.pop().unwrap().1, 50);
    });
}

#[test]
fn reset_racing_fire_never_fires_the_new_deadline() {
    loom::model(|| {
        let (m, _flag) = model();
        let e = ModelEntry::new();
        m.submit(&e, 5);
        assert_eq!(m.pop().unwrap().1, 5); // filed under 5
        let (m2, e2) = (m.clone(), e.clone());
        let owner = thread::spawn(move || m2.submit(&e2, 7)); // reset later
        let fired = e.fire(5);
        owner.join().unwrap();
        // Whichever won, the entry is armed at 7 and queued for the driver.
        assert_eq!(e.word(), 7, "fired = {fired}");
        let (_, word) = m.pop().expect("the reset re-queued the entry");
        assert_eq!(word, 7);
        assert!(m.pop().is_none());
    });
}

#[test]
fn cancel_racing_drain_leaves_nothing_filed() {
    loom::model(|| {
        let (m, _flag) = model();
        let e = ModelEntry::new();
        m.submit(&e, 5);
        let (m2, e2) = (m.clone(), e.clone());
        let owner = thread::spawn(move || m2.cancel(&e2));
        // The driver drains whatever it sees now, then once more after the owner is done;
        // the last word it saw for the entry must be CANCELLED (it unfiles the timer).
        let mut last = None;
        while let Some((_, w)) = m.pop() {
            last = Some(w);
        }
        owner.join().unwrap();
        while let Some((_, w)) = m.pop() {
            last = Some(w);
        }
        assert_eq!(last, Some(CANCELLED));
        assert_ne!(e.word(), FIRED);
    });
}

/// Rule 6 of entry.rs: a timer filed directly in the wheel (its lock was free) between the
/// driver's last turn and its park is never slept through: either the driver sees the
/// filing and does not block, or the producer sees the published deadline and unparks.
#[test]
fn direct_filing_racing_park_is_never_missed() {
    loom::model(|| {
        let (m, flag) = model();
        let m2 = m.clone();
        let producer = thread::spawn(move || m2.file(5));
        // The driver turns (taking the lock, so the producer may go either way) and
        // intends to sleep until its nearest deadline, or 10 without one.
        let next = m.turn();
        let until = next.unwrap_or(10);
        let may_block = m.prepare_park(until);
        let (_entry, _direct) = producer.join().unwrap();
        assert!(
            !may_block || until <= 5 || flag.0.load(Ordering::SeqCst) == 1,
            "the driver would block until {until} past a filing at 5"
        );
        m.awake();
        // Whatever path it took, the next turn finds the timer filed.
        assert_eq!(m.turn(), Some(5));
    });
}

//! Event under random cancellation: every waiter alive at `set` completes (even after a
//! later `clear`), none completes early, each is woken exactly once.

use std::sync::Arc;
use std::task::{Poll, Waker};

use corio_sync::{Event, Wait};
use corio_test_util::{count_waker, poll_with, CountWaker, Rng};

struct Waiter<'a> {
    fut: Wait<'a>,
    wakes: Arc<CountWaker>,
    waker: Waker,
    /// A `set` happened while this waiter was queued.
    released: bool,
}

#[test]
fn randomized_cancellation_never_loses_or_invents_a_wakeup() {
    for seed in 1..60u64 {
        let mut rng = Rng::new(seed);
        let ev = Event::new();
        let mut is_set = false;
        let mut waiters: Vec<Waiter<'_>> = Vec::new();
        let (mut completed, mut cancelled) = (0usize, 0usize);
        for step in 0..300 {
            match rng.below(7) {
                0 | 1 => {
                    let (wakes, waker) = count_waker();
                    let mut fut = ev.wait();
                    match poll_with(&mut fut, &waker) {
                        Poll::Ready(()) => {
                            assert!(is_set, "seed {seed} step {step}: completed while unset");
                            completed += 1;
                        }
                        Poll::Pending => {
                            assert!(!is_set, "seed {seed} step {step}: pending while set");
                            waiters.push(Waiter {
                                fut,
                                wakes,
                                waker,
                                released: false,
                            });
                        }
                    }
                }
                2 if !waiters.is_empty() => {
                    let i = rng.below(waiters.len());
                    drop(waiters.remove(i));
                    cancelled += 1;
                }
                3 => {
                    ev.set();
                    is_set = true;
                    for w in &mut waiters {
                        w.released = true;
                    }
                }
                4 => {
                    ev.clear();
                    is_set = false;
                }
                _ => {
                    // Poll everyone, some with a fresh waker (the new one must be the
                    // one woken later).
                    let mut i = 0;
                    while i < waiters.len() {
                        let w = &mut waiters[i];
                        if rng.below(4) == 0 {
                            let (wakes, waker) = count_waker();
                            if !w.released {
                                w.wakes = wakes;
                                w.waker = waker;
                            }
                        }
                        let waker = w.waker.clone();
                        match poll_with(&mut w.fut, &waker) {
                            Poll::Ready(()) => {
                                assert!(w.released, "seed {seed} step {step}: woke before set");
                                waiters.remove(i);
                                completed += 1;
                            }
                            Poll::Pending => {
                                assert!(
                                    !w.released,
                                    "seed {seed} step {step}: released waiter lost"
                                );
                                i += 1;
                            }
                        }
                    }
                }
            }
            assert_eq!(ev.is_set(), is_set);
            for w in &waiters {
                let want = usize::from(w.released);
                assert_eq!(w.wakes.count(), want, "seed {seed} step {step}: wake count");
            }
        }
        // A final set releases everyone left.
        ev.set();
        for mut w in waiters {
            assert_eq!(w.wakes.count(), 1, "seed {seed}: final set lost a wake-up");
            assert_eq!(poll_with(&mut w.fut, &w.waker), Poll::Ready(()));
            completed += 1;
        }
        assert!(
            completed > 0 && cancelled > 0,
            "seed {seed}: the run exercised both"
        );
    }
}

#[test]
fn waiter_released_by_set_completes_after_clear_and_cancel_of_its_neighbours() {
    let ev = Event::new();
    let (ca, wa) = count_waker();
    let (cb, wb) = count_waker();
    let (cc, wc) = count_waker();
    let mut a = ev.wait();
    let mut b = ev.wait();
    let mut c = ev.wait();
    assert!(poll_with(&mut a, &wa).is_pending());
    assert!(poll_with(&mut b, &wb).is_pending());
    assert!(poll_with(&mut c, &wc).is_pending());
    drop(b); // cancelled before the set: not woken, nothing else disturbed
    ev.set();
    ev.clear();
    let mut late = ev.wait();
    assert!(
        poll_with(&mut late, &wb).is_pending(),
        "arrived after clear"
    );
    assert_eq!((ca.count(), cb.count(), cc.count()), (1, 0, 1));
    assert!(poll_with(&mut a, &wa).is_ready());
    drop(c); // released, then cancelled: harmless
    assert!(poll_with(&mut late, &wb).is_pending());
    ev.set();
    assert_eq!(cb.count(), 1);
    assert!(poll_with(&mut late, &wb).is_ready());
}

/// A waker that runs `f` when woken, like a task resumed at once on another worker.
struct OnWake<F>(F);

impl<F: Fn() + Send + Sync + 'static> std::task::Wake for OnWake<F> {
    fn wake(self: Arc<Self>) {
        (self.0)()
    }
}

type Stashed = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

#[test]
fn waiter_arriving_after_clear_during_a_large_set_is_not_released() {
    // More waiters than one wake batch (32), so `set` wakes them in two batches.
    let ev = Arc::new(Event::new());
    let stash: Arc<std::sync::Mutex<Vec<Stashed>>> = Arc::default();
    let (e, s) = (ev.clone(), stash.clone());
    // The first waiter, once woken, clears the event and waits again (asyncio's
    // `await ev.wait(); ev.clear(); await ev.wait()`).
    let reenter = Waker::from(Arc::new(OnWake(move || {
        e.clear();
        let e = e.clone();
        let mut again: Stashed = Box::pin(async move { e.wait().await });
        assert!(poll_with(&mut again, Waker::noop()).is_pending());
        s.lock().unwrap().push(again);
    })));
    let mut waiters: Vec<_> = (0..40).map(|_| ev.wait()).collect();
    assert!(poll_with(&mut waiters[0], &reenter).is_pending());
    for w in &mut waiters[1..] {
        assert!(poll_with(w, Waker::noop()).is_pending());
    }
    ev.set();
    for w in &mut waiters {
        assert!(
            poll_with(w, Waker::noop()).is_ready(),
            "released by the set"
        );
    }
    let mut again = stash.lock().unwrap().pop().expect("waited again");
    assert!(!ev.is_set());
    assert!(
        poll_with(&mut again, Waker::noop()).is_pending(),
        "released by a set that happened before it waited"
    );
    ev.set();
    assert!(poll_with(&mut again, Waker::noop()).is_ready());
}

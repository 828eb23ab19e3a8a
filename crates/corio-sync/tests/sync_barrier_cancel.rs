//! Barrier under random cancellation: a waiter dropped before its round trips does not
//! count; every round trips with exactly `parties` arrivals and one leader.

use std::sync::Arc;
use std::task::{Poll, Waker};

use corio_sync::{Barrier, BarrierWait};
use corio_test_util::{count_waker, poll_with, CountWaker, Rng};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fate {
    /// In the filling round.
    Waiting,
    /// Its round tripped.
    Passed,
    /// Its round was reset.
    Broken,
    /// Arrived while the last round was draining: not counted yet.
    Blocked,
}

struct Waiter<'a> {
    fut: BarrierWait<'a>,
    wakes: Arc<CountWaker>,
    waker: Waker,
    fate: Fate,
    /// Was blocked once (woken at the drain's end, so its wake count is not 0).
    was_blocked: bool,
}

/// Whether a finished round still drains: some of its waiters have not returned.
fn draining(waiters: &[Waiter<'_>]) -> bool {
    waiters
        .iter()
        .any(|w| matches!(w.fate, Fate::Passed | Fate::Broken))
}

#[test]
fn randomized_cancellation_counts_only_live_arrivals() {
    for seed in 1..60u64 {
        let mut rng = Rng::new(seed);
        let parties = 1 + rng.below(4);
        let barrier = Barrier::new(parties);
        let mut waiters: Vec<Waiter<'_>> = Vec::new();
        let (mut rounds, mut leaders, mut followers_passed) = (0usize, 0usize, 0usize);
        // Followers of tripped rounds, whether they were polled to completion or
        // dropped after the trip.
        let mut followers_tripped = 0usize;
        for step in 0..400 {
            let filling = waiters.iter().filter(|w| w.fate == Fate::Waiting).count();
            match rng.below(8) {
                0..=2 if draining(&waiters) => {
                    let (wakes, waker) = count_waker();
                    let mut fut = barrier.wait();
                    assert!(
                        poll_with(&mut fut, &waker).is_pending(),
                        "seed {seed}: blocked"
                    );
                    waiters.push(Waiter {
                        fut,
                        wakes,
                        waker,
                        fate: Fate::Blocked,
                        was_blocked: true,
                    });
                }
                0..=2 => {
                    let (wakes, waker) = count_waker();
                    let mut fut = barrier.wait();
                    match poll_with(&mut fut, &waker) {
                        Poll::Ready(r) => {
                            assert_eq!(
                                filling + 1,
                                parties,
                                "seed {seed} step {step}: tripped with the wrong number of arrivals"
                            );
                            assert!(r.unwrap().is_leader(), "the arrival that trips leads");
                            leaders += 1;
                            rounds += 1;
                            for w in &mut waiters {
                                if w.fate == Fate::Waiting {
                                    w.fate = Fate::Passed;
                                    followers_tripped += 1;
                                }
                            }
                        }
                        Poll::Pending => {
                            assert!(filling + 1 < parties, "seed {seed} step {step}: no trip");
                            waiters.push(Waiter {
                                fut,
                                wakes,
                                waker,
                                fate: Fate::Waiting,
                                was_blocked: false,
                            });
                        }
                    }
                }
                3 | 4 if !waiters.is_empty() => {
                    // Cancel anyone: a filling waiter leaves its round; a passed or
                    // broken one just drops its outcome.
                    let i = rng.below(waiters.len());
                    drop(waiters.remove(i));
                }
                5 if rng.below(8) == 0 => {
                    barrier.reset();
                    for w in &mut waiters {
                        if w.fate == Fate::Waiting {
                            w.fate = Fate::Broken;
                        }
                    }
                }
                _ => {
                    let mut i = 0;
                    while i < waiters.len() {
                        let drains = draining(&waiters);
                        let filling = waiters.iter().filter(|w| w.fate == Fate::Waiting).count();
                        let w = &mut waiters[i];
                        let waker = w.waker.clone();
                        match (poll_with(&mut w.fut, &waker), w.fate) {
                            (Poll::Pending, Fate::Waiting) => i += 1,
                            (Poll::Pending, Fate::Blocked) if drains => i += 1,
                            (Poll::Pending, Fate::Blocked) => {
                                assert!(filling + 1 < parties, "seed {seed}: joined, no trip");
                                w.fate = Fate::Waiting;
                                i += 1;
                            }
                            (Poll::Ready(Ok(r)), Fate::Blocked) if !drains => {
                                assert_eq!(filling + 1, parties, "seed {seed}: joined and tripped");
                                assert!(r.is_leader());
                                leaders += 1;
                                rounds += 1;
                                waiters.remove(i);
                                for w in &mut waiters {
                                    if w.fate == Fate::Waiting {
                                        w.fate = Fate::Passed;
                                        followers_tripped += 1;
                                    }
                                }
                                i = 0; // fates changed: poll the rest again
                            }
                            (Poll::Ready(Ok(r)), Fate::Passed) => {
                                assert!(!r.is_leader(), "seed {seed}: a second leader");
                                followers_passed += 1;
                                waiters.remove(i);
                            }
                            (Poll::Ready(Err(_)), Fate::Broken) => {
                                waiters.remove(i);
                            }
                            (got, fate) => {
                                panic!("seed {seed} step {step}: {fate:?} waiter polled {got:?}")
                            }
                        }
                    }
                }
            }
            let filling = waiters.iter().filter(|w| w.fate == Fate::Waiting).count();
            assert_eq!(barrier.n_waiting(), filling, "seed {seed} step {step}");
            for w in waiters.iter().filter(|w| !w.was_blocked) {
                let want = usize::from(w.fate != Fate::Waiting);
                assert_eq!(w.wakes.count(), want, "seed {seed} step {step}: wake count");
            }
        }
        assert_eq!(leaders, rounds);
        assert!(followers_passed <= followers_tripped);
        assert_eq!(followers_tripped, rounds * (parties - 1), "seed {seed}");
        // The barrier is still usable: filling it up trips it exactly then.
        drop(waiters);
        assert_eq!(barrier.n_waiting(), 0);
        let mut last: Vec<_> = (0..parties - 1).map(|_| barrier.wait()).collect();
        for f in &mut last {
            assert!(poll_with(f, Waker::noop()).is_pending());
        }
        let mut tripper = barrier.wait();
        assert!(
            matches!(poll_with(&mut tripper, Waker::noop()), Poll::Ready(Ok(r)) if r.is_leader())
        );
        for f in &mut last {
            assert!(matches!(poll_with(f, Waker::noop()), Poll::Ready(Ok(r)) if !r.is_leader()));
        }
    }
}

#[test]
fn cancelled_waiter_is_replaced_before_the_round_trips() {
    let barrier = Barrier::new(3);
    let (ca, wa) = count_waker();
    let mut a = barrier.wait();
    let mut b = barrier.wait();
    assert!(poll_with(&mut a, &wa).is_pending());
    assert!(poll_with(&mut b, Waker::noop()).is_pending());
    drop(b);
    assert_eq!(barrier.n_waiting(), 1);
    let mut c = barrier.wait();
    assert!(
        poll_with(&mut c, Waker::noop()).is_pending(),
        "only 2 live arrivals"
    );
    assert_eq!(ca.count(), 0);
    let mut d = barrier.wait();
    assert!(matches!(poll_with(&mut d, Waker::noop()), Poll::Ready(Ok(r)) if r.is_leader()));
    assert_eq!(ca.count(), 1);
    drop(c); // passed, then dropped: the next round starts empty all the same
    assert_eq!(barrier.n_waiting(), 0);
    assert!(matches!(poll_with(&mut a, &wa), Poll::Ready(Ok(r)) if !r.is_leader()));
}

/// A waker that runs `f` when woken, like a task resumed at once on another worker.
struct OnWake<F>(F);

impl<F: Fn() + Send + Sync + 'static> std::task::Wake for OnWake<F> {
    fn wake(self: Arc<Self>) {
        (self.0)()
    }
}

type Stashed = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<corio_sync::BarrierWaitResult, corio_sync::BrokenBarrierError>,
            > + Send,
    >,
>;

#[test]
fn arrival_for_the_next_round_during_a_large_trip_is_not_taken_for_the_old_one() {
    // More waiters than one wake batch (32), so the trip wakes them in two batches.
    const PARTIES: usize = 40;
    let barrier = Arc::new(Barrier::new(PARTIES));
    let stash: Arc<std::sync::Mutex<Vec<Stashed>>> = Arc::default();
    let (b, s) = (barrier.clone(), stash.clone());
    // The first waiter, once woken, arrives again at once for the next round.
    let reenter = Waker::from(Arc::new(OnWake(move || {
        let b = b.clone();
        let mut again: Stashed = Box::pin(async move { b.wait().await });
        assert!(poll_with(&mut again, Waker::noop()).is_pending());
        s.lock().unwrap().push(again);
    })));
    let mut waiters: Vec<_> = (0..PARTIES - 1).map(|_| barrier.wait()).collect();
    assert!(poll_with(&mut waiters[0], &reenter).is_pending());
    for w in &mut waiters[1..] {
        assert!(poll_with(w, Waker::noop()).is_pending());
    }
    let mut leader = barrier.wait();
    assert!(matches!(poll_with(&mut leader, Waker::noop()), Poll::Ready(Ok(r)) if r.is_leader()));
    for w in &mut waiters {
        assert!(matches!(poll_with(w, Waker::noop()), Poll::Ready(Ok(r)) if !r.is_leader()));
    }
    let mut next_round = stash.lock().unwrap().pop().expect("re-arrived");
    // It arrived while the old round drained: it joins the next round when polled.
    assert_eq!(barrier.n_waiting(), 0);
    assert!(
        poll_with(&mut next_round, Waker::noop()).is_pending(),
        "the re-arrival was passed with the old round"
    );
    assert_eq!(
        barrier.n_waiting(),
        1,
        "the re-arrival waits in the next round"
    );
}

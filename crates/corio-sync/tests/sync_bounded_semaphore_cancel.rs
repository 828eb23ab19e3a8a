//! BoundedSemaphore under random cancellation: permits come back to the bound, FIFO
//! holds, and a release past the bound is refused.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use corio_sync::{AcquireError, BoundedPermit, BoundedSemaphore};
use corio_test_util::{poll_once, Rng};

type Acquiring<'a> = Pin<Box<dyn Future<Output = Result<BoundedPermit<'a>, AcquireError>> + 'a>>;

#[test]
fn randomized_cancellation_returns_every_permit_to_the_bound() {
    let mut refused = 0usize;
    for seed in 1..60u64 {
        let mut rng = Rng::new(seed);
        let bound = 1 + rng.below(4);
        let sem = BoundedSemaphore::new(bound);
        let mut waiting: Vec<(u64, Acquiring<'_>)> = Vec::new();
        let mut held: Vec<BoundedPermit<'_>> = Vec::new();
        // Permits taken asyncio-style (`forget`), owed a `release()`.
        let mut forgotten = 0usize;
        let mut arrival = 0u64;
        let mut served: Vec<u64> = Vec::new();
        for step in 0..400 {
            match rng.below(8) {
                0 | 1 => {
                    let mut f: Acquiring<'_> = Box::pin(sem.acquire());
                    match poll_once(&mut f) {
                        Poll::Ready(p) => {
                            held.push(p.unwrap());
                            // Whoever waits ahead must have been granted already (only
                            // not yet polled): a still-queued one means a queue jump.
                            for (id, mut w) in waiting.drain(..) {
                                match poll_once(&mut w) {
                                    Poll::Ready(p) => {
                                        held.push(p.unwrap());
                                        served.push(id);
                                    }
                                    Poll::Pending => panic!("seed {seed}: jumped the queue"),
                                }
                            }
                        }
                        Poll::Pending => waiting.push((arrival, f)),
                    }
                    arrival += 1;
                }
                2 if !waiting.is_empty() => {
                    let i = rng.below(waiting.len());
                    drop(waiting.remove(i));
                }
                3 if !held.is_empty() => {
                    let i = rng.below(held.len());
                    let p = held.remove(i);
                    if rng.below(3) == 0 {
                        p.forget();
                        forgotten += 1;
                    }
                }
                4 if forgotten > 0 => {
                    assert_eq!(
                        sem.release(),
                        Ok(()),
                        "seed {seed} step {step}: owed release"
                    );
                    forgotten -= 1;
                }
                5 if held.is_empty() && forgotten == 0 && waiting.is_empty() => {
                    // Nothing is out: one release too many.
                    assert_eq!(sem.available_permits(), bound, "seed {seed} step {step}");
                    assert!(
                        sem.release().is_err(),
                        "seed {seed} step {step}: past the bound"
                    );
                    refused += 1;
                }
                _ => {
                    let mut i = 0;
                    let mut seen_pending = false;
                    while i < waiting.len() {
                        if let Poll::Ready(p) = poll_once(&mut waiting[i].1) {
                            assert!(!seen_pending, "seed {seed} step {step}: jumped the queue");
                            held.push(p.unwrap());
                            served.push(waiting.remove(i).0);
                        } else {
                            seen_pending = true;
                            i += 1;
                        }
                    }
                    // Nobody is granted-but-unpolled now: the count is exact, and a
                    // queued waiter means no permit is idle.
                    assert_eq!(
                        held.len() + forgotten + sem.available_permits(),
                        bound,
                        "seed {seed} step {step}: permits lost"
                    );
                    if seen_pending {
                        assert_eq!(sem.available_permits(), 0, "seed {seed}: idle permit");
                    }
                }
            }
            let out = held.len() + forgotten;
            assert!(
                out + sem.available_permits() <= bound,
                "seed {seed} step {step}: more permits than the bound"
            );
        }
        assert!(served.windows(2).all(|w| w[0] < w[1]), "seed {seed}: FIFO");
        drop(waiting);
        drop(held);
        for _ in 0..forgotten {
            sem.release().unwrap();
        }
        assert_eq!(sem.available_permits(), bound, "seed {seed}: permits lost");
        assert!(
            sem.release().is_err(),
            "seed {seed}: release past the bound"
        );
        assert_eq!(sem.available_permits(), bound);
    }
    assert!(refused > 0, "the stray-release branch ran");
}

#[test]
fn cancelled_granted_acquire_gives_its_permit_to_the_next_within_the_bound() {
    let sem = BoundedSemaphore::new(1);
    let p = sem.try_acquire().unwrap();
    let mut a = Box::pin(sem.acquire());
    let mut b = Box::pin(sem.acquire());
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    drop(p); // granted to a
    drop(a); // a never saw it: b gets it
    assert_eq!(sem.available_permits(), 0);
    let pb = match poll_once(&mut b) {
        Poll::Ready(p) => p.unwrap(),
        Poll::Pending => panic!("b inherits a's permit"),
    };
    assert!(
        sem.release().is_ok(),
        "one permit out: a stray release fits"
    );
    drop(pb); // now one too many: refused, the count stays at the bound
    assert_eq!(sem.available_permits(), 1);
    assert!(sem.release().is_err());
}

#[test]
fn release_past_the_bound_is_refused_while_a_closed_waiter_is_still_queued() {
    let sem = BoundedSemaphore::new(1);
    sem.try_acquire().unwrap().forget();
    let mut w = Box::pin(sem.acquire());
    assert!(poll_once(&mut w).is_pending());
    sem.close(); // w's entry stays queued until w is polled or dropped
    assert_eq!(sem.release(), Ok(()), "the one permit out comes back");
    assert!(sem.release().is_err(), "a second release is one too many");
    assert_eq!(sem.available_permits(), 1);
    assert!(matches!(poll_once(&mut w), Poll::Ready(Err(_))));
    drop(w);
    assert_eq!(sem.available_permits(), 1);
    assert!(sem.release().is_err());
}

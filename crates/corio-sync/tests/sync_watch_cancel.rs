//! watch under random cancellation: a `changed()` dropped at any point marks nothing
//! seen, a pending one is woken exactly once per change, and the value read after a
//! change is always the latest.

use std::task::Poll;

use corio_sync::watch::{self, Receiver};
use corio_test_util::{count_waker, poll_with, Rng};

/// A receiver and the number of the last send it has marked seen.
struct Rx {
    rx: Receiver<u64>,
    seen: u64,
}

#[test]
fn randomized_cancellation_never_loses_a_change() {
    let (mut completed, mut cancelled) = (0usize, 0usize);
    for seed in 1..50u64 {
        let mut rng = Rng::new(seed);
        let (tx, rx) = watch::channel(0u64);
        let mut rxs = vec![Rx { rx, seen: 0 }];
        // Sends so far; the value sent by send k is k.
        let mut sends = 0u64;
        for step in 0..300 {
            let ctx = format!("seed {seed} step {step}");
            match rng.below(8) {
                0 => match tx.send(sends + 1) {
                    Ok(()) => sends += 1,
                    Err(e) => {
                        assert!(rxs.is_empty(), "{ctx}: refused with receivers");
                        assert_eq!(e.0, sends + 1);
                    }
                },
                1 if rxs.len() < 5 => rxs.push(Rx {
                    rx: tx.subscribe(),
                    seen: sends,
                }),
                2 if !rxs.is_empty() && rxs.len() < 5 => {
                    let i = rng.below(rxs.len());
                    let clone = Rx {
                        rx: rxs[i].rx.clone(),
                        seen: rxs[i].seen,
                    };
                    rxs.push(clone);
                }
                3 if !rxs.is_empty() => {
                    let i = rng.below(rxs.len());
                    drop(rxs.remove(i));
                }
                _ if !rxs.is_empty() => {
                    let i = rng.below(rxs.len());
                    let r = &mut rxs[i];
                    let unseen = r.seen != sends;
                    assert_eq!(r.rx.has_changed(), Ok(unseen), "{ctx}");
                    let (wakes, waker) = count_waker();
                    let mut fut = r.rx.changed();
                    let mut pending = false;
                    let mut seen_at_done = None;
                    match poll_with(&mut fut, &waker) {
                        Poll::Ready(Ok(())) => {
                            assert!(unseen, "{ctx}: change out of nowhere");
                            seen_at_done = Some(sends);
                        }
                        Poll::Pending => {
                            assert!(!unseen, "{ctx}: unseen change missed");
                            pending = true;
                        }
                        Poll::Ready(Err(e)) => panic!("{ctx}: {e:?}"),
                    }
                    let k = rng.below(3) as u64;
                    for _ in 0..k {
                        tx.send(sends + 1).unwrap();
                        sends += 1;
                    }
                    assert_eq!(wakes.count(), usize::from(pending && k > 0), "{ctx}: wakes");
                    if pending && rng.below(2) == 0 {
                        cancelled += 1; // dropped below: nothing marked seen
                    } else if pending {
                        let r2 = poll_with(&mut fut, &waker);
                        assert_eq!(
                            r2,
                            if k > 0 {
                                Poll::Ready(Ok(()))
                            } else {
                                Poll::Pending
                            }
                        );
                        if k > 0 {
                            seen_at_done = Some(sends);
                        }
                    }
                    drop(fut);
                    if let Some(seen) = seen_at_done {
                        // `changed` marked exactly the version it saw.
                        completed += 1;
                        r.seen = seen;
                        assert_eq!(r.rx.has_changed(), Ok(seen != sends), "{ctx}");
                        if rng.below(2) == 0 {
                            let v = r.rx.borrow_and_update();
                            assert_eq!(*v, sends, "{ctx}: stale value observed");
                            assert_eq!(v.has_changed(), seen != sends, "{ctx}");
                            drop(v);
                            r.seen = sends;
                        }
                    }
                }
                _ => {}
            }
            for r in &rxs {
                assert_eq!(
                    r.rx.has_changed(),
                    Ok(r.seen != sends),
                    "{ctx}: seen version"
                );
                assert_eq!(*r.rx.borrow(), sends, "{ctx}: latest value");
            }
            assert_eq!(tx.receiver_count(), rxs.len(), "{ctx}");
        }
        // The sender goes: a pending `changed` is woken and fails; one with an unseen
        // change still gets it first.
        let mut waits: Vec<_> = rxs
            .iter_mut()
            .map(|r| (r.seen != sends, r.rx.changed(), count_waker()))
            .collect();
        for (unseen, f, (_, w)) in &mut waits {
            assert_eq!(poll_with(f, w).is_ready(), *unseen);
        }
        drop(tx);
        for (unseen, f, (c, w)) in &mut waits {
            if !*unseen {
                assert_eq!(c.count(), 1, "seed {seed}: close lost a wake-up");
                assert!(matches!(poll_with(f, w), Poll::Ready(Err(_))));
            }
        }
    }
    assert!(completed > 0 && cancelled > 0);
}

#[test]
fn cancelled_changed_leaves_the_change_for_the_next_call() {
    let (tx, mut rx) = watch::channel("a");
    let (c, w) = count_waker();
    {
        let mut f = rx.changed();
        assert!(poll_with(&mut f, &w).is_pending());
        tx.send("b").unwrap();
        tx.send("c").unwrap();
        assert_eq!(c.count(), 1);
    } // cancelled after being woken
    assert_eq!(rx.has_changed(), Ok(true));
    assert_eq!(poll_with(&mut rx.changed(), &w), Poll::Ready(Ok(())));
    assert_eq!(*rx.borrow_and_update(), "c");
}

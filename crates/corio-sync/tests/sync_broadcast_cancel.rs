//! broadcast under random cancellation: receivers dropped or cancelled mid-`recv` at
//! random; every live receiver sees every message in order, or `Lagged(n)` with the
//! exact count and then the rest; nothing is delivered twice, and every buffered value
//! is freed once all receivers have read it.

use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use corio_sync::broadcast::{self, Receiver, RecvError, TryRecvError};
use corio_test_util::{count_waker, poll_with, Rng};

/// A message that counts its live copies.
#[derive(Debug)]
struct Msg(u64, Arc<AtomicIsize>);

impl Msg {
    fn new(v: u64, live: &Arc<AtomicIsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Msg(v, live.clone())
    }
}

impl Clone for Msg {
    fn clone(&self) -> Self {
        Msg::new(self.0, &self.1)
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        self.1.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A receiver and the position of the next message it must get.
struct Rx {
    rx: Receiver<Msg>,
    next: u64,
}

/// What the model says `rx` gets next, given `tail` sent and capacity `cap`; advances
/// the model. `None`: nothing new.
fn expect(rx: &mut Rx, tail: u64, cap: u64) -> Option<Result<u64, RecvError>> {
    if rx.next == tail {
        return None;
    }
    let oldest = tail.saturating_sub(cap);
    if rx.next < oldest {
        let missed = oldest - rx.next;
        rx.next = oldest;
        return Some(Err(RecvError::Lagged(missed)));
    }
    rx.next += 1;
    Some(Ok(rx.next - 1))
}

fn check(got: Result<Msg, RecvError>, want: Result<u64, RecvError>, ctx: &str) {
    match (got, want) {
        (Ok(m), Ok(v)) => assert_eq!(m.0, v, "{ctx}: wrong message"),
        (Err(e), Err(w)) => assert_eq!(e, w, "{ctx}: wrong error"),
        (got, want) => panic!("{ctx}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn randomized_cancellation_delivers_every_message_once_in_order() {
    let mut lagged = 0usize;
    for seed in 1..50u64 {
        let mut rng = Rng::new(seed);
        let cap = 1 + rng.below(4) as u64;
        let live = Arc::new(AtomicIsize::new(0));
        let (tx, rx) = broadcast::channel::<Msg>(cap as usize);
        let mut rxs = vec![Rx { rx, next: 0 }];
        let mut tail = 0u64;
        for step in 0..300 {
            let ctx = format!("seed {seed} step {step}");
            match rng.below(8) {
                0 | 1 => match tx.send(Msg::new(tail, &live)) {
                    Ok(n) => {
                        assert_eq!(n, rxs.len(), "{ctx}: receiver count");
                        tail += 1;
                    }
                    Err(_) => assert!(rxs.is_empty(), "{ctx}: refused with receivers"),
                },
                2 if rxs.len() < 5 => rxs.push(Rx {
                    rx: tx.subscribe(),
                    next: tail,
                }),
                3 if !rxs.is_empty() => {
                    let i = rng.below(rxs.len());
                    drop(rxs.remove(i));
                }
                _ if !rxs.is_empty() => {
                    // A `recv` on one receiver, with sends interleaved, then completed,
                    // cancelled, or cancelled together with its receiver.
                    let i = rng.below(rxs.len());
                    let r = &mut rxs[i];
                    let mut want = expect(r, tail, cap);
                    let (wakes, waker) = count_waker();
                    let mut fut = r.rx.recv();
                    let mut pending = false;
                    match (poll_with(&mut fut, &waker), want) {
                        (Poll::Pending, None) => pending = true,
                        (Poll::Ready(got), Some(w)) => check(got, w, &ctx),
                        (got, want) => panic!("{ctx}: polled {got:?}, want {want:?}"),
                    }
                    let sends = rng.below(3);
                    for _ in 0..sends {
                        tx.send(Msg::new(tail, &live)).unwrap();
                        tail += 1;
                    }
                    let woken = usize::from(pending && sends > 0);
                    assert_eq!(wakes.count(), woken, "{ctx}: wake count");
                    match rng.below(3) {
                        0 if pending => {
                            // Cancelled mid-recv: nothing consumed.
                            drop(fut);
                        }
                        1 if pending => {
                            // Dropped mid-recv together with its receiver.
                            drop(fut);
                            drop(rxs.remove(i));
                            continue;
                        }
                        _ if pending => {
                            let got = poll_with(&mut fut, &waker);
                            drop(fut);
                            want = expect(r, tail, cap);
                            match (got, want) {
                                (Poll::Pending, None) => {}
                                (Poll::Ready(got), Some(w)) => check(got, w, &ctx),
                                (got, want) => panic!("{ctx}: re-polled {got:?}, want {want:?}"),
                            }
                        }
                        _ => drop(fut),
                    }
                    if let Some(Err(RecvError::Lagged(_))) = want {
                        lagged += 1;
                    }
                }
                _ => {}
            }
            // Each live receiver's backlog is what the model says.
            for r in &rxs {
                assert_eq!(r.rx.len() as u64, tail - r.next, "{ctx}: backlog");
            }
            assert!(
                live.load(Ordering::SeqCst) <= cap as isize,
                "{ctx}: values leaked"
            );
        }
        // Every receiver drains the rest exactly as the model says; then no value is
        // left in the buffer (the last reader of each took it).
        for (k, r) in rxs.iter_mut().enumerate() {
            let ctx = format!("seed {seed} drain {k}");
            while let Some(w) = expect(r, tail, cap) {
                let got = r.rx.try_recv().map_err(|e| match e {
                    TryRecvError::Lagged(n) => RecvError::Lagged(n),
                    e => panic!("{ctx}: {e:?}"),
                });
                check(got, w, &ctx);
            }
            assert_eq!(r.rx.try_recv().unwrap_err(), TryRecvError::Empty, "{ctx}");
        }
        assert_eq!(
            live.load(Ordering::SeqCst),
            0,
            "seed {seed}: unread values kept"
        );
        // Closing: each pending recv is woken and sees Closed.
        let mut waits: Vec<_> = rxs
            .iter_mut()
            .map(|r| (r.rx.recv(), count_waker()))
            .collect();
        for (f, (_, w)) in &mut waits {
            assert!(poll_with(f, w).is_pending());
        }
        drop(tx);
        for (f, (c, w)) in &mut waits {
            assert_eq!(c.count(), 1, "seed {seed}: close lost a wake-up");
            assert_eq!(
                poll_with(f, w).map(|r| r.map(|m| m.0)),
                Poll::Ready(Err(RecvError::Closed))
            );
        }
        drop(waits);
        drop(rxs);
        assert_eq!(live.load(Ordering::SeqCst), 0, "seed {seed}: values leaked");
    }
    assert!(lagged > 0, "the runs exercised lagging");
}

#[test]
fn receiver_dropped_mid_recv_releases_its_unread_values() {
    let live = Arc::new(AtomicIsize::new(0));
    let (tx, mut a) = broadcast::channel::<Msg>(4);
    let mut b = tx.subscribe();
    let (cb, wb) = count_waker();
    {
        let mut fb = b.recv();
        assert!(poll_with(&mut fb, &wb).is_pending());
        tx.send(Msg::new(0, &live)).unwrap();
        tx.send(Msg::new(1, &live)).unwrap();
        assert_eq!(cb.count(), 1);
    } // b's recv cancelled: nothing consumed
    assert_eq!(b.len(), 2);
    drop(b); // b leaves: a is now the last reader of both
    assert_eq!(a.try_recv().unwrap().0, 0);
    assert_eq!(a.try_recv().unwrap().0, 1);
    assert_eq!(
        live.load(Ordering::SeqCst),
        0,
        "a took, not cloned, the last copies"
    );
}

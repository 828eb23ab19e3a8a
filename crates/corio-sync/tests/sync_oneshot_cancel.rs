//! oneshot under random drops: the value is delivered exactly once or handed back to
//! the sender, a dropped sender closes the receiver, and nothing leaks or drops twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use corio_sync::oneshot::{self, Receiver, Sender, TryRecvError};
use corio_test_util::{count_waker, poll_with, Rng};

/// A value that counts its drops.
#[derive(Debug)]
struct Tracked(u64, Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn randomized_drops_deliver_the_value_exactly_once_or_return_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut created = 0usize;
    let (mut delivered, mut returned, mut closed) = (0usize, 0usize, 0usize);
    for seed in 1..40u64 {
        let mut rng = Rng::new(seed);
        for round in 0..100u64 {
            let (tx, rx) = oneshot::channel::<Tracked>();
            let mut tx: Option<Sender<Tracked>> = Some(tx);
            let mut rx: Option<Receiver<Tracked>> = Some(rx);
            let (rx_wakes, rx_waker) = count_waker();
            let (tx_wakes, tx_waker) = count_waker();
            let mut rx_registered = false; // rx polled Pending at least once
            let mut tx_registered = false; // poll_closed returned Pending
            let mut sent: Option<u64> = None; // value sent while rx was alive
            let mut tx_gone_unsent = false;
            let mut rx_done = false; // rx got its outcome
            let ctx = format!("seed {seed} round {round}");
            for _ in 0..8 {
                match rng.below(6) {
                    0 | 1 if rx.is_some() && !rx_done => {
                        let r = poll_with(rx.as_mut().unwrap(), &rx_waker);
                        match (r, sent, tx_gone_unsent) {
                            (Poll::Ready(Ok(v)), Some(want), _) => {
                                assert_eq!(v.0, want, "{ctx}");
                                delivered += 1;
                                rx_done = true;
                            }
                            (Poll::Ready(Err(_)), None, true) => {
                                closed += 1;
                                rx_done = true;
                            }
                            (Poll::Pending, None, false) => rx_registered = true,
                            (r, ..) => panic!("{ctx}: rx polled {r:?}"),
                        }
                    }
                    2 if tx.is_some() => {
                        let mut cx = Context::from_waker(&tx_waker);
                        let r = tx.as_mut().unwrap().poll_closed(&mut cx);
                        assert_eq!(r.is_ready(), rx.is_none(), "{ctx}: poll_closed");
                        tx_registered |= r.is_pending();
                        assert_eq!(tx.as_ref().unwrap().is_closed(), rx.is_none());
                    }
                    3 if tx.is_some() => {
                        let v = seed * 1000 + round;
                        created += 1;
                        match tx.take().unwrap().send(Tracked(v, drops.clone())) {
                            Ok(()) => {
                                assert!(rx.is_some(), "{ctx}: sent to a dropped receiver");
                                sent = Some(v);
                            }
                            Err(back) => {
                                assert!(rx.is_none(), "{ctx}: refused a live receiver");
                                assert_eq!(back.0, v, "{ctx}: a different value came back");
                                returned += 1;
                            }
                        }
                    }
                    4 if tx.is_some() => {
                        drop(tx.take());
                        if sent.is_none() {
                            tx_gone_unsent = true;
                        }
                    }
                    5 if rx.is_some() => {
                        // Dropping the receiver, maybe mid-wait; a sent value that was
                        // never received is dropped with it (checked below).
                        drop(rx.take());
                    }
                    _ => {}
                }
                // Wake-ups: the waiting receiver exactly once when an outcome arrives.
                let rx_event = sent.is_some() || tx_gone_unsent;
                let want = usize::from(rx_registered && rx_event);
                if rx.is_some() {
                    assert_eq!(rx_wakes.count(), want, "{ctx}: rx wake count");
                }
                assert!(rx_wakes.count() <= 1, "{ctx}: rx woken twice");
                let want = usize::from(tx_registered && rx.is_none() && !rx_done);
                assert!(tx_wakes.count() <= 1);
                if tx.is_some() {
                    assert_eq!(tx_wakes.count(), want, "{ctx}: tx wake count");
                }
            }
            // The receiver still sees the outcome: the value, Closed, or Empty.
            if let Some(mut rx) = rx.take() {
                let mut finished = true;
                if !rx_done {
                    match (rx.try_recv(), sent) {
                        (Ok(v), Some(want)) => {
                            assert_eq!(v.0, want);
                            delivered += 1;
                        }
                        (Err(TryRecvError::Empty), None) => {
                            assert!(tx.is_some() && !tx_gone_unsent, "{ctx}");
                            finished = false;
                        }
                        (Err(TryRecvError::Closed), None) => {
                            assert!(tx_gone_unsent, "{ctx}");
                            closed += 1;
                        }
                        (r, _) => panic!("{ctx}: try_recv {r:?}"),
                    }
                }
                if finished {
                    assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Closed, "{ctx}");
                }
            }
            drop(tx);
            assert_eq!(
                drops.load(Ordering::SeqCst),
                created,
                "{ctx}: leaked or double drop"
            );
        }
    }
    assert!(delivered > 0 && returned > 0 && closed > 0);
}

#[test]
fn receiver_dropped_mid_wait_hands_the_value_back_and_wakes_closed() {
    let (mut tx, mut rx) = oneshot::channel::<String>();
    let (cr, wr) = count_waker();
    let (ct, wt) = count_waker();
    assert!(poll_with(&mut rx, &wr).is_pending());
    assert!(tx.poll_closed(&mut Context::from_waker(&wt)).is_pending());
    drop(rx);
    assert_eq!((cr.count(), ct.count()), (0, 1));
    assert!(tx.is_closed());
    assert_eq!(tx.send("kept".to_string()), Err("kept".to_string()));
}

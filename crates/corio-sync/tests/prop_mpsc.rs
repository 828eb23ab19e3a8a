//! Bounded `mpsc` against a reference model: random `try_send`, waiting `send`s, `recv`
//! and `try_recv`, cancellation of a waiting `send` or `recv` at a random step, and the
//! receiver dropped at the end.
//!
//! The model is the channel's documented contract (`mpsc/chan.rs`): capacity is a FIFO
//! semaphore of `capacity` permits; a sender holds one from before its push until the
//! receiver takes the message, and waiting senders get them in the order they queued.
//! After every step: `try_send` succeeds exactly when the model has a free permit,
//! messages arrive in the order they were accepted, exactly once, a cancelled send's
//! message never arrives, a waiting `recv` completes once a message is there, and no
//! un-woken future completes. When the receiver goes, every send still queued for a
//! permit fails with its own value handed back; one already admitted completes.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::Poll;

use corio_sync::mpsc::{self, Receiver};
use corio_test_util::{prop_config, spawn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    TrySend,
    Send,
    /// Poll the i-th waiting send (modulo their number).
    PollSend(usize),
    /// Cancel: drop the i-th waiting send.
    CancelSend(usize),
    /// Start a `recv` (or poll the one waiting).
    Recv,
    /// Cancel the waiting `recv`.
    CancelRecv,
    TryRecv,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::TrySend),
        3 => Just(Op::Send),
        3 => any::<usize>().prop_map(Op::PollSend),
        2 => any::<usize>().prop_map(Op::CancelSend),
        3 => Just(Op::Recv),
        1 => Just(Op::CancelRecv),
        2 => Just(Op::TryRecv),
    ]
}

/// A `recv` that owns its receiver's borrow. The test never touches a receiver while
/// its `recv` is pending: it drops the `recv` first (which ends the borrow).
#[allow(clippy::await_holding_refcell_ref)]
async fn recv(rx: Rc<RefCell<Receiver<u32>>>) -> Option<u32> {
    rx.borrow_mut().recv().await
}

#[derive(Default)]
struct Model {
    /// Free permits (capacity not held by a sender or a buffered message).
    free: usize,
    /// Senders queued for a permit, in order; those popped were granted one.
    queued: VecDeque<usize>,
    granted: Vec<usize>,
    /// Accepted messages not yet received, in order.
    buffered: VecDeque<u32>,
}

impl Model {
    fn release(&mut self) {
        match self.queued.pop_front() {
            Some(s) => self.granted.push(s),
            None => self.free += 1,
        }
    }
    fn received(&mut self, got: u32) {
        assert_eq!(
            Some(got),
            self.buffered.pop_front(),
            "messages out of order"
        );
        self.release();
    }
}

fn run(capacity: usize, ops: Vec<Op>) {
    let (tx, rx) = mpsc::channel::<u32>(capacity);
    let rx = Rc::new(RefCell::new(rx));
    let mut m = Model {
        free: capacity,
        ..Model::default()
    };
    let mut sends = Vec::new(); // (id, value, probe)
    let mut waiting_recv = None;
    let mut next = 0u32;
    for op in ops {
        match op {
            Op::TrySend => {
                let ok = tx.try_send(next).is_ok();
                assert_eq!(ok, m.free > 0, "try_send");
                if ok {
                    m.free -= 1;
                    m.buffered.push_back(next);
                }
                next += 1;
            }
            Op::Send => {
                let mut probe = spawn(tx.send(next));
                match probe.poll() {
                    Poll::Ready(r) => {
                        r.unwrap();
                        assert!(m.free > 0 && m.queued.is_empty(), "send jumped the queue");
                        m.free -= 1;
                        m.buffered.push_back(next);
                    }
                    Poll::Pending => {
                        assert_eq!(m.free, 0, "send waited with room");
                        m.queued.push_back(next as usize);
                        sends.push((next, probe));
                    }
                }
                next += 1;
            }
            Op::PollSend(i) if !sends.is_empty() => {
                let i = i % sends.len();
                let (value, probe) = &mut sends[i];
                let value = *value;
                let id = value as usize;
                if let Poll::Ready(r) = probe.poll() {
                    r.unwrap();
                    assert!(m.granted.contains(&id), "send {value} out of turn");
                    m.granted.retain(|&g| g != id);
                    m.buffered.push_back(value);
                    sends.remove(i);
                } else {
                    assert!(!m.granted.contains(&id), "granted send {value} pending");
                }
            }
            Op::CancelSend(i) if !sends.is_empty() => {
                let (value, probe) = sends.remove(i % sends.len());
                drop(probe);
                let id = value as usize;
                if m.granted.contains(&id) {
                    m.granted.retain(|&g| g != id);
                    m.release();
                } else {
                    m.queued.retain(|&q| q != id);
                }
            }
            Op::Recv => {
                let probe = waiting_recv.get_or_insert_with(|| spawn(recv(rx.clone())));
                match probe.poll() {
                    Poll::Ready(got) => {
                        m.received(got.expect("a sender is alive"));
                        waiting_recv = None;
                    }
                    Poll::Pending => assert!(m.buffered.is_empty(), "recv pending with a message"),
                }
            }
            Op::CancelRecv => waiting_recv = None,
            Op::TryRecv => {
                waiting_recv = None;
                let got = rx.borrow_mut().try_recv();
                match got {
                    Ok(got) => m.received(got),
                    Err(_) => assert!(m.buffered.is_empty(), "try_recv failed with a message"),
                }
            }
            Op::PollSend(_) | Op::CancelSend(_) => {}
        }
        for (value, probe) in &mut sends {
            let id = *value as usize;
            if m.granted.contains(&id) {
                assert!(probe.is_woken(), "granted send {value} was not woken");
            } else {
                assert!(probe.poll_not_lost("send").is_pending());
            }
        }
        if let Some(probe) = &mut waiting_recv {
            if !m.buffered.is_empty() {
                assert!(
                    probe.is_woken(),
                    "a message arrived and the recv was not woken"
                );
            } else {
                assert!(probe.poll_not_lost("recv").is_pending());
            }
        }
    }
    // The receiver goes: every waiting send fails with its value.
    waiting_recv = None;
    drop(waiting_recv);
    // Drain what is buffered (each receive hands its permit to the next queued send).
    loop {
        let got = rx.borrow_mut().try_recv();
        match got {
            Ok(got) => m.received(got),
            Err(_) => break,
        }
    }
    assert!(m.buffered.is_empty(), "lost: {:?}", m.buffered);
    drop(rx);
    for (value, mut probe) in sends {
        assert!(
            probe.is_woken(),
            "the receiver closed and send {value} was not woken"
        );
        let admitted = m.granted.contains(&(value as usize));
        match probe.poll() {
            // chan.rs rule 5: a send admitted (granted its permit) before the close
            // completes; with the receiver gone its value is dropped, as tokio's
            // `Permit::send` does.
            Poll::Ready(Ok(())) if admitted => {}
            Poll::Ready(Err(e)) if !admitted => assert_eq!(e.0, value),
            other => panic!("send {value} (admitted: {admitted}) after close: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(prop_config(256))]

    #[test]
    fn bounded_mpsc_matches_the_model(capacity in 1usize..4, ops in prop::collection::vec(op(), 1..80)) {
        run(capacity, ops);
    }
}

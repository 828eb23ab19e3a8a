//! `broadcast` against a reference model: random sends, new and dropped receivers,
//! `recv` and `try_recv` on any receiver, cancellation of a waiting `recv` at a random
//! step, and the sender dropped at the end.
//!
//! The model: the channel keeps the last `capacity` values; a receiver reads every value
//! sent after it subscribed, in order, and one that fell further behind is told how many
//! it missed (`Lagged(n)`) and goes on from the oldest value kept. After every step: each
//! `recv`/`try_recv` gives exactly the model's answer, `send` reports the model's
//! receiver count, a waiting `recv` is woken once a value is there, cancelling a `recv`
//! loses nothing (the next one gets the value), and no un-woken `recv` completes. After
//! the sender goes, each receiver reads what is left, then `Closed`.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;

use corio_sync::broadcast::{self, Receiver, RecvError, TryRecvError};
use corio_test_util::{prop_config, spawn, Spawn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Send,
    Subscribe,
    /// Drop the i-th receiver (modulo their number).
    DropRx(usize),
    /// Start a `recv` on the i-th receiver, or poll the one waiting there.
    Recv(usize),
    /// Cancel the i-th receiver's waiting `recv`.
    CancelRecv(usize),
    TryRecv(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Send),
        1 => Just(Op::Subscribe),
        1 => any::<usize>().prop_map(Op::DropRx),
        4 => any::<usize>().prop_map(Op::Recv),
        1 => any::<usize>().prop_map(Op::CancelRecv),
        2 => any::<usize>().prop_map(Op::TryRecv),
    ]
}

type Shared = Rc<RefCell<Receiver<u64>>>;

/// A `recv` that owns its receiver's borrow. The test never touches a receiver while
/// its `recv` is pending: it drops the `recv` first (which ends the borrow).
#[allow(clippy::await_holding_refcell_ref)]
async fn recv(rx: Shared) -> Result<u64, RecvError> {
    rx.borrow_mut().recv().await
}

/// What the model expects the next read of a receiver at `next` to give.
#[derive(Debug, PartialEq)]
enum Expect {
    Value(u64),
    Lagged(u64),
    Nothing,
}

struct Model {
    capacity: u64,
    /// Values sent so far (the values are their positions).
    tail: u64,
}

impl Model {
    fn expect(&self, next: &mut u64) -> Expect {
        let oldest = self.tail.saturating_sub(self.capacity);
        if *next < oldest {
            let missed = oldest - *next;
            *next = oldest;
            Expect::Lagged(missed)
        } else if *next < self.tail {
            *next += 1;
            Expect::Value(*next - 1)
        } else {
            Expect::Nothing
        }
    }
}

struct Rx<F: std::future::Future> {
    rx: Shared,
    /// The model's read position.
    next: u64,
    waiting: Option<Spawn<F>>,
}

fn got(r: Result<u64, RecvError>) -> Expect {
    match r {
        Ok(v) => Expect::Value(v),
        Err(RecvError::Lagged(n)) => Expect::Lagged(n),
        Err(RecvError::Closed) => panic!("closed while the sender lives"),
    }
}

fn run(capacity: usize, ops: Vec<Op>) {
    let (tx, first) = broadcast::channel::<u64>(capacity);
    let mut m = Model {
        capacity: capacity as u64,
        tail: 0,
    };
    let new_rx = |rx: Receiver<u64>, next| Rx {
        rx: Rc::new(RefCell::new(rx)),
        next,
        waiting: None,
    };
    let mut rxs = vec![new_rx(first, 0)];
    for op in ops {
        match op {
            Op::Send => match tx.send(m.tail) {
                Ok(n) => {
                    assert_eq!(n, rxs.len(), "send's receiver count");
                    m.tail += 1;
                }
                Err(e) => {
                    assert!(rxs.is_empty(), "send failed with receivers");
                    assert_eq!(e.0, m.tail);
                }
            },
            Op::Subscribe => rxs.push(new_rx(tx.subscribe(), m.tail)),
            Op::DropRx(i) if !rxs.is_empty() => {
                rxs.remove(i % rxs.len());
            }
            Op::Recv(i) if !rxs.is_empty() => {
                let n = rxs.len();
                let r = &mut rxs[i % n];
                let rx = r.rx.clone();
                let probe = r.waiting.get_or_insert_with(|| spawn(recv(rx)));
                let mut next = r.next;
                let want = m.expect(&mut next);
                match probe.poll() {
                    Poll::Ready(v) => {
                        assert_eq!(got(v), want);
                        r.next = next;
                        r.waiting = None;
                    }
                    Poll::Pending => assert_eq!(want, Expect::Nothing, "recv pending"),
                }
            }
            Op::CancelRecv(i) if !rxs.is_empty() => {
                let n = rxs.len();
                rxs[i % n].waiting = None;
            }
            Op::TryRecv(i) if !rxs.is_empty() => {
                let n = rxs.len();
                let r = &mut rxs[i % n];
                r.waiting = None;
                let want = m.expect(&mut r.next);
                let result = r.rx.borrow_mut().try_recv();
                let result = match result {
                    Ok(v) => Expect::Value(v),
                    Err(TryRecvError::Lagged(n)) => Expect::Lagged(n),
                    Err(TryRecvError::Empty) => Expect::Nothing,
                    Err(TryRecvError::Closed) => panic!("closed while the sender lives"),
                };
                assert_eq!(result, want, "try_recv");
            }
            Op::DropRx(_) | Op::Recv(_) | Op::CancelRecv(_) | Op::TryRecv(_) => {}
        }
        for r in &mut rxs {
            if let Some(probe) = &mut r.waiting {
                let has_news = r.next < m.tail;
                if has_news {
                    assert!(
                        probe.is_woken(),
                        "a value was sent and a recv was not woken"
                    );
                } else {
                    assert!(probe.poll_not_lost("recv").is_pending());
                }
            }
        }
    }
    // The sender goes: each receiver reads what is left, then `Closed`.
    drop(tx);
    for mut r in rxs {
        if let Some(probe) = &r.waiting {
            assert!(probe.is_woken(), "the sender went and a recv was not woken");
        }
        r.waiting = None;
        loop {
            let want = m.expect(&mut r.next);
            let result = futures::executor::block_on(recv(r.rx.clone()));
            match want {
                Expect::Nothing => {
                    assert_eq!(result, Err(RecvError::Closed));
                    break;
                }
                want => assert_eq!(got(result), want),
            }
        }
    }
}

proptest! {
    #![proptest_config(prop_config(256))]

    #[test]
    fn broadcast_matches_the_model(capacity in 1usize..4, ops in prop::collection::vec(op(), 1..80)) {
        run(capacity, ops);
    }
}

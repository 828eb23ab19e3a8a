//! `Semaphore` against a reference model: random acquires (waiting and not), releases,
//! `add_permits`, and cancellation of a waiting acquire at a random step.
//!
//! The model is the semaphore's documented contract (`semaphore/raw.rs`, rules 2–5):
//! waiters are served strictly in FIFO order; a waiter that queues takes the permits
//! available, a release hands permits to the head waiter first; a dropped waiter gives
//! back what it was assigned, or all of it if it had been granted. After every step the
//! available count must equal the model's, every waiter the model grants must have been
//! woken and complete, no other waiter may complete, and no un-woken waiter may complete
//! (lost wake-up). At the end, with everything dropped, every permit is back.

use std::collections::VecDeque;
use std::task::Poll;

use corio_sync::Semaphore;
use corio_test_util::{prop_config, spawn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    TryAcquire(u32),
    Acquire(u32),
    /// Poll the i-th waiting acquire (modulo their number).
    Poll(usize),
    /// Cancel: drop the i-th waiting acquire.
    Cancel(usize),
    /// Drop the i-th held permit.
    Release(usize),
    AddPermits(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1u32..=3).prop_map(Op::TryAcquire),
        3 => (1u32..=3).prop_map(Op::Acquire),
        3 => any::<usize>().prop_map(Op::Poll),
        2 => any::<usize>().prop_map(Op::Cancel),
        3 => any::<usize>().prop_map(Op::Release),
        1 => (1usize..=3).prop_map(Op::AddPermits),
    ]
}

/// The reference model.
#[derive(Default)]
struct Model {
    avail: usize,
    /// Queued waiters: (id, asked, still missing).
    queue: VecDeque<(usize, usize, usize)>,
    /// Waiters whose permits were all assigned (popped), not yet polled: (id, asked).
    granted: Vec<(usize, usize)>,
}

impl Model {
    /// Rule 2: released permits go to the queued waiters first, in order.
    fn release(&mut self, mut k: usize) {
        while k > 0 {
            let Some(head) = self.queue.front_mut() else {
                break;
            };
            let give = k.min(head.2);
            head.2 -= give;
            k -= give;
            if head.2 == 0 {
                let (id, n, _) = self.queue.pop_front().unwrap();
                self.granted.push((id, n));
            }
        }
        self.avail += k;
    }

    fn is_granted(&self, id: usize) -> bool {
        self.granted.iter().any(|&(g, _)| g == id)
    }
}

fn run(initial: usize, ops: Vec<Op>) {
    let sem = Semaphore::new(initial);
    let mut model = Model {
        avail: initial,
        ..Model::default()
    };
    let mut total = initial;
    let mut held = Vec::new();
    let mut waiting = Vec::new(); // (id, asked, probe)
    let mut next_id = 0;
    for op in ops {
        match op {
            Op::TryAcquire(n) => {
                let got = sem.try_acquire_many(n);
                assert_eq!(
                    got.is_ok(),
                    model.avail >= n as usize,
                    "try_acquire_many({n})"
                );
                if let Ok(p) = got {
                    model.avail -= n as usize;
                    held.push(p);
                }
            }
            Op::Acquire(n) => {
                let n_us = n as usize;
                let mut probe = spawn(sem.acquire_many(n));
                let ready_now = model.queue.is_empty() && model.avail >= n_us;
                match probe.poll() {
                    Poll::Ready(p) => {
                        assert!(ready_now, "acquire({n}) jumped the queue");
                        model.avail -= n_us;
                        held.push(p.unwrap());
                    }
                    Poll::Pending => {
                        assert!(!ready_now, "acquire({n}) waited with permits free");
                        let take = model.avail.min(n_us);
                        model.avail -= take;
                        model.queue.push_back((next_id, n_us, n_us - take));
                        waiting.push((next_id, n_us, probe));
                        next_id += 1;
                    }
                }
            }
            Op::Poll(i) if !waiting.is_empty() => {
                let i = i % waiting.len();
                let (id, n, probe) = &mut waiting[i];
                let (id, n) = (*id, *n);
                match probe.poll() {
                    Poll::Ready(p) => {
                        assert!(model.is_granted(id), "waiter {id} completed out of turn");
                        model.granted.retain(|&(g, _)| g != id);
                        assert_eq!(p.as_ref().unwrap().num_permits(), n);
                        held.push(p.unwrap());
                        waiting.remove(i);
                    }
                    Poll::Pending => assert!(!model.is_granted(id), "granted waiter {id} pending"),
                }
            }
            Op::Cancel(i) if !waiting.is_empty() => {
                let (id, n, probe) = waiting.remove(i % waiting.len());
                drop(probe);
                // Rule 5.
                if model.is_granted(id) {
                    model.granted.retain(|&(g, _)| g != id);
                    model.release(n);
                } else {
                    let at = model.queue.iter().position(|w| w.0 == id).unwrap();
                    let (_, n, missing) = model.queue.remove(at).unwrap();
                    model.release(n - missing);
                }
            }
            Op::Release(i) if !held.is_empty() => {
                let p = held.remove(i % held.len());
                let n = p.num_permits();
                drop(p);
                model.release(n);
            }
            Op::AddPermits(k) => {
                sem.add_permits(k);
                total += k;
                model.release(k);
            }
            Op::Poll(_) | Op::Cancel(_) | Op::Release(_) => {}
        }
        assert_eq!(sem.available_permits(), model.avail);
        // Every granted waiter was woken; nobody completes without a wake-up.
        for (id, _, probe) in &waiting {
            if model.is_granted(*id) {
                assert!(probe.is_woken(), "granted waiter {id} was not woken");
            }
        }
        for (id, _, probe) in &mut waiting {
            if !probe.is_woken() {
                assert!(probe.poll_not_lost(&format!("waiter {id}")).is_pending());
            }
        }
    }
    // Nothing is lost: with every waiter and permit dropped, all permits are back.
    drop(waiting);
    drop(held);
    assert_eq!(sem.available_permits(), total);
}

proptest! {
    #![proptest_config(prop_config(256))]

    #[test]
    fn semaphore_matches_the_fifo_model(initial in 0usize..4, ops in prop::collection::vec(op(), 1..80)) {
        run(initial, ops);
    }
}

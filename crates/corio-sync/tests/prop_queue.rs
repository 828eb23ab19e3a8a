//! `Queue` (FIFO, bounded and unbounded) against a reference model: random
//! `put_nowait`/`get_nowait`, waiting `put`/`get`, `task_done`, and cancellation of a
//! waiting `put` or `get` at a random step.
//!
//! The model is the queue's documented contract (`queue/mod.rs`, rules 1–3): waiting
//! getters and putters queue in FIFO order; a put that makes an item available chooses
//! the first getter and reserves the item for it, a get that frees a slot chooses the
//! first putter; nobody else takes a reserved item or slot; a chosen waiter dropped
//! unserved passes its reservation on. After every step: each non-waiting call
//! succeeds exactly when the model says, every item comes out in the order it went in,
//! exactly once, a cancelled put's item never appears, a chosen waiter was woken, and no
//! un-woken waiter completes. At the end, the items left are exactly the model's.

use std::collections::VecDeque;
use std::task::Poll;

use corio_sync::Queue;
use corio_test_util::{prop_config, spawn, Spawn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    PutNowait,
    GetNowait,
    Put,
    Get,
    /// Poll the i-th waiting future (modulo their number).
    Poll(usize),
    /// Cancel: drop the i-th waiting future.
    Cancel(usize),
    TaskDone,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::PutNowait),
        2 => Just(Op::GetNowait),
        3 => Just(Op::Put),
        3 => Just(Op::Get),
        4 => any::<usize>().prop_map(Op::Poll),
        2 => any::<usize>().prop_map(Op::Cancel),
        1 => Just(Op::TaskDone),
    ]
}

#[derive(Default)]
struct Model {
    max: usize,
    items: VecDeque<u32>,
    reserved_items: usize,
    reserved_slots: usize,
    /// Waiting, not yet chosen (ids, in order).
    getters: VecDeque<usize>,
    putters: VecDeque<usize>,
    /// Chosen, not yet served.
    chosen: Vec<usize>,
    unfinished: usize,
}

impl Model {
    fn can_get(&self) -> bool {
        self.items.len() > self.reserved_items
    }
    fn can_put(&self) -> bool {
        self.items.len() + self.reserved_slots < self.max
    }
    /// Rule 1: unreserved items go to the first waiting getters.
    fn choose_getters(&mut self) {
        while self.can_get() {
            let Some(g) = self.getters.pop_front() else {
                break;
            };
            self.reserved_items += 1;
            self.chosen.push(g);
        }
    }
    /// Rule 1: free slots go to the first waiting putters.
    fn choose_putters(&mut self) {
        while self.can_put() {
            let Some(p) = self.putters.pop_front() else {
                break;
            };
            self.reserved_slots += 1;
            self.chosen.push(p);
        }
    }
    fn push(&mut self, item: u32) {
        self.items.push_back(item);
        self.unfinished += 1;
        self.choose_getters();
    }
    fn pop(&mut self, got: u32) {
        assert_eq!(Some(got), self.items.pop_front(), "items out of order");
        self.choose_putters();
    }
    fn is_chosen(&self, id: usize) -> bool {
        self.chosen.contains(&id)
    }
}

enum Waiting<P: std::future::Future, G: std::future::Future> {
    Put(u32, Spawn<P>),
    Get(Spawn<G>),
}

fn run(maxsize: usize, ops: Vec<Op>) {
    let q = Queue::<u32>::new(maxsize);
    let mut m = Model {
        max: if maxsize == 0 { usize::MAX } else { maxsize },
        ..Model::default()
    };
    let mut waiting = Vec::new(); // (id, Waiting)
    let mut next_item = 0u32;
    let mut next_id = 0usize;
    for op in ops {
        match op {
            Op::PutNowait => {
                let ok = q.put_nowait(next_item).is_ok();
                assert_eq!(ok, m.can_put(), "put_nowait");
                if ok {
                    m.push(next_item);
                }
                next_item += 1;
            }
            Op::GetNowait => match q.get_nowait() {
                Ok(got) => {
                    assert!(m.can_get(), "get_nowait took a reserved item");
                    m.pop(got);
                }
                Err(_) => assert!(!m.can_get(), "get_nowait failed with an item free"),
            },
            Op::Put => {
                let item = next_item;
                next_item += 1;
                let mut probe = spawn(q.put(item));
                match probe.poll() {
                    Poll::Ready(r) => {
                        assert!(m.can_put() && m.putters.is_empty(), "put jumped the queue");
                        r.unwrap();
                        m.push(item);
                    }
                    Poll::Pending => {
                        assert!(!m.can_put(), "put waited with a slot free");
                        m.putters.push_back(next_id);
                        waiting.push((next_id, Waiting::Put(item, probe)));
                        next_id += 1;
                    }
                }
            }
            Op::Get => {
                let mut probe = spawn(q.get());
                match probe.poll() {
                    Poll::Ready(r) => {
                        assert!(m.can_get() && m.getters.is_empty(), "get jumped the queue");
                        m.pop(r.unwrap());
                    }
                    Poll::Pending => {
                        assert!(!m.can_get(), "get waited with an item free");
                        m.getters.push_back(next_id);
                        waiting.push((next_id, Waiting::Get(probe)));
                        next_id += 1;
                    }
                }
            }
            Op::Poll(i) if !waiting.is_empty() => {
                let i = i % waiting.len();
                let id = waiting[i].0;
                let done = match &mut waiting[i].1 {
                    Waiting::Put(item, probe) => probe.poll().map(|r| {
                        r.unwrap();
                        assert!(m.is_chosen(id), "putter {id} served out of turn");
                        m.chosen.retain(|&c| c != id);
                        m.reserved_slots -= 1;
                        m.push(*item);
                    }),
                    Waiting::Get(probe) => probe.poll().map(|r| {
                        assert!(m.is_chosen(id), "getter {id} served out of turn");
                        m.chosen.retain(|&c| c != id);
                        m.reserved_items -= 1;
                        m.pop(r.unwrap());
                    }),
                };
                if done.is_ready() {
                    waiting.remove(i);
                } else {
                    assert!(!m.is_chosen(id), "chosen waiter {id} still pending");
                }
            }
            Op::Cancel(i) if !waiting.is_empty() => {
                let (id, w) = waiting.remove(i % waiting.len());
                let is_put = matches!(w, Waiting::Put(..));
                drop(w);
                // Rule 3: a chosen waiter passes its reservation on.
                if m.is_chosen(id) {
                    m.chosen.retain(|&c| c != id);
                    if is_put {
                        m.reserved_slots -= 1;
                        m.choose_putters();
                    } else {
                        m.reserved_items -= 1;
                        m.choose_getters();
                    }
                } else {
                    m.getters.retain(|&g| g != id);
                    m.putters.retain(|&p| p != id);
                }
            }
            Op::TaskDone => {
                let ok = q.task_done().is_ok();
                assert_eq!(ok, m.unfinished > 0, "task_done");
                m.unfinished = m.unfinished.saturating_sub(1);
            }
            Op::Poll(_) | Op::Cancel(_) => {}
        }
        // The chosen were woken; no un-woken waiter completes.
        for (id, w) in &mut waiting {
            let (woken, pending) = match w {
                Waiting::Put(_, p) => (
                    p.is_woken(),
                    !p.is_woken() && p.poll_not_lost("put").is_pending(),
                ),
                Waiting::Get(p) => (
                    p.is_woken(),
                    !p.is_woken() && p.poll_not_lost("get").is_pending(),
                ),
            };
            assert!(woken || pending);
            if m.is_chosen(*id) {
                assert!(woken, "chosen waiter {id} was not woken");
            }
        }
    }
    // Every accepted item is still there, in order, exactly once.
    drop(waiting);
    let mut left = Vec::new();
    while let Ok(item) = q.get_nowait() {
        left.push(item);
    }
    assert_eq!(left, Vec::from(m.items));
}

proptest! {
    #![proptest_config(prop_config(256))]

    #[test]
    fn queue_matches_the_reservation_model(maxsize in 0usize..4, ops in prop::collection::vec(op(), 1..80)) {
        run(maxsize, ops);
    }
}

//! Queue family: asyncio semantics, task_done/join, shutdown, cancellation.

use std::task::Poll;

use corio_sync::{LifoQueue, PriorityQueue, Queue, TryGetError, TryPutError};
use corio_test_util::{count_waker, poll_once, poll_with, Rng};
use futures::executor::block_on;

#[test]
fn nowait_errors_hand_the_item_back() {
    let q = Queue::new(1);
    q.put_nowait("a").unwrap();
    assert!(q.full());
    assert_eq!(q.put_nowait("b"), Err(TryPutError::Full("b")));
    assert_eq!(q.get_nowait(), Ok("a"));
    assert_eq!(q.get_nowait(), Err(TryGetError::Empty));
    assert!(q.empty());
    assert_eq!(TryPutError::Full(1).to_string(), "queue is full");
    assert_eq!(TryGetError::Empty.to_string(), "queue is empty");
}

#[test]
fn orders_fifo_lifo_priority() {
    let f = Queue::new(0);
    let l = LifoQueue::new(0);
    let p = PriorityQueue::new(0);
    for x in [3, 1, 2] {
        f.put_nowait(x).unwrap();
        l.put_nowait(x).unwrap();
        p.put_nowait(x).unwrap();
    }
    let drain =
        |g: &dyn Fn() -> Result<i32, TryGetError>| (0..3).map(|_| g().unwrap()).collect::<Vec<_>>();
    assert_eq!(drain(&|| f.get_nowait()), [3, 1, 2]);
    assert_eq!(drain(&|| l.get_nowait()), [2, 1, 3]);
    assert_eq!(drain(&|| p.get_nowait()), [1, 2, 3]);
}

#[test]
fn unbounded_queue_is_never_full() {
    let q = Queue::new(0);
    for i in 0..10_000 {
        q.put_nowait(i).unwrap();
    }
    assert!(!q.full());
    assert_eq!(q.qsize(), 10_000);
}

#[test]
fn put_waits_for_a_slot_and_get_for_an_item() {
    let q = Queue::new(1);
    q.put_nowait(1).unwrap();
    let (c, w) = count_waker();
    let mut put = Box::pin(q.put(2));
    assert!(poll_with(&mut put, &w).is_pending());
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(c.count(), 1);
    assert!(
        q.put_nowait(9).is_err(),
        "the freed slot is reserved for the waiting put"
    );
    assert!(matches!(poll_once(&mut put), Poll::Ready(Ok(()))));
    let mut get = Box::pin(q.get());
    assert_eq!(poll_once(&mut get), Poll::Ready(Ok(2)));
    let mut get = Box::pin(q.get());
    assert!(poll_once(&mut get).is_pending());
    q.put_nowait(3).unwrap();
    assert_eq!(
        q.get_nowait(),
        Err(TryGetError::Empty),
        "item reserved for the waiting get"
    );
    assert_eq!(poll_once(&mut get), Poll::Ready(Ok(3)));
}

#[test]
fn task_done_too_many_is_an_error_and_join_waits_for_all() {
    let q = Queue::new(0);
    assert_eq!(
        q.task_done().unwrap_err().to_string(),
        "task_done() called too many times"
    );
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    let mut join = Box::pin(q.join());
    assert!(poll_once(&mut join).is_pending());
    q.get_nowait().unwrap();
    q.task_done().unwrap();
    assert!(poll_once(&mut join).is_pending());
    q.get_nowait().unwrap();
    q.task_done().unwrap();
    assert!(poll_once(&mut join).is_ready());
    assert!(q.task_done().is_err());
    assert!(poll_once(&mut Box::pin(q.join())).is_ready());
}

#[test]
fn shutdown_fails_puts_and_drains_gets() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.shutdown(false);
    assert!(q.is_shutdown());
    assert_eq!(q.put_nowait(2), Err(TryPutError::ShutDown(2)));
    assert_eq!(block_on(q.put(3)).unwrap_err().0, 3);
    assert_eq!(block_on(q.get()), Ok(1));
    assert!(block_on(q.get()).is_err());
    assert_eq!(q.get_nowait(), Err(TryGetError::ShutDown));
}

#[test]
fn shutdown_wakes_every_waiter_with_an_error() {
    let q: Queue<i32> = Queue::new(1);
    let (c, w) = count_waker();
    let mut g1 = Box::pin(q.get());
    let mut g2 = Box::pin(q.get());
    assert!(poll_with(&mut g1, &w).is_pending());
    assert!(poll_with(&mut g2, &w).is_pending());
    let full: Queue<i32> = Queue::new(1);
    full.put_nowait(0).unwrap();
    let mut p = Box::pin(full.put(1));
    assert!(poll_with(&mut p, &w).is_pending());
    q.shutdown(false);
    full.shutdown(false);
    assert_eq!(c.count(), 3);
    assert!(matches!(poll_once(&mut g1), Poll::Ready(Err(_))));
    assert!(matches!(poll_once(&mut g2), Poll::Ready(Err(_))));
    assert!(matches!(poll_once(&mut p), Poll::Ready(Err(e)) if e.0 == 1));
}

#[test]
fn immediate_shutdown_drops_items_and_releases_join() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    let mut join = Box::pin(q.join());
    assert!(poll_once(&mut join).is_pending());
    q.shutdown(true);
    assert!(q.empty());
    assert!(poll_once(&mut join).is_ready());
    assert_eq!(q.get_nowait(), Err(TryGetError::ShutDown));
}

#[test]
fn immediate_shutdown_keeps_join_waiting_for_taken_items() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    q.get_nowait().unwrap(); // taken, not yet done
    let mut join = Box::pin(q.join());
    q.shutdown(true);
    assert!(poll_once(&mut join).is_pending());
    q.task_done().unwrap();
    assert!(poll_once(&mut join).is_ready());
}

#[test]
fn cancelled_chosen_getter_passes_the_item_on() {
    let q = Queue::new(0);
    let mut a = Box::pin(q.get());
    let mut b = Box::pin(q.get());
    let (c, w) = count_waker();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_with(&mut b, &w).is_pending());
    q.put_nowait(7).unwrap(); // reserved for a
    drop(a);
    assert_eq!(c.count(), 1);
    assert_eq!(poll_once(&mut b), Poll::Ready(Ok(7)));
}

#[test]
fn many_producers_and_consumers_on_a_thread_pool() {
    let q: Queue<u32> = Queue::new(4);
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(2)
        .create()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for p in 0..3u32 {
        let q = q.clone();
        pool.spawn_ok(async move {
            for i in 0..100 {
                q.put(p * 1000 + i).await.unwrap();
            }
        });
    }
    for _ in 0..3 {
        let (q, tx) = (q.clone(), tx.clone());
        pool.spawn_ok(async move {
            let mut got = Vec::new();
            for _ in 0..100 {
                got.push(q.get().await.unwrap());
                q.task_done().unwrap();
            }
            tx.send(got).unwrap();
        });
    }
    let mut all: Vec<u32> = (0..3).flat_map(|_| rx.recv().unwrap()).collect();
    block_on(q.join());
    all.sort();
    let mut want: Vec<u32> = (0..3)
        .flat_map(|p| (0..100).map(move |i| p * 1000 + i))
        .collect();
    want.sort();
    assert_eq!(all, want);
}

#[test]
fn randomized_cancellation_delivers_every_item_exactly_once() {
    for seed in 1..40u64 {
        let mut rng = Rng::new(seed);
        let q: Queue<u32> = Queue::new(3);
        type PendingPut<'a> = (
            u32,
            std::pin::Pin<Box<corio_sync::Put<'a, u32, corio_sync::Fifo<u32>>>>,
        );
        let mut puts: Vec<PendingPut<'_>> = Vec::new();
        let mut gets = Vec::new();
        let mut next = 0u32;
        let mut stored = Vec::new(); // items whose put completed
        let mut received = Vec::new();
        for _ in 0..400 {
            match rng.below(6) {
                0 => {
                    let mut p = Box::pin(q.put(next));
                    match poll_once(&mut p) {
                        Poll::Ready(r) => {
                            r.unwrap();
                            stored.push(next);
                        }
                        Poll::Pending => puts.push((next, p)),
                    }
                    next += 1;
                }
                1 => {
                    let mut g = Box::pin(q.get());
                    match poll_once(&mut g) {
                        Poll::Ready(v) => received.push(v.unwrap()),
                        Poll::Pending => gets.push(g),
                    }
                }
                2 if !puts.is_empty() => {
                    let i = rng.below(puts.len());
                    drop(puts.remove(i)); // that item was never stored
                }
                3 if !gets.is_empty() => {
                    let i = rng.below(gets.len());
                    drop(gets.remove(i));
                }
                _ => {
                    let mut i = 0;
                    while i < puts.len() {
                        if let Poll::Ready(r) = poll_once(&mut puts[i].1) {
                            r.unwrap();
                            stored.push(puts.remove(i).0);
                        } else {
                            i += 1;
                        }
                    }
                    let mut i = 0;
                    while i < gets.len() {
                        if let Poll::Ready(v) = poll_once(&mut gets[i]) {
                            received.push(v.unwrap());
                            drop(gets.remove(i));
                        } else {
                            i += 1;
                        }
                    }
                }
            }
            assert!(q.qsize() <= 3);
        }
        drop(gets);
        drop(puts);
        while let Ok(v) = q.get_nowait() {
            received.push(v);
        }
        received.sort();
        stored.sort();
        assert_eq!(received, stored, "seed {seed}: items lost or duplicated");
        assert_eq!(q.unfinished_tasks(), stored.len());
    }
}

#[test]
fn handles_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let q: Queue<String> = Queue::new(0);
    send_sync(&q);
    send_sync(&q.put(String::new()));
    send_sync(&q.get());
    send_sync(&q.join());
    send_sync(&PriorityQueue::<u8>::new(0));
}

#[test]
fn empty_full_and_qsize_agree_with_nowait_while_a_woken_getter_holds_its_item() {
    let q = Queue::new(1);
    let (_c, waker) = count_waker();
    let mut getter = Box::pin(q.get());
    assert!(poll_with(&mut getter, &waker).is_pending());
    // The item is promised to the woken getter, which has not run yet.
    q.put_nowait(7).unwrap();
    assert_eq!(q.get_nowait(), Err(TryGetError::Empty));
    assert!(q.empty(), "empty() must agree with get_nowait()");
    assert_eq!(q.qsize(), 0);
    // The slot is still taken by that item: put_nowait fails, and full() says so.
    assert_eq!(q.put_nowait(8), Err(TryPutError::Full(8)));
    assert!(q.full());
    assert_eq!(poll_with(&mut getter, &waker), Poll::Ready(Ok(7)));
    assert!(!q.full());
}

#[test]
fn full_agrees_with_put_nowait_while_a_woken_putter_holds_its_slot() {
    let q = Queue::new(1);
    q.put_nowait(1).unwrap();
    let (_c, waker) = count_waker();
    let mut putter = Box::pin(q.put(2));
    assert!(poll_with(&mut putter, &waker).is_pending());
    // The freed slot is promised to the woken putter.
    assert_eq!(q.get_nowait(), Ok(1));
    assert!(q.full(), "full() must agree with put_nowait()");
    assert_eq!(q.put_nowait(3), Err(TryPutError::Full(3)));
    assert!(poll_with(&mut putter, &waker).is_ready());
    assert_eq!(q.qsize(), 1);
}

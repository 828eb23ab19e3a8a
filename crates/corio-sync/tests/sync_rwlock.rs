//! RwLock behaviour: shared reads, exclusive writes, fairness, cancellation.

use std::sync::Arc;

use corio_sync::RwLock;
use corio_test_util::{poll_once, Rng};
use futures::executor::block_on;

#[test]
fn readers_share_and_writers_exclude() {
    let l = RwLock::new(1);
    let a = l.try_read().unwrap();
    let b = l.try_read().unwrap();
    assert!(l.try_write().is_err());
    drop((a, b));
    let mut w = l.try_write().unwrap();
    *w = 2;
    assert!(l.try_read().is_err());
    drop(w);
    assert_eq!(*block_on(l.read()), 2);
}

#[test]
fn queued_writer_blocks_later_readers() {
    let l = RwLock::new(());
    let r = l.try_read().unwrap();
    let mut w = Box::pin(l.write());
    assert!(poll_once(&mut w).is_pending());
    assert!(
        l.try_read().is_err(),
        "a reader must not overtake the queued writer"
    );
    let mut r2 = Box::pin(l.read());
    assert!(poll_once(&mut r2).is_pending());
    drop(r);
    assert!(poll_once(&mut r2).is_pending());
    let g = match poll_once(&mut w) {
        std::task::Poll::Ready(g) => g,
        std::task::Poll::Pending => panic!("writer should hold the lock"),
    };
    drop(g);
    assert!(poll_once(&mut r2).is_ready());
}

#[test]
fn cancelled_writer_gives_back_collected_slots() {
    let l = RwLock::new(());
    let r = l.try_read().unwrap();
    let mut w = Box::pin(l.write());
    assert!(poll_once(&mut w).is_pending());
    drop(w);
    assert!(l.try_read().is_ok());
    drop(r);
    assert!(l.try_write().is_ok());
}

#[test]
fn randomized_cancellation_keeps_the_lock_consistent() {
    for seed in 1..25u64 {
        let mut rng = Rng::new(seed);
        let l = Arc::new(RwLock::new(()));
        #[allow(dead_code)] // the guards are held for their effect
        enum Held {
            R(corio_sync::OwnedRwLockReadGuard<()>),
            W(corio_sync::OwnedRwLockWriteGuard<()>),
        }
        type Waiting = std::pin::Pin<Box<dyn std::future::Future<Output = Held>>>;
        let mut waiting: Vec<(bool, Waiting)> = Vec::new();
        let mut held: Vec<Held> = Vec::new();
        for _ in 0..300 {
            match rng.below(4) {
                0 => {
                    let write = rng.below(3) == 0;
                    let l2 = l.clone();
                    let f: Waiting = if write {
                        Box::pin(async move { Held::W(l2.write_owned().await) })
                    } else {
                        Box::pin(async move { Held::R(l2.read_owned().await) })
                    };
                    waiting.push((write, f));
                }
                1 if !waiting.is_empty() => {
                    let i = rng.below(waiting.len());
                    drop(waiting.remove(i));
                }
                2 if !held.is_empty() => {
                    let i = rng.below(held.len());
                    drop(held.remove(i));
                }
                _ => {
                    let mut i = 0;
                    while i < waiting.len() {
                        if let std::task::Poll::Ready(h) = poll_once(&mut waiting[i].1) {
                            held.push(h);
                            drop(waiting.remove(i));
                        } else {
                            i += 1;
                        }
                    }
                }
            }
            let writers = held.iter().filter(|h| matches!(h, Held::W(_))).count();
            assert!(
                writers == 0 || held.len() == 1,
                "seed {seed}: writer not exclusive"
            );
        }
        drop(waiting);
        drop(held);
        assert!(l.try_write().is_ok(), "seed {seed}: slots lost");
    }
}

#[test]
fn guards_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let l = RwLock::new(0);
    send_sync(&l.try_read().unwrap());
    drop(l.try_read());
    send_sync(&l.try_write().unwrap());
    send_sync(&l);
}

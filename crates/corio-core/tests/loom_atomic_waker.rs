//! loom model of `AtomicWaker`: a wake racing a registration is never lost.
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p corio-core --test loom_atomic_waker --release`.
#![cfg(loom)]

use corio_core::AtomicWaker;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use std::task::{Wake, Waker};

struct Count(std::sync::atomic::AtomicUsize);
impl Wake for Count {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn wake_racing_register_is_not_lost() {
    loom::model(|| {
        let aw = Arc::new(AtomicWaker::new());
        let flag = Arc::new(AtomicBool::new(false));
        let count = std::sync::Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        let (aw2, flag2) = (aw.clone(), flag.clone());
        let t = thread::spawn(move || {
            flag2.store(true, Ordering::SeqCst);
            aw2.wake();
        });
        aw.register(&Waker::from(count.clone()));
        let seen = flag.load(Ordering::SeqCst);
        t.join().unwrap();
        assert!(seen || count.0.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    });
}

#[test]
fn two_wakers_racing_take_at_most_once() {
    loom::model(|| {
        let aw = Arc::new(AtomicWaker::new());
        let count = std::sync::Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        aw.register(&Waker::from(count.clone()));
        let taken = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let (aw, taken) = (aw.clone(), taken.clone());
                thread::spawn(move || {
                    if aw.take().is_some() {
                        taken.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert!(taken.load(Ordering::SeqCst) <= 1);
    });
}

//! loom model of the semaphore core: exclusivity, FIFO hand-off and permit
//! conservation under every interleaving (with bounded preemption).
#![cfg(loom)]

mod loom_support;

use loom::sync::Arc;
use loom::thread;

use corio_sync::Semaphore;

#[test]
fn contended_acquire_release_conserves_permits() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let ths: Vec<_> = (0..2)
            .map(|_| {
                let (sem, held) = (sem.clone(), held.clone());
                thread::spawn(move || {
                    loom_support::block_on(async {
                        let _p = sem.acquire().await.unwrap();
                        assert_eq!(held.fetch_add(1, loom::sync::atomic::Ordering::SeqCst), 0);
                        held.fetch_sub(1, loom::sync::atomic::Ordering::SeqCst);
                    });
                })
            })
            .collect();
        for t in ths {
            t.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn close_races_a_waiter() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s2 = sem.clone();
        let t = thread::spawn(move || loom_support::block_on(s2.acquire()).is_err());
        sem.close();
        assert!(t.join().unwrap());
    });
}

#[test]
fn add_permits_races_try_acquire_and_waiter() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s2 = sem.clone();
        let t = thread::spawn(move || {
            loom_support::block_on(s2.acquire()).unwrap().forget();
        });
        sem.add_permits(2);
        let got = sem.try_acquire().map(|p| p.forget()).is_ok();
        t.join().unwrap();
        assert_eq!(sem.available_permits() + 1 + usize::from(got), 2);
    });
}

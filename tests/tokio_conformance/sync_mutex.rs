//! `tokio/tests/sync_mutex.rs`, translated.

use std::sync::Arc;
use std::time::Duration;

use corio::sync::Mutex;

use corio_test_util::{assert_pending, assert_ready, spawn};

#[test]
fn straight_execution() {
    let l = Mutex::new(100);
    {
        let mut t = spawn(l.lock());
        let mut g = assert_ready!(t.poll());
        assert_eq!(&*g, &100);
        *g = 99;
    }
    {
        let mut t = spawn(l.lock());
        let mut g = assert_ready!(t.poll());
        assert_eq!(&*g, &99);
        *g = 98;
    }
    {
        let mut t = spawn(l.lock());
        let g = assert_ready!(t.poll());
        assert_eq!(&*g, &98);
    }
}

#[test]
fn readiness() {
    let l1 = Arc::new(Mutex::new(100));
    let l2 = Arc::clone(&l1);
    let mut t1 = spawn(l1.lock());
    let mut t2 = spawn(l2.lock());
    let g = assert_ready!(t1.poll());
    // We can't now acquire the lease since it's already held in g
    assert_pending!(t2.poll());
    // But once g unlocks, we can acquire it
    drop(g);
    assert!(t2.is_woken());
    let _t2 = assert_ready!(t2.poll());
}

/// Ensure a mutex is unlocked if a future holding the lock is aborted prematurely.
#[corio::test(start_paused = true)]
async fn aborted_future_1() {
    let m1: Arc<Mutex<usize>> = Arc::new(Mutex::new(0));
    {
        let m2 = m1.clone();
        // Try to lock mutex in a future that is aborted prematurely
        corio::time::timeout(Duration::from_millis(1), async move {
            let iv = corio::time::interval(Duration::from_millis(1000));
            futures::pin_mut!(iv);
            let _g = m2.lock().await;
            iv.as_mut().tick().await;
            iv.as_mut().tick().await;
        })
        .await
        .unwrap_err();
    }
    // This should succeed as there is no lock left for the mutex.
    corio::time::timeout(Duration::from_millis(1), async move {
        let _g = m1.lock().await;
    })
    .await
    .expect("Mutex is locked");
}

/// This test is similar to `aborted_future_1` but this time the aborted future is
/// waiting for the lock.
#[corio::test(start_paused = true)]
async fn aborted_future_2() {
    let m1: Arc<Mutex<usize>> = Arc::new(Mutex::new(0));
    {
        // Lock mutex
        let _lock = m1.lock().await;
        {
            let m2 = m1.clone();
            // Try to lock mutex in a future that is aborted prematurely
            corio::time::timeout(Duration::from_millis(1), async move {
                let _g = m2.lock().await;
            })
            .await
            .unwrap_err();
        }
    }
    // This should succeed as there is no lock left for the mutex.
    corio::time::timeout(Duration::from_millis(1), async move {
        let _g = m1.lock().await;
    })
    .await
    .expect("Mutex is locked");
}

#[test]
fn try_lock() {
    let m: Mutex<usize> = Mutex::new(0);
    {
        let g1 = m.try_lock();
        assert!(g1.is_ok());
        let g2 = m.try_lock();
        assert!(g2.is_err());
    }
    let g3 = m.try_lock();
    assert!(g3.is_ok());
}

#[corio::test(start_paused = true)]
async fn debug_format() {
    let s = "debug";
    let m = Mutex::new(s.to_string());
    assert_eq!(format!("{s:?}"), format!("{:?}", m.lock().await));
}

#[corio::test(start_paused = true)]
async fn mutex_debug() {
    let s = "data";
    let m = Mutex::new(s.to_string());
    assert!(format!("{m:?}").contains(r#"data: "data""#));
    let _guard = m.lock().await;
    assert!(format!("{m:?}").contains("<locked>"));
}

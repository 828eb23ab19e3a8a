//! `timeout`: on expiry the inner future is dropped exactly once, at the deadline.

mod support;

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::time::{sleep, timeout, Instant};
use corio::Runtime;

/// Counts drops and records the virtual instant of the (last) drop.
struct DropProbe {
    drops: Arc<AtomicUsize>,
    at: Arc<Mutex<Option<Instant>>>,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        *self.at.lock().unwrap() = Some(Instant::now());
    }
}

fn check(rt: Runtime) {
    rt.block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let at = Arc::new(Mutex::new(None));
        let start = Instant::now();
        let probe = DropProbe {
            drops: drops.clone(),
            at: at.clone(),
        };
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let inner = async move {
            let _probe = probe;
            p.fetch_add(1, Ordering::SeqCst);
            pending::<()>().await;
        };
        let out = timeout(Duration::from_secs(2), inner).await;
        assert!(out.is_err());
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "dropped exactly once, on expiry"
        );
        assert_eq!(*at.lock().unwrap(), Some(start + Duration::from_secs(2)));
        assert_eq!(polls.load(Ordering::SeqCst), 1);

        // In a spawned task, with the inner future sleeping past the deadline.
        let d = drops.clone();
        let a = at.clone();
        let t = corio::spawn(async move {
            let t0 = Instant::now();
            let probe = DropProbe { drops: d, at: a };
            let r = timeout(Duration::from_millis(300), async move {
                let _probe = probe;
                sleep(Duration::from_secs(10)).await;
            })
            .await;
            (r.is_err(), t0)
        });
        let (expired, t0) = t.await.unwrap();
        assert!(expired);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert_eq!(*at.lock().unwrap(), Some(t0 + Duration::from_millis(300)));

        // Completing in time: the inner future is dropped once, on completion.
        let probe = DropProbe {
            drops: drops.clone(),
            at: at.clone(),
        };
        let t1 = Instant::now();
        let r = timeout(Duration::from_secs(1), async move {
            let _probe = probe;
            sleep(Duration::from_millis(999)).await;
            5
        })
        .await;
        assert_eq!(r, Ok(5));
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        assert_eq!(*at.lock().unwrap(), Some(t1 + Duration::from_millis(999)));
    });
}

#[test]
fn inner_future_dropped_on_expiry_current_thread() {
    check(support::paused_current_thread());
}

#[test]
fn inner_future_dropped_on_expiry_multi_thread() {
    check(support::paused_multi_thread());
}

//! loom model of Notify: a notify_one racing a waiter is never lost.
#![cfg(loom)]

mod loom_support;

use loom::sync::Arc;
use loom::thread;

use corio_sync::Notify;

#[test]
fn notify_one_racing_notified() {
    loom::model(|| {
        let n = Arc::new(Notify::new());
        let n2 = n.clone();
        let t = thread::spawn(move || n2.notify_one());
        loom_support::block_on(n.notified());
        t.join().unwrap();
    });
}

#[test]
fn notify_waiters_reaches_a_registered_waiter() {
    loom::model(|| {
        let n = Arc::new(Notify::new());
        let f = n.notified(); // created before the call: must complete
        let n2 = n.clone();
        let t = thread::spawn(move || n2.notify_waiters());
        loom_support::block_on(f);
        t.join().unwrap();
    });
}

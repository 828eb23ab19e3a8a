//! `tokio/tests/sync_notify.rs`, translated.

use corio::sync::Notify;
use std::sync::Arc;

use corio_test_util::{assert_pending, assert_ready, spawn};

#[test]
fn notify_is_send_and_sync() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Notify>();
}

#[test]
fn notify_notified_one() {
    let notify = Notify::new();
    let mut notified = spawn(notify.notified());
    notify.notify_one();
    assert_ready!(notified.poll());
}

#[test]
fn notified_one_notify() {
    let notify = Notify::new();
    let mut notified = spawn(notify.notified());
    assert_pending!(notified.poll());
    notify.notify_one();
    assert!(notified.is_woken());
    assert_ready!(notified.poll());
}

#[test]
fn notified_multi_notify() {
    let notify = Notify::new();
    let mut notified1 = spawn(notify.notified());
    let mut notified2 = spawn(notify.notified());
    assert_pending!(notified1.poll());
    assert_pending!(notified2.poll());
    notify.notify_one();
    assert!(notified1.is_woken());
    assert!(!notified2.is_woken());
    assert_ready!(notified1.poll());
    assert_pending!(notified2.poll());
}

#[test]
fn notify_notified_multi() {
    let notify = Notify::new();
    notify.notify_one();
    let mut notified1 = spawn(notify.notified());
    let mut notified2 = spawn(notify.notified());
    assert_ready!(notified1.poll());
    assert_pending!(notified2.poll());
    notify.notify_one();
    assert!(notified2.is_woken());
    assert_ready!(notified2.poll());
}

#[test]
fn notified_drop_notified_notify() {
    let notify = Notify::new();
    let mut notified1 = spawn(notify.notified());
    let mut notified2 = spawn(notify.notified());
    assert_pending!(notified1.poll());
    drop(notified1);
    assert_pending!(notified2.poll());
    notify.notify_one();
    assert!(notified2.is_woken());
    assert_ready!(notified2.poll());
}

#[test]
fn notified_multi_notify_drop_one() {
    let notify = Notify::new();
    let mut notified1 = spawn(notify.notified());
    let mut notified2 = spawn(notify.notified());
    assert_pending!(notified1.poll());
    assert_pending!(notified2.poll());
    notify.notify_one();
    assert!(notified1.is_woken());
    assert!(!notified2.is_woken());
    drop(notified1);
    assert!(notified2.is_woken());
    assert_ready!(notified2.poll());
}

#[test]
fn notify_in_drop_after_wake() {
    use std::future::Future;
    use std::task::{Context, Wake, Waker};
    let notify = Arc::new(Notify::new());
    struct NotifyOnDrop(Arc<Notify>);
    impl Wake for NotifyOnDrop {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for NotifyOnDrop {
        fn drop(&mut self) {
            self.0.notify_waiters();
        }
    }
    let mut fut = Box::pin(async {
        notify.notified().await;
    });
    {
        let waker = Waker::from(Arc::new(NotifyOnDrop(notify.clone())));
        let mut cx = Context::from_waker(&waker);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    // Now, notifying **should not** deadlock
    notify.notify_waiters();
}

#[test]
fn notify_one_after_dropped_all() {
    let notify = Notify::new();
    let mut notified1 = spawn(notify.notified());
    assert_pending!(notified1.poll());
    notify.notify_waiters();
    notify.notify_one();
    drop(notified1);
    let mut notified2 = spawn(notify.notified());
    assert_ready!(notified2.poll());
}

#[test]
fn test_notify_one_not_enabled() {
    let notify = Notify::new();
    let mut future = spawn(notify.notified());
    notify.notify_one();
    assert_ready!(future.poll());
}

#[test]
fn test_notify_one_after_enable() {
    let notify = Notify::new();
    let mut future = spawn(notify.notified());
    future.fut().enable();
    notify.notify_one();
    assert_ready!(future.poll());
}

#[test]
fn test_poll_after_enable() {
    let notify = Notify::new();
    let mut future = spawn(notify.notified());
    future.fut().enable();
    assert_pending!(future.poll());
}

#[test]
fn test_enable_after_poll() {
    let notify = Notify::new();
    let mut future = spawn(notify.notified());
    assert_pending!(future.poll());
    future.fut().enable();
    assert_pending!(future.poll());
}

#[test]
fn test_enable_consumes_permit() {
    let notify = Notify::new();
    // Add a permit.
    notify.notify_one();
    let mut future1 = spawn(notify.notified());
    future1.fut().enable();
    let mut future2 = spawn(notify.notified());
    future2.fut().enable();
    // Note: Not calling `poll` on `future1`, the permit was consumed by `enable`.
    assert_pending!(future2.poll());
    assert_ready!(future1.poll());
}

#[test]
fn test_waker_update() {
    use futures::task::noop_waker;
    use std::future::Future;
    use std::task::Context;
    let notify = Notify::new();
    let mut future = spawn(notify.notified());
    let noop = noop_waker();
    assert!(future
        .fut()
        .poll(&mut Context::from_waker(&noop))
        .is_pending());
    assert_pending!(future.poll());
    notify.notify_one();
    assert!(future.is_woken());
}

#[test]
fn notify_waiters_reaches_unpolled_notified() {
    // tokio's `notify_notified_multi` family, for `notify_waiters`: a `Notified` created
    // before the call completes even if never polled, one created after does not.
    let notify = Notify::new();
    let mut before = spawn(notify.notified());
    notify.notify_waiters();
    let mut after = spawn(notify.notified());
    assert_ready!(before.poll());
    assert_pending!(after.poll());
}

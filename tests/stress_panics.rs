//! Panics where a runtime least expects them leave it running.
//!
//! - In a task body: the task's `JoinHandle` yields a `JoinError` with `is_panic()` and
//!   the panic message; other tasks and further spawns are unaffected.
//! - In a future's `Drop` while the task is aborted: the panic is caught like a body
//!   panic (the task reports `is_panic()`, not `is_cancelled()`), the future's `Drop` ran
//!   exactly once, and the runtime keeps going.
//! - In a future's `Drop` while the runtime shuts down: every other task's future is
//!   still dropped exactly once, and dropping the runtime returns.
//! - In a waker's `wake` (a custom waker handed to a `corio::sync` primitive by polling
//!   its future by hand): the panic surfaces in whoever woke it (`notify_*`,
//!   `add_permits`, dropping a guard, `send`), but no other waiter is lost, no permit
//!   or message is lost, and the primitive stays usable.
//!
//! Size: 500 panicking tasks per runtime by default; `CORIO_STRESS=big` runs 20 000,
//! `CORIO_STRESS=<factor>` scales the default.

mod stress_support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Once};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use corio::sync::{mpsc, Mutex, Notify, Semaphore};
use corio::Handle;

use corio_test_util::{count_waker, poll_with};
use stress_support::{on, runtimes, settle, size, Watchdog};

/// Every panic this file raises on purpose carries this marker; the panic hook stays
/// quiet about them (hundreds of expected backtraces would bury a real failure).
const MARK: &str = "stress-panic";

fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = corio_core::panic_message(info.payload()).unwrap_or_default();
            if !msg.contains(MARK) {
                default(info);
            }
        }));
    });
}

/// A future that stays pending; its `Drop` counts and, if asked, panics.
struct PendingWithDrop {
    drops: Arc<AtomicUsize>,
    panic_on_drop: bool,
}

impl Future for PendingWithDrop {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for PendingWithDrop {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.panic_on_drop {
            panic!("{MARK}: drop");
        }
    }
}

/// Spawns plain tasks and checks their results: the runtime still works.
async fn still_runs() {
    let tasks: Vec<_> = (0..50u64)
        .map(|i| {
            corio::spawn(async move {
                corio::yield_now().await;
                i * 2
            })
        })
        .collect();
    let mut sum = 0;
    for t in tasks {
        sum += t.await.unwrap();
    }
    assert_eq!(sum, 2 * (0..50).sum::<u64>());
}

#[test]
fn panic_in_task_body_is_a_join_error() {
    quiet_expected_panics();
    let n = size(500, 20_000);
    for (flavor, rt) in runtimes() {
        let _guard = Watchdog::arm("panic_in_task_body", Duration::from_secs(120));
        on(&rt, async move {
            let baseline = Handle::current().num_alive_tasks();
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    corio::spawn(async move {
                        if i % 3 == 0 {
                            corio::yield_now().await;
                        }
                        if i % 2 == 0 {
                            panic!("{MARK}: body {i}");
                        }
                        i
                    })
                })
                .collect();
            for (i, t) in tasks.into_iter().enumerate() {
                match t.await {
                    Ok(v) => assert_eq!(v, i, "{flavor}"),
                    Err(e) => {
                        assert!(i % 2 == 0, "{flavor}: task {i} failed: {e}");
                        assert!(e.is_panic() && !e.is_cancelled(), "{flavor}: {e}");
                        let expected = format!("{MARK}: body {i}");
                        assert_eq!(e.panic_message().as_deref(), Some(&*expected));
                    }
                }
            }
            still_runs().await;
            assert_eq!(Handle::current().num_alive_tasks(), baseline, "{flavor}");
        });
        // The runtime itself (outside any task) is fine too.
        assert_eq!(
            rt.block_on(async { corio::spawn(async { 5 }).await })
                .unwrap(),
            5
        );
    }
}

#[test]
fn panic_in_drop_during_abort_is_a_join_error() {
    quiet_expected_panics();
    for (flavor, rt) in runtimes() {
        let _guard = Watchdog::arm("panic_in_drop_during_abort", Duration::from_secs(120));
        on(&rt, async move {
            let baseline = Handle::current().num_alive_tasks();
            let drops = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..100)
                .map(|i| {
                    corio::spawn(PendingWithDrop {
                        drops: drops.clone(),
                        panic_on_drop: i % 2 == 0,
                    })
                })
                .collect();
            // Let them all be polled once (so the abort drops a started future).
            for _ in 0..4 {
                corio::yield_now().await;
            }
            for t in &tasks {
                t.abort();
            }
            for (i, t) in tasks.into_iter().enumerate() {
                let e = t.await.unwrap_err();
                if i % 2 == 0 {
                    // The panic from Drop is the task's outcome.
                    assert!(e.is_panic(), "{flavor}: task {i}: {e}");
                    let expected = format!("{MARK}: drop");
                    assert_eq!(e.panic_message().as_deref(), Some(&*expected));
                } else {
                    assert!(e.is_cancelled(), "{flavor}: task {i}: {e}");
                }
            }
            assert_eq!(
                drops.load(SeqCst),
                100,
                "{flavor}: each future dropped once"
            );
            still_runs().await;
            assert_eq!(Handle::current().num_alive_tasks(), baseline, "{flavor}");
        });
    }
}

#[test]
fn panic_in_drop_during_detached_abort_keeps_runtime() {
    quiet_expected_panics();
    for (flavor, rt) in runtimes() {
        let _guard = Watchdog::arm("panic_in_drop_detached", Duration::from_secs(120));
        on(&rt, async move {
            let drops = Arc::new(AtomicUsize::new(0));
            // Nobody awaits these: the panic has no JoinHandle to go to.
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    corio::spawn(PendingWithDrop {
                        drops: drops.clone(),
                        panic_on_drop: true,
                    })
                    .abort_handle()
                })
                .collect();
            corio::yield_now().await;
            for h in &handles {
                h.abort();
            }
            let d = drops.clone();
            settle("detached drops", 10_000, move || d.load(SeqCst) == 100).await;
            still_runs().await;
        });
        assert_eq!(
            rt.block_on(async { corio::spawn(async { 1 }).await })
                .unwrap(),
            1
        );
        eprintln!("{flavor}: ok");
    }
}

#[test]
fn panic_in_drop_during_shutdown_drops_every_other_future() {
    quiet_expected_panics();
    for (flavor, rt) in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        const N: usize = 1_000;
        rt.block_on(async {
            for i in 0..N {
                drop(corio::spawn(PendingWithDrop {
                    drops: drops.clone(),
                    panic_on_drop: i % 100 == 7,
                }));
            }
            for _ in 0..4 {
                corio::yield_now().await;
            }
        });
        let _guard = Watchdog::arm("shutdown with panicking drops", Duration::from_secs(30));
        // Document what happens to the panics: dropping the runtime must return (the
        // panics are caught per task, like any task panic) — or, if the runtime lets
        // one escape, every other future must still have been dropped.
        let result = catch_unwind(AssertUnwindSafe(move || drop(rt)));
        assert!(
            result.is_ok(),
            "{flavor}: a panic in a task's Drop escaped Runtime::drop"
        );
        assert_eq!(
            drops.load(SeqCst),
            N,
            "{flavor}: futures not dropped exactly once"
        );
    }
}

/// A waker that panics when woken.
struct PanicWaker;
impl Wake for PanicWaker {
    fn wake(self: Arc<Self>) {
        panic!("{MARK}: wake");
    }
}

/// Up to 31 other waiters: they fit in the primitives' first wake batch (32 wakers).
const ONE_BATCH: usize = 31;
/// More waiters than one wake batch.
const MANY: usize = 100;

#[test]
fn panicking_waker_on_notify_loses_no_other_waiter() {
    notify_waiters_case(ONE_BATCH);
}

#[test]
fn panicking_waker_on_notify_beyond_one_batch_loses_no_waiter() {
    notify_waiters_case(MANY);
}

fn notify_waiters_case(waiters: usize) {
    quiet_expected_panics();
    let panic_waker = Waker::from(Arc::new(PanicWaker));
    {
        let notify = Notify::new();
        let mut bad = Box::pin(notify.notified());
        assert!(poll_with(&mut bad, &panic_waker).is_pending());
        let mut good: Vec<_> = (0..waiters).map(|_| Box::pin(notify.notified())).collect();
        let counters: Vec<_> = good
            .iter_mut()
            .map(|f| {
                let (c, w) = count_waker();
                assert!(poll_with(f, &w).is_pending());
                c
            })
            .collect();
        let r = catch_unwind(AssertUnwindSafe(|| notify.notify_waiters()));
        assert!(
            r.is_err(),
            "the waker's panic reaches notify_waiters' caller"
        );
        let woken = counters.iter().filter(|c| c.count() == 1).count();
        assert_eq!(woken, waiters, "{waiters} waiters: some were never woken");
        let (_, w) = count_waker();
        for f in &mut good {
            assert!(poll_with(f, &w).is_ready());
        }
        assert!(
            poll_with(&mut bad, &w).is_ready(),
            "the panicking waiter was notified"
        );
        // Still usable.
        let mut again = Box::pin(notify.notified());
        assert!(poll_with(&mut again, &w).is_pending());
        notify.notify_one();
        assert!(poll_with(&mut again, &w).is_ready());
    }
}

#[test]
fn panicking_waker_on_notify_one_keeps_the_notification() {
    quiet_expected_panics();
    let panic_waker = Waker::from(Arc::new(PanicWaker));
    let notify = Notify::new();
    let mut bad = Box::pin(notify.notified());
    assert!(poll_with(&mut bad, &panic_waker).is_pending());
    let (c, w) = count_waker();
    let mut next = Box::pin(notify.notified());
    assert!(poll_with(&mut next, &w).is_pending());
    assert!(catch_unwind(AssertUnwindSafe(|| notify.notify_one())).is_err());
    // The notification went to the first waiter; it is not lost, and the second
    // waiter is still queued for the next one.
    assert!(poll_with(&mut bad, &w).is_ready());
    assert_eq!(c.count(), 0);
    assert!(poll_with(&mut next, &w).is_pending());
    notify.notify_one();
    assert_eq!(c.count(), 1);
    assert!(poll_with(&mut next, &w).is_ready());
}

#[test]
fn panicking_waker_on_semaphore_loses_no_permit() {
    semaphore_case(ONE_BATCH);
}

#[test]
fn panicking_waker_on_semaphore_beyond_one_batch_loses_no_permit() {
    semaphore_case(MANY);
}

fn semaphore_case(waiters: usize) {
    quiet_expected_panics();
    let panic_waker = Waker::from(Arc::new(PanicWaker));
    {
        let sem = Semaphore::new(0);
        let mut bad = Box::pin(sem.acquire());
        assert!(poll_with(&mut bad, &panic_waker).is_pending());
        let mut good: Vec<_> = (0..waiters).map(|_| Box::pin(sem.acquire())).collect();
        let counters: Vec<_> = good
            .iter_mut()
            .map(|f| {
                let (c, w) = count_waker();
                assert!(poll_with(f, &w).is_pending());
                c
            })
            .collect();
        let r = catch_unwind(AssertUnwindSafe(|| sem.add_permits(waiters + 1)));
        assert!(r.is_err(), "the waker's panic reaches add_permits' caller");
        let woken = counters.iter().filter(|c| c.count() == 1).count();
        assert_eq!(woken, waiters, "{waiters} waiters: some were never woken");
        let (_, w) = count_waker();
        let mut permits = Vec::new();
        for f in good.iter_mut().chain(std::iter::once(&mut bad)) {
            match poll_with(f, &w) {
                Poll::Ready(p) => permits.push(p.unwrap()),
                Poll::Pending => panic!("{waiters} waiters: a woken waiter has no permit"),
            }
        }
        assert_eq!(sem.available_permits(), 0);
        drop(permits);
        drop(good);
        drop(bad);
        assert_eq!(sem.available_permits(), waiters + 1, "permits lost");
    }
}

#[test]
fn panicking_waker_on_mutex_unlock_passes_the_lock_on() {
    quiet_expected_panics();
    let panic_waker = Waker::from(Arc::new(PanicWaker));
    let mutex = Mutex::new(0u32);
    let guard = mutex.try_lock().unwrap();
    let mut bad = Box::pin(mutex.lock());
    assert!(poll_with(&mut bad, &panic_waker).is_pending());
    let (c, w) = count_waker();
    let mut next = Box::pin(mutex.lock());
    assert!(poll_with(&mut next, &w).is_pending());
    // Unlocking wakes the panicking waiter: the panic comes out of the guard's drop.
    assert!(catch_unwind(AssertUnwindSafe(move || drop(guard))).is_err());
    let Poll::Ready(mut g) = poll_with(&mut bad, &w) else {
        panic!("the lock was not handed to the first waiter");
    };
    *g += 1;
    drop(g);
    assert_eq!(c.count(), 1, "the next waiter was not woken");
    let Poll::Ready(g) = poll_with(&mut next, &w) else {
        panic!("the lock was not handed to the second waiter");
    };
    assert_eq!(*g, 1);
    drop(g);
    assert!(!mutex.is_locked());
}

#[test]
fn panicking_waker_on_mpsc_recv_keeps_the_message() {
    quiet_expected_panics();
    let panic_waker = Waker::from(Arc::new(PanicWaker));
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let mut recv = Box::pin(rx.recv());
    assert!(poll_with(&mut recv, &panic_waker).is_pending());
    let r = catch_unwind(AssertUnwindSafe(|| tx.try_send(1)));
    assert!(r.is_err(), "the waker's panic reaches the sender");
    let (_, w) = count_waker();
    assert_eq!(
        poll_with(&mut recv, &w),
        Poll::Ready(Some(1)),
        "message lost"
    );
    drop(recv);
    tx.try_send(2).unwrap();
    assert_eq!(rx.try_recv().unwrap(), 2, "the channel stays usable");
}

/// The same on a running runtime: the task whose call woke the panicking waker fails
/// with `is_panic`, every real waiter task still completes, and the runtime goes on.
#[test]
fn panicking_waker_inside_runtime_keeps_waiters_and_runtime() {
    runtime_case(ONE_BATCH);
}

#[test]
fn panicking_waker_inside_runtime_beyond_one_batch_keeps_waiters() {
    runtime_case(MANY);
}

fn runtime_case(n: usize) {
    quiet_expected_panics();
    for (flavor, rt) in runtimes() {
        let _guard = Watchdog::arm("panicking waker on runtime", Duration::from_secs(120));
        on(&rt, async move {
            let notify = Arc::new(Notify::new());
            // The panicking waiter registers first.
            let mut bad_fut = Box::pin(notify.notified());
            let panic_waker = Waker::from(Arc::new(PanicWaker));
            assert!(poll_with(&mut bad_fut, &panic_waker).is_pending());
            let woke = Arc::new(AtomicUsize::new(0));
            let started = Arc::new(Semaphore::new(0));
            let waiters: Vec<_> = (0..n)
                .map(|_| {
                    let (notify, woke, started) = (notify.clone(), woke.clone(), started.clone());
                    corio::spawn(async move {
                        let mut n = std::pin::pin!(notify.notified());
                        // Register before telling the notifier we are ready.
                        std::future::poll_fn(|cx| {
                            let _ = n.as_mut().poll(cx);
                            Poll::Ready(())
                        })
                        .await;
                        started.add_permits(1);
                        n.await;
                        woke.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            let _all = started.acquire_many(n as u32).await.unwrap();
            let notifier = {
                let notify = notify.clone();
                corio::spawn(async move { notify.notify_waiters() })
            };
            let e = notifier.await.unwrap_err();
            assert!(e.is_panic(), "{flavor}: {e}");
            for w in waiters {
                let r = corio::time::timeout(Duration::from_secs(5), w).await;
                r.unwrap_or_else(|_| panic!("{flavor}: a waiter was lost"))
                    .unwrap();
            }
            assert_eq!(woke.load(SeqCst), n);
            drop(bad_fut);
            still_runs().await;
        });
    }
}

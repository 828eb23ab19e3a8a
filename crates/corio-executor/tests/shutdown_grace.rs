//! Shutdown's grace (`Builder::shutdown_grace`): tasks left at shutdown get the soft
//! cancel and may run their async cleanup, bounded; then every future still alive is
//! dropped. On a bare executor (no timer: the deadline is on the real clock), both
//! flavors. The virtual-time cases are in the facade's `rt_shutdown_grace.rs`.

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use corio_executor::task;
use corio_executor::{spawn, yield_now, Builder, Executor};
use corio_test_util::DropCounter;

/// One executor of each flavor with the given grace.
fn executors(grace: Duration) -> Vec<(&'static str, Executor)> {
    vec![
        (
            "current_thread",
            Builder::new_current_thread()
                .shutdown_grace(grace)
                .build()
                .unwrap(),
        ),
        (
            "multi_thread",
            Builder::new_multi_thread()
                .worker_threads(2)
                .shutdown_grace(grace)
                .build()
                .unwrap(),
        ),
    ]
}

/// Runs `make()` as a task on `rt` and waits until it signalled that it reached its
/// first await (a task cancelled before its first poll never runs, as in asyncio).
fn start<F>(rt: &Executor, make: impl FnOnce(mpsc::Sender<()>) -> F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    rt.block_on(async {
        drop(spawn(make(tx))); // detached: left running
        while rx.try_recv().is_err() {
            yield_now().await;
        }
    });
}

/// A cleanup that awaits 100 times.
async fn slow_cleanup(steps: Arc<AtomicUsize>) {
    for _ in 0..100 {
        yield_now().await;
        steps.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_leftover_cleanup_that_awaits_runs_to_its_end_at_drop() {
    for (name, rt) in executors(Duration::MAX) {
        let steps = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::default();
        for _ in 0..10 {
            let (s, t) = (steps.clone(), drops.token());
            start(&rt, move |started| {
                task::finally(
                    async move {
                        started.send(()).unwrap();
                        pending::<()>().await
                    },
                    move || async move {
                        slow_cleanup(s).await;
                        drop(t);
                    },
                )
            });
        }
        let handle = rt.handle().clone();
        drop(rt);
        assert_eq!(steps.load(Ordering::SeqCst), 1000, "{name}: every step ran");
        assert_eq!(drops.drops(), 10, "{name}");
        assert_eq!(handle.num_alive_tasks(), 0, "{name}");
    }
}

#[test]
fn a_cleanup_that_never_ends_is_dropped_after_the_grace() {
    for (name, rt) in executors(Duration::from_millis(50)) {
        let drops = DropCounter::default();
        let entered = Arc::new(AtomicUsize::new(0));
        let (t, e) = (drops.token(), entered.clone());
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    let _t = t;
                    e.fetch_add(1, Ordering::SeqCst);
                    loop {
                        yield_now().await; // busy, never ends
                    }
                },
            )
        });
        // A task with no handler next to it is dropped at once, whatever the grace.
        let plain = drops.token();
        start(&rt, move |started| async move {
            let _t = plain;
            started.send(()).unwrap();
            pending::<()>().await
        });
        drop(rt); // returns: the deadline thread ends the grace
        assert_eq!(
            entered.load(Ordering::SeqCst),
            1,
            "{name}: the cleanup began"
        );
        assert_eq!(drops.drops(), 2, "{name}: both futures dropped once");
    }
}

#[test]
fn tasks_spawned_during_the_grace_run_then_are_cancelled_in_turn() {
    for (name, rt) in executors(Duration::MAX) {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let drops = DropCounter::default();
        let (l, d) = (log.clone(), drops.clone());
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    // The cleanup hands work to a new task and awaits it: it runs.
                    let l2 = l.clone();
                    let flushed = spawn(async move {
                        yield_now().await;
                        l2.lock().unwrap().push("helper ran");
                        7
                    });
                    assert_eq!(flushed.await.unwrap(), 7);
                    // And leaves one behind that would run forever: the next round
                    // cancels it (with Duration::MAX, a missed round would hang here).
                    let t = d.token();
                    drop(spawn(async move {
                        let _t = t;
                        pending::<()>().await
                    }));
                    l.lock().unwrap().push("cleanup done");
                },
            )
        });
        let handle = rt.handle().clone();
        drop(rt);
        assert_eq!(
            *log.lock().unwrap(),
            ["helper ran", "cleanup done"],
            "{name}"
        );
        assert_eq!(drops.drops(), 1, "{name}: the straggler was dropped once");
        assert_eq!(handle.num_alive_tasks(), 0, "{name}");
    }
}

#[test]
fn a_task_that_catches_the_cancel_gets_it_once_then_is_dropped_at_the_deadline() {
    for (name, rt) in executors(Duration::from_millis(50)) {
        let caught = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::default();
        let (c, t) = (caught.clone(), drops.token());
        start(&rt, move |started| async move {
            let _t = t;
            let _ = started.send(());
            loop {
                // Catches every cancel and carries on (asyncio: `except CancelledError`).
                if task::catch_cancel(pending::<()>()).await.is_err() {
                    c.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(task::cancelling(), 1, "one cancel request, never more");
                }
            }
        });
        drop(rt);
        assert_eq!(caught.load(Ordering::SeqCst), 1, "{name}: cancelled once");
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

#[test]
fn zero_grace_drops_every_future_without_running_cleanups() {
    for (name, rt) in executors(Duration::ZERO) {
        let cleanups = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::default();
        let (c, t) = (cleanups.clone(), drops.token());
        start(&rt, move |started| {
            task::finally(
                async move {
                    let _t = t;
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    c.fetch_add(1, Ordering::SeqCst);
                },
            )
        });
        drop(rt);
        assert_eq!(cleanups.load(Ordering::SeqCst), 0, "{name}");
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

#[test]
fn shutdown_timeout_cuts_the_grace() {
    for (name, rt) in executors(Duration::MAX) {
        let drops = DropCounter::default();
        let t = drops.token();
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    let _t = t;
                    pending::<()>().await // never ends
                },
            )
        });
        rt.shutdown_timeout(Duration::from_millis(20)); // returns despite Duration::MAX
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

#[test]
fn a_runtime_dropped_inside_another_runtime_drops_its_tasks_at_once() {
    for (name, rt) in executors(Duration::MAX) {
        let cleanups = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::default();
        let (c, t) = (cleanups.clone(), drops.token());
        start(&rt, move |started| {
            task::finally(
                async move {
                    let _t = t;
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    c.fetch_add(1, Ordering::SeqCst);
                },
            )
        });
        // This thread drives `outer` there: it cannot block for a grace (rule 5).
        let outer = Builder::new_current_thread().build().unwrap();
        outer.block_on(async move { drop(rt) });
        assert_eq!(cleanups.load(Ordering::SeqCst), 0, "{name}");
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

#[test]
fn futures_dropped_during_the_grace_may_spawn() {
    for (name, rt) in executors(Duration::MAX) {
        struct SpawnOnDrop(DropCounter);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let t = self.0.token();
                // During the grace the runtime still runs: the task is accepted, and
                // the next round cancels it (or it finishes first).
                drop(spawn(async move {
                    let _t = t;
                    pending::<()>().await
                }));
            }
        }
        let drops = DropCounter::default();
        let guard = SpawnOnDrop(drops.clone());
        start(&rt, move |started| async move {
            let _g = guard;
            started.send(()).unwrap();
            pending::<()>().await
        });
        let handle = rt.handle().clone();
        drop(rt);
        assert_eq!(drops.drops(), 1, "{name}");
        assert_eq!(handle.num_alive_tasks(), 0, "{name}");
    }
}

#[test]
fn a_runtime_shut_down_after_a_grace_is_freed() {
    // The grace's waker must not stay registered in the runtime it wakes (a cycle
    // through the block_on waker): the runtime's own state is freed at drop, which the
    // slow-poll hook it owns shows by dropping its token.
    for multi in [false, true] {
        let freed = DropCounter::new();
        let token = freed.token();
        let builder = if multi {
            Builder::new_multi_thread().worker_threads(2)
        } else {
            Builder::new_current_thread()
        };
        let rt = builder
            .debug(true)
            .on_slow_poll(move |_| {
                let _ = &token;
            })
            .build()
            .unwrap();
        start(&rt, |started| async move {
            started.send(()).unwrap();
            pending::<()>().await
        });
        drop(rt); // the grace cancels the leftover task
        assert_eq!(freed.drops(), 1, "multi_thread: {multi}");
    }
}

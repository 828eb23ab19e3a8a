//! `JoinSet`: completion order, ids, aborts, detach, shutdown, the `Stream` impl, and
//! drop aborting its tasks.
mod support;

use std::future::{pending, poll_fn};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use corio_executor::{task::JoinSet, yield_now, Executor};
use corio_test_util::DropCounter;
use support::executors;

/// A tiny oneshot for ordering tasks by hand.
fn gate() -> (impl Fn(), impl std::future::Future<Output = ()>) {
    let flag = Arc::new(AtomicUsize::new(0));
    let f2 = flag.clone();
    (move || flag.store(1, Ordering::SeqCst), async move {
        while f2.load(Ordering::SeqCst) == 0 {
            yield_now().await;
        }
    })
}

#[test]
fn join_next_returns_tasks_in_completion_order() {
    for (name, rt) in executors() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let (open_b, wait_b) = gate();
            let (open_a, wait_a) = gate();
            set.spawn(async move {
                wait_a.await;
                "a"
            });
            set.spawn(async move {
                wait_b.await;
                "b"
            });
            set.spawn(async { "c" });
            assert_eq!(set.len(), 3);
            assert_eq!(set.join_next().await.unwrap().unwrap(), "c", "{name}");
            open_b();
            assert_eq!(set.join_next().await.unwrap().unwrap(), "b", "{name}");
            open_a();
            let (id, v) = set.join_next_with_id().await.unwrap().unwrap();
            assert_eq!(v, "a");
            assert!(id.as_u64() > 0);
            assert!(set.join_next().await.is_none());
            assert!(set.is_empty());
        });
    }
}

#[test]
fn ten_thousand_tasks_join_and_slots_are_reused() {
    for (name, rt) in executors() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            for round in 0..2u64 {
                for i in 0..10_000u64 {
                    set.spawn(async move { i + round });
                }
                let mut sum = 0;
                let mut n = 0;
                while let Some(r) = set.join_next().await {
                    sum += r.unwrap();
                    n += 1;
                }
                assert_eq!(n, 10_000, "{name}");
                assert_eq!(sum, 49_995_000 + 10_000 * round);
            }
        });
    }
}

#[test]
fn abort_handles_abort_all_and_errors_carry_ids() {
    for (name, rt) in executors() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let a = set.spawn(pending::<u8>());
            set.spawn(async { panic!("boom") });
            a.abort();
            let mut cancelled = 0;
            let mut panicked = 0;
            while let Some(r) = set.join_next().await {
                let e = r.unwrap_err();
                if e.is_cancelled() {
                    assert_eq!(e.id(), a.id(), "{name}");
                    cancelled += 1;
                } else {
                    assert_eq!(e.panic_message().as_deref(), Some("boom"));
                    panicked += 1;
                }
            }
            assert_eq!((cancelled, panicked), (1, 1));

            for _ in 0..3 {
                set.spawn(pending::<u8>());
            }
            set.abort_all();
            let mut n = 0;
            while let Some(r) = set.join_next().await {
                assert!(r.unwrap_err().is_cancelled());
                n += 1;
            }
            assert_eq!(n, 3);
        });
    }
}

#[test]
fn try_join_next_never_waits() {
    let rt = Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        assert!(set.try_join_next().is_none());
        set.spawn(async { 1 });
        set.spawn(pending::<i32>());
        assert!(set.try_join_next().is_none(), "nothing ran yet");
        yield_now().await;
        assert_eq!(set.try_join_next_with_id().unwrap().unwrap().1, 1);
        assert!(set.try_join_next().is_none());
        assert_eq!(set.len(), 1);
    });
}

#[test]
fn drop_aborts_and_detach_all_lets_tasks_run() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        let ran = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut aborts = Vec::new();
            for _ in 0..4 {
                let t = drops.token();
                aborts.push(set.spawn(async move {
                    let _t = t;
                    pending::<()>().await
                }));
            }
            yield_now().await;
            drop(set);
            // Aborted tasks finish (after their future was dropped) on the workers.
            while !aborts.iter().all(|a| a.is_finished()) {
                yield_now().await;
            }
            assert_eq!(
                drops.drops(),
                4,
                "{name}: dropping the set aborts its tasks"
            );

            let mut set = JoinSet::new();
            let (open, wait) = gate();
            let r = ran.clone();
            let abort = set.spawn(async move {
                wait.await;
                r.fetch_add(1, Ordering::SeqCst);
            });
            set.detach_all();
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            drop(set);
            open();
            while !abort.is_finished() {
                yield_now().await;
            }
        });
        assert_eq!(
            ran.load(Ordering::SeqCst),
            1,
            "{name}: detached task ran on"
        );
    }
}

#[test]
fn shutdown_empties_the_set_and_polling_afterwards_returns_none() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..5 {
                let t = drops.token();
                set.spawn(async move {
                    let _t = t;
                    pending::<()>().await
                });
            }
            set.shutdown().await;
            assert_eq!(
                drops.drops(),
                5,
                "{name}: every task gone when shutdown returns"
            );
            assert!(set.is_empty());
            // Bad input: polling (or shutting down) again is not a hang.
            assert!(set.join_next().await.is_none());
            assert!(set.try_join_next().is_none());
            set.shutdown().await;
            // And the set is usable again.
            set.spawn(async {});
            assert!(set.join_next().await.unwrap().is_ok());
        });
    }
}

#[test]
fn stream_impl_and_join_all() {
    use futures::StreamExt;
    let rt = Executor::builder_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..20u32 {
            set.spawn(async move { i });
        }
        assert_eq!(futures::Stream::size_hint(&set), (20, Some(20)));
        let mut got: Vec<u32> = (&mut set).map(Result::unwrap).collect().await;
        got.sort_unstable();
        assert_eq!(got, (0..20).collect::<Vec<_>>());

        let mut set = JoinSet::new();
        for i in 0..5u32 {
            set.spawn(async move { i });
        }
        let mut all = set.join_all().await;
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3, 4]);

        let mut set = JoinSet::new();
        set.spawn(async { panic!("inner") });
        set.spawn(pending::<()>());
        let caught = corio_executor::spawn(async move { set.join_all().await }).await;
        assert_eq!(
            caught.unwrap_err().panic_message().as_deref(),
            Some("inner")
        );
    });
}

#[test]
fn join_next_is_cancel_safe() {
    let rt = Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { 5 });
        // Poll join_next once and drop it before the task ran: nothing is lost.
        let mut polled = false;
        poll_fn(|cx| {
            let fut = std::pin::pin!(set.join_next());
            polled = std::future::Future::poll(fut, cx).is_pending();
            Poll::Ready(())
        })
        .await;
        assert!(polled);
        assert_eq!(set.join_next().await.unwrap().unwrap(), 5);
    });
}

#[test]
fn blocking_and_local_tasks_join_too() {
    let rt = Executor::builder_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn_blocking(|| 1);
        let rc = std::rc::Rc::new(2);
        set.spawn_local(async move { *rc });
        set.spawn_on(async { 3 }, &corio_executor::Handle::current());
        let mut v = Vec::new();
        while let Some(r) = set.join_next().await {
            v.push(r.unwrap());
        }
        v.sort_unstable();
        assert_eq!(v, [1, 2, 3]);
    });
}

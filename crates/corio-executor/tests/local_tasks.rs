//! `spawn_local` / `LocalSet`: `!Send` tasks on the thread that drives them, in every
//! `block_on` of both flavors and in a `LocalSet` on any thread.
mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use corio_executor::{
    spawn, spawn_local, task, try_spawn_local, yield_now, Executor, LocalSet, LocalSpawnError,
};
use corio_test_util::DropCounter;
use support::executors;

#[test]
fn block_on_future_spawns_local_tasks_on_both_flavors() {
    for (name, rt) in executors() {
        let thread = std::thread::current().id();
        let out = rt.block_on(async move {
            let shared = Rc::new(RefCell::new(Vec::new()));
            let mut handles = Vec::new();
            for i in 0..10 {
                let shared = shared.clone();
                handles.push(spawn_local(async move {
                    yield_now().await;
                    assert_eq!(std::thread::current().id(), thread, "local tasks stay");
                    shared.borrow_mut().push(i);
                    Rc::new(i) // a !Send output
                }));
            }
            let mut sum = 0;
            for h in handles {
                sum += *h.await.unwrap();
            }
            assert_eq!(shared.borrow().len(), 10);
            sum
        });
        assert_eq!(out, 45, "{name}");
    }
}

#[test]
fn local_tasks_spawn_local_tasks_and_are_woken_from_other_threads() {
    for (name, rt) in executors() {
        rt.block_on(async {
            let hits = Rc::new(Cell::new(0));
            let h = hits.clone();
            let outer = spawn_local(async move {
                let h2 = h.clone();
                let inner = spawn_local(async move { h2.set(h2.get() + 1) });
                // A Send task on a worker wakes us through a channel-like handoff.
                let remote = spawn(async { 7 });
                let v = remote.await.unwrap();
                inner.await.unwrap();
                h.set(h.get() + v);
            });
            outer.await.unwrap();
            assert_eq!(hits.get(), 8, "{name}");
        });
    }
}

#[test]
fn spawn_local_outside_a_local_context_is_a_clear_error() {
    let err = try_spawn_local(async {}).unwrap_err();
    assert_eq!(err, LocalSpawnError::NoLocalSet);
    assert!(err.to_string().contains("LocalSet::run_until"), "{err}");
    let panic = std::panic::catch_unwind(|| drop(spawn_local(async {}))).unwrap_err();
    let msg = corio_core::panic_message(&*panic).unwrap();
    assert!(
        msg.contains("corio::spawn_local") && msg.contains("corio::run"),
        "{msg}"
    );

    // Inside a Send task on a worker: no local set there either.
    for (name, rt) in executors() {
        let r = rt.block_on(async {
            spawn(async { try_spawn_local(async {}).map(drop) })
                .await
                .unwrap()
        });
        assert_eq!(r.unwrap_err(), LocalSpawnError::NoLocalSet, "{name}");
    }
}

#[test]
fn block_on_cancels_unfinished_local_tasks_on_return() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        let token = drops.token();
        let handle = rt.block_on(async move {
            spawn_local(async move {
                let _t = token;
                std::future::pending::<()>().await
            })
            .abort_handle()
        });
        assert_eq!(drops.drops(), 1, "{name}: dropped when block_on returned");
        assert!(handle.is_finished(), "{name}");
    }
}

#[test]
fn local_set_on_a_plain_thread_and_awaiting_the_set() {
    let rt = Executor::builder_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    let n = std::thread::spawn(move || {
        let set = LocalSet::new();
        let count = Rc::new(Cell::new(0));
        for _ in 0..5 {
            let c = count.clone();
            drop(set.spawn_local(async move {
                yield_now().await;
                c.set(c.get() + 1);
            }));
        }
        assert_eq!(set.len(), 5);
        // Awaiting the set runs it until every task finished.
        let mut set = set;
        handle.block_on(&mut set);
        assert!(set.is_empty());
        count.get()
    })
    .join()
    .unwrap();
    assert_eq!(n, 5);
}

#[test]
fn aborting_a_local_task_from_another_thread_drops_it_on_its_own_thread() {
    let rt = Executor::builder_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let me = std::thread::current().id();
        struct OnDrop(std::thread::ThreadId, Arc<AtomicBool>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                assert_eq!(
                    std::thread::current().id(),
                    self.0,
                    "dropped on the set's thread"
                );
                self.1.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = OnDrop(me, dropped.clone());
        let local = spawn_local(async move {
            let _g = guard;
            let _rc = Rc::new(()); // !Send
            std::future::pending::<()>().await
        });
        yield_now().await;
        let abort = local.abort_handle();
        spawn(async move { abort.abort() }).await.unwrap();
        assert!(local.await.unwrap_err().is_cancelled());
        assert!(dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn named_local_task_shows_in_current() {
    let rt = Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        let h = task::Builder::new()
            .name("local-1")
            .spawn_local(async { task::current().name().map(str::to_owned) });
        assert_eq!(h.await.unwrap().as_deref(), Some("local-1"));
    });
}

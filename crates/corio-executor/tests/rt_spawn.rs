//! Spawning and joining tasks on both schedulers.
mod support;

use corio_executor::{spawn, Handle};
use corio_test_util::scaled;
use support::executors;

#[test]
fn spawn_and_join() {
    for (name, rt) in executors() {
        let v = rt.block_on(async { spawn(async { 21 * 2 }).await.unwrap() });
        assert_eq!(v, 42, "{name}");
        // Spawned from outside, awaited from block_on.
        let h = rt.spawn(async { "outside" });
        assert_eq!(rt.block_on(h).unwrap(), "outside", "{name}");
    }
}

#[test]
fn many_tasks() {
    let n = scaled(100_000);
    for (name, rt) in executors() {
        let sum = rt.block_on(async move {
            let handles: Vec<_> = (0..n).map(|i| spawn(async move { i as u64 })).collect();
            let mut sum = 0u64;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (n as u64) * (n as u64 - 1) / 2, "{name}");
        assert_eq!(rt.handle().num_alive_tasks(), 0, "{name}");
    }
}

#[test]
fn many_tasks_spawned_remotely() {
    let n = scaled(10_000);
    for (name, rt) in executors() {
        let handles: Vec<_> = (0..n).map(|i| rt.spawn(async move { i })).collect();
        let done = rt.block_on(async move {
            let mut c = 0;
            for h in handles {
                h.await.unwrap();
                c += 1;
            }
            c
        });
        assert_eq!(done, n, "{name}");
    }
}

#[test]
fn nested_spawns() {
    fn tree(depth: u32) -> corio_executor::JoinHandle<u64> {
        spawn(async move {
            if depth == 0 {
                return 1;
            }
            let a = tree(depth - 1);
            let b = tree(depth - 1);
            a.await.unwrap() + b.await.unwrap()
        })
    }
    let depth = if cfg!(miri) { 4 } else { 10 };
    for (name, rt) in executors() {
        let leaves = rt.block_on(async move { tree(depth).await.unwrap() });
        assert_eq!(leaves, 1 << depth, "{name}");
    }
}

#[test]
fn handle_current_spawns_on_the_same_runtime() {
    for (name, rt) in executors() {
        let ok = rt.block_on(async {
            let h = Handle::current();
            h.spawn(async { Handle::try_current().is_ok() })
                .await
                .unwrap()
        });
        assert!(ok, "{name}");
    }
}

#[test]
fn handle_block_on_from_another_thread() {
    for (name, rt) in executors() {
        let h = rt.handle().clone();
        let v = std::thread::spawn(move || h.block_on(async { spawn(async { 9 }).await.unwrap() }))
            .join()
            .unwrap();
        assert_eq!(v, 9, "{name}");
    }
}

#[test]
fn task_names_and_ids() {
    for (name, rt) in executors() {
        rt.block_on(async {
            let a = corio_executor::task::Builder::new()
                .name("fetch-1")
                .spawn(async {});
            let b = spawn(async {});
            assert_eq!(a.name(), Some("fetch-1"));
            assert_eq!(b.name(), None);
            assert_ne!(a.id(), b.id());
            a.await.unwrap();
            b.await.unwrap();
        });
        let _ = name;
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<corio_executor::JoinHandle<u8>>();
    assert_send_sync::<corio_executor::AbortHandle>();
    assert_send_sync::<corio_executor::Handle>();
    assert_send_sync::<corio_executor::Executor>();
    assert_send::<corio_executor::YieldNow>();
}

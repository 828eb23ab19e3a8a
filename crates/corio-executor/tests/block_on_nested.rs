//! Blocking on a runtime from inside a runtime is a clear panic.
mod support;

use corio_executor::{block_on, spawn};
use support::executors;

#[test]
fn block_on_inside_block_on_panics() {
    for (name, rt) in executors() {
        let h = rt.handle().clone();
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async { h.block_on(async {}) })
        }))
        .unwrap_err();
        let msg = corio_core::panic_message(&*err).unwrap();
        assert!(
            msg.contains("Cannot start a runtime from within a runtime"),
            "{name}: {msg}"
        );
        // The runtime still works afterwards.
        assert_eq!(rt.block_on(async { 1 }), 1);
    }
}

#[test]
fn free_block_on_inside_a_task_is_a_join_error() {
    for (name, rt) in executors() {
        let e = rt.block_on(async { spawn(async { block_on(async {}) }).await.unwrap_err() });
        assert!(e.is_panic(), "{name}");
        assert!(e.panic_message().unwrap().contains("within a runtime"));
    }
}

#[test]
fn free_block_on_runs_a_future() {
    assert_eq!(block_on(async { 7 }), 7);
}

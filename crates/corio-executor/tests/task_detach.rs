//! Dropping a `JoinHandle` detaches the task: it still runs to completion.
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use corio_executor::{spawn, yield_now, Handle};
use support::executors;

#[test]
fn dropped_handle_task_still_completes() {
    for (name, rt) in executors() {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        rt.block_on(async move {
            drop(spawn(async move {
                yield_now().await;
                d.store(true, Ordering::SeqCst);
            }));
            // `done` is set just before the task completes: on a multi-thread
            // runtime, also wait for it to leave the owned list.
            while !done.load(Ordering::SeqCst) || Handle::current().num_alive_tasks() != 0 {
                yield_now().await;
            }
        });
        assert_eq!(rt.handle().num_alive_tasks(), 0, "{name}");
    }
}

//! Helpers shared by the executor tests.
#![allow(dead_code, unreachable_pub)]

use corio_executor::{Builder, Executor};

/// One executor of each flavor (2 workers for the multi-thread one).
pub fn executors() -> Vec<(&'static str, Executor)> {
    vec![
        (
            "current_thread",
            Builder::new_current_thread().build().unwrap(),
        ),
        (
            "multi_thread",
            Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
    ]
}

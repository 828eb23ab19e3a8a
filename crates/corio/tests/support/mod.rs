//! Shared by the runtime-level test files: both runtime flavors on a paused clock, and a
//! helper that runs a test body as a task.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::Duration;

use corio::Runtime;

/// One second of (virtual) time.
pub const SEC: Duration = Duration::from_secs(1);

/// A current-thread and a 2-worker multi-thread runtime, both on a paused clock.
pub fn runtimes() -> [(&'static str, Runtime); 2] {
    [
        ("current_thread", paused_current_thread()),
        ("multi_thread", paused_multi_thread()),
    ]
}

/// Runs `body` as a task on `rt` and waits for it, re-raising its panic (so a failing
/// assertion inside the body fails the test with its own message).
pub fn on<F>(rt: &Runtime, body: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match rt.block_on(rt.spawn(body)) {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// A current-thread runtime on a paused clock.
pub fn paused_current_thread() -> Runtime {
    Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .unwrap()
}

/// A 2-worker multi-thread runtime on a paused clock.
pub fn paused_multi_thread() -> Runtime {
    Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap()
}

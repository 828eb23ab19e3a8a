//! A panic inside a task becomes a `JoinError` and the runtime keeps running.
mod support;

use corio_executor::spawn;
use support::executors;

#[test]
fn panic_becomes_join_error() {
    for (name, rt) in executors() {
        let err = rt.block_on(async { spawn(async { panic!("boom") }).await.unwrap_err() });
        assert!(err.is_panic(), "{name}");
        assert_eq!(err.panic_message().as_deref(), Some("boom"), "{name}");
        // The runtime still works.
        assert_eq!(rt.block_on(async { spawn(async { 1 }).await.unwrap() }), 1);
    }
}

#[test]
fn detached_panicking_task_does_not_stop_the_runtime() {
    for (name, rt) in executors() {
        let v = rt.block_on(async {
            drop(spawn(async { panic!("detached") }));
            spawn(async { 3 }).await.unwrap()
        });
        assert_eq!(v, 3, "{name}");
    }
}

#[test]
fn panic_payload_can_be_resumed() {
    for (_name, rt) in executors() {
        let err = rt.block_on(async { spawn(async { std::panic::panic_any(17u32) }).await });
        let payload = err.unwrap_err().into_panic();
        assert_eq!(*payload.downcast::<u32>().unwrap(), 17);
    }
}

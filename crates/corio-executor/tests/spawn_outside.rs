//! Spawning with no runtime is a clear error.
use corio_executor::{spawn, try_spawn, Handle, SpawnError};

#[test]
fn try_spawn_outside_runtime_is_err() {
    match try_spawn(async {}) {
        Err(SpawnError::NoRuntime(e)) => assert_eq!(e.function(), "corio::try_spawn"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(Handle::try_current().is_err());
}

#[test]
fn spawn_outside_runtime_panics_naming_the_fix() {
    let err = std::panic::catch_unwind(|| drop(spawn(async {}))).unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.contains("`corio::spawn` was called outside of a corio runtime"),
        "{msg}"
    );
    assert!(msg.contains("corio::run"), "{msg}");
}

#[test]
fn spawn_after_shutdown_is_cancelled_at_once() {
    for rt in [
        corio_executor::Builder::new_current_thread()
            .build()
            .unwrap(),
        corio_executor::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    ] {
        let handle = rt.handle().clone();
        drop(rt);
        assert!(handle.is_shutdown());
        let h = handle.spawn(async { 1 });
        assert!(h.is_finished());
        let err = corio_executor::block_on(h).unwrap_err();
        assert!(err.is_cancelled());
        let b = handle.spawn_blocking(|| 1);
        assert!(corio_executor::block_on(b).unwrap_err().is_cancelled());
    }
}

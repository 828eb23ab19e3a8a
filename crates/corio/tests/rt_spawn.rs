//! Root spawn functions, `Handle`, and the spawn seam of `corio_core`.
use corio::{Handle, Runtime, SpawnError};

#[test]
fn spawn_outside_a_runtime_panics_naming_the_fix() {
    let err = std::panic::catch_unwind(|| drop(corio::spawn(async {}))).unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.contains("`corio::spawn` was called outside of a corio runtime"),
        "{msg}"
    );
    assert!(matches!(
        corio::try_spawn(async {}),
        Err(SpawnError::NoRuntime(_))
    ));
    let err = std::panic::catch_unwind(|| drop(corio::to_thread(|| ()))).unwrap_err();
    assert!(corio_core::panic_message(&*err)
        .unwrap()
        .contains("corio::to_thread"));
    assert!(Handle::try_current().is_err());
}

#[test]
fn spawn_on_a_shut_down_runtime_is_cancelled_at_once() {
    for rt in [
        Runtime::builder().current_thread().build().unwrap(),
        Runtime::builder().worker_threads(2).build().unwrap(),
    ] {
        let h = rt.handle().clone();
        drop(rt);
        let j = h.spawn(async { 1 });
        assert!(j.is_finished());
        assert!(h.block_on(j).unwrap_err().is_cancelled());
    }
}

#[test]
fn handle_current_spawn_and_spawn_blocking() {
    let rt = Runtime::new().unwrap();
    let v = rt.block_on(async {
        let h = Handle::current();
        let a = h.spawn(async { 1 });
        let b = h.spawn_blocking(|| 2);
        let c = corio::to_thread(|| 3);
        let d = corio::spawn_blocking(|| 4);
        a.await.unwrap() + b.await.unwrap() + c.await.unwrap() + d.await.unwrap()
    });
    assert_eq!(v, 10);
}

#[test]
fn core_spawn_seam_reaches_the_executor() {
    let rt = Runtime::builder().current_thread().build().unwrap();
    let v = rt.block_on(async {
        let a = corio_core::task::spawn(async { 20 });
        let b = corio_core::task::spawn_blocking(|| 22);
        a.await.unwrap() + b.await.unwrap()
    });
    assert_eq!(v, 42);
    let h = rt.handle().clone();
    drop(rt);
    let _cx = h.clone();
    assert!(h.is_shutdown());
}

#[test]
fn task_module_builder_names_tasks() {
    let rt = Runtime::builder().current_thread().build().unwrap();
    rt.block_on(async {
        let h = corio::task::Builder::new()
            .name("fetch-1")
            .spawn(async { 5 });
        assert_eq!(h.name(), Some("fetch-1"));
        let id: corio::task::TaskId = h.id();
        assert!(id.as_u64() > 0);
        assert_eq!(h.await.unwrap(), 5);
    });
}

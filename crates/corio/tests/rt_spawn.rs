//! What the facade adds to spawning: `corio::to_thread` beside `Handle`'s spawns.
//!
//! `corio::spawn`, `Runtime` and `Handle` are the executor's (a re-export and type
//! aliases): their behaviour is tested once, in corio-executor's tests (spawn_outside.rs,
//! spawn_seam.rs, task_dump.rs, runtime_metrics.rs).
use corio::{Handle, Runtime};

#[test]
fn to_thread_outside_a_runtime_panics_naming_it() {
    let err = std::panic::catch_unwind(|| drop(corio::to_thread(|| ()))).unwrap_err();
    assert!(corio_core::panic_message(&*err)
        .unwrap()
        .contains("corio::to_thread"));
    assert!(Handle::try_current().is_err());
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

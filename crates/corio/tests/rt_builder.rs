//! `Runtime::builder()`: flavors, worker count, thread names, paused clock, bad input.
use std::io::ErrorKind;
use std::time::Duration;

use corio::Runtime;

#[test]
fn zero_worker_threads_is_invalid_input() {
    let err = Runtime::builder().worker_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = Runtime::builder()
        .max_blocking_threads(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn current_thread_runs_tasks_on_the_calling_thread() {
    let rt = Runtime::builder().current_thread().build().unwrap();
    let me = std::thread::current().id();
    let there = rt.block_on(async {
        corio::spawn(async { std::thread::current().id() })
            .await
            .unwrap()
    });
    assert_eq!(there, me);
}

#[test]
fn multi_thread_uses_named_worker_threads() {
    let rt = Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .thread_name("rt-test")
        .build()
        .unwrap();
    let name = rt.block_on(async {
        corio::spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    });
    assert_eq!(name.as_deref(), Some("rt-test"));
}

#[test]
fn start_paused_builds_a_paused_clock() {
    let rt = Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    assert!(rt.handle().clock().is_paused());
    let (t0, t1) = rt.block_on(async {
        let clock = corio_core::context::clock().expect("context installed");
        let t0 = corio_core::context::now();
        clock.advance(Duration::from_secs(60)).unwrap();
        (t0, corio_core::context::now())
    });
    assert_eq!(t1 - t0, Duration::from_secs(60));
    let rt = Runtime::builder().start_paused(false).build().unwrap();
    assert!(!rt.handle().clock().is_paused());
}

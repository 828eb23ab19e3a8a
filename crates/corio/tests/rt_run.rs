//! `corio::run`: runs the main future, cancels what is left, shuts down.
use std::future::pending;

use corio_test_util::DropCounter;

#[test]
fn run_returns_the_main_output() {
    assert_eq!(
        corio::run(async { corio::spawn(async { 2 }).await.unwrap() + 1 }),
        3
    );
}

#[test]
fn run_cancels_leftover_tasks_exactly_once() {
    let drops = DropCounter::new();
    let d = drops.clone();
    corio::run(async move {
        for _ in 0..10 {
            let guard = d.token();
            drop(corio::spawn(async move {
                let _g = guard;
                pending::<()>().await
            }));
        }
        corio::yield_now().await;
    });
    assert_eq!(drops.drops(), 10);
}

#[test]
fn run_inside_a_runtime_panics_saying_so() {
    let err = corio::run(async {
        corio::spawn(async { corio::run(async {}) })
            .await
            .unwrap_err()
    });
    assert!(err.is_panic());
    let msg = err.panic_message().unwrap();
    assert!(
        msg.contains("Cannot start a runtime from within a runtime"),
        "{msg}"
    );
}

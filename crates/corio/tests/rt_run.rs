//! `corio::run`: runs the main future, cancels what is left, shuts down.
use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn run_returns_the_main_output() {
    assert_eq!(
        corio::run(async { corio::spawn(async { 2 }).await.unwrap() + 1 }),
        3
    );
}

#[test]
fn run_cancels_leftover_tasks_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    corio::run(async move {
        for _ in 0..10 {
            let guard = CountDrop(d.clone());
            drop(corio::spawn(async move {
                let _g = guard;
                pending::<()>().await
            }));
        }
        corio::yield_now().await;
    });
    assert_eq!(drops.load(Ordering::SeqCst), 10);
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

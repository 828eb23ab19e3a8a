//! An always-ready task is made to yield, so it cannot starve another task.
mod support;

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use corio_core::coop;
use corio_executor::{spawn, Builder};

/// Spawns a task polling a "resource" that is always ready, in a loop that never awaits
/// anything else (only the budget makes it yield; each yield is counted in `yields`),
/// and a task that stops it; returns when both are done.
async fn spin_until_stopped(yields: Arc<AtomicUsize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let spinner = spawn(poll_fn(move |cx| loop {
        if s.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        match coop::poll_proceed(cx) {
            Poll::Ready(g) => g.made_progress(),
            Poll::Pending => {
                yields.fetch_add(1, Ordering::SeqCst);
                return Poll::Pending;
            }
        }
    }));
    spawn(async move { stop.store(true, Ordering::SeqCst) })
        .await
        .unwrap();
    spinner.await.unwrap();
}

#[test]
fn always_ready_task_does_not_starve_another() {
    for (_name, rt) in support::executors() {
        rt.block_on(spin_until_stopped(Arc::new(AtomicUsize::new(0))));
    }
    // On one thread the stopper can only run if the spinner yielded.
    let rt = Builder::new_current_thread().build().unwrap();
    let yields = Arc::new(AtomicUsize::new(0));
    rt.block_on(spin_until_stopped(yields.clone()));
    assert_eq!(yields.load(Ordering::SeqCst), 1);
}

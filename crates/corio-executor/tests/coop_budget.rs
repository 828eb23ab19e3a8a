//! An always-ready task is made to yield, so it cannot starve another task.
mod support;

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use corio_core::coop;
use corio_executor::{spawn, Builder};

#[test]
fn always_ready_task_does_not_starve_another() {
    for (name, rt) in support::executors() {
        let _ = name;
        let flag = Arc::new(AtomicBool::new(false));
        let yields = Arc::new(AtomicUsize::new(0));
        rt.block_on({
            let (flag, yields) = (flag.clone(), yields.clone());
            async move {
                let f = flag.clone();
                // A "resource" that is always ready, consumed in a loop that never
                // awaits anything else: only the budget makes it yield.
                let spinner = spawn(poll_fn(move |cx| loop {
                    if f.load(Ordering::SeqCst) {
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
                let setter = spawn(async move { flag.store(true, Ordering::SeqCst) });
                setter.await.unwrap();
                spinner.await.unwrap();
            }
        });
        assert!(flag.load(Ordering::SeqCst));
    }
    // On one thread the setter can only run if the spinner yielded.
    let rt = Builder::new_current_thread().build().unwrap();
    let yields = Arc::new(AtomicUsize::new(0));
    let y = yields.clone();
    rt.block_on(async move {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let spinner = spawn(poll_fn(move |cx| loop {
            if f.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            match coop::poll_proceed(cx) {
                Poll::Ready(g) => g.made_progress(),
                Poll::Pending => {
                    y.fetch_add(1, Ordering::SeqCst);
                    return Poll::Pending;
                }
            }
        }));
        spawn(async move { flag.store(true, Ordering::SeqCst) })
            .await
            .unwrap();
        spinner.await.unwrap();
    });
    assert_eq!(yields.load(Ordering::SeqCst), 1);
}

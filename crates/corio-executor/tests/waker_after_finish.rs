//! A waker used after its task finished, or after the runtime shut down, is harmless.
mod support;

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use corio_executor::spawn;
use support::executors;

fn stash() -> (Arc<Mutex<Option<Waker>>>, impl Fn(&Waker)) {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    let s = slot.clone();
    (slot, move |w: &Waker| *s.lock().unwrap() = Some(w.clone()))
}

#[test]
fn waker_used_after_task_finished() {
    for (name, rt) in executors() {
        let (slot, save) = stash();
        rt.block_on(async move {
            spawn(poll_fn(move |cx| {
                save(cx.waker());
                Poll::Ready(())
            }))
            .await
            .unwrap();
        });
        let w = slot.lock().unwrap().take().unwrap();
        w.wake_by_ref();
        let w2 = w.clone();
        w2.wake();
        w.wake();
        let _ = name;
    }
}

#[test]
fn waker_used_after_shutdown() {
    for (name, rt) in executors() {
        let (slot, save) = stash();
        drop(rt.spawn(poll_fn(move |cx| {
            save(cx.waker());
            Poll::<()>::Pending
        })));
        // Let the task run once so it stores its waker.
        rt.block_on(async {
            while slot.lock().unwrap().is_none() {
                corio_executor::yield_now().await;
            }
        });
        drop(rt);
        let w = slot.lock().unwrap().take().unwrap();
        w.wake_by_ref();
        w.wake();
        let _ = name;
    }
}

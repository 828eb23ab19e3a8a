//! A loom `block_on` that parks on a loom `Notify` between polls, so loom sees a blocked
//! thread (not a spinning one) while it waits for a wake.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Unpark(loom::sync::Notify);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.notify();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify();
    }
}

/// Polls `f` to completion, parking between polls.
pub fn block_on<F: Future>(f: F) -> F::Output {
    run(f, false)
}

/// [`block_on`] that also yields after each wake: a receiver that re-registers while a
/// sender is inside `AtomicWaker::wake` wakes itself, and must let that sender finish
/// instead of spinning through the model's preemption budget.
pub fn block_on_yielding<F: Future>(f: F) -> F::Output {
    run(f, true)
}

fn run<F: Future>(f: F, yield_after_wake: bool) -> F::Output {
    let unpark = Arc::new(Unpark(loom::sync::Notify::new()));
    let waker = Waker::from(unpark.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        unpark.0.wait();
        if yield_after_wake {
            loom::thread::yield_now();
        }
    }
}

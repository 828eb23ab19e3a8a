//! Blocking the calling thread on one of this crate's futures: the `blocking_*`
//! bridges (`mpsc::Sender::blocking_send`, `Receiver::blocking_recv`,
//! `oneshot::Receiver::blocking_recv`, ...) for synchronous code.
//!
//! # Rules
//! 1. Blocking from inside a runtime task would stall the thread that drives it (and
//!    on the current-thread runtime, deadlock), so it panics — as tokio's
//!    `blocking_*` methods do — whenever the thread is polling a corio task or a
//!    `block_on` future ([`corio_core::coop::in_task_poll`]). A blocking-pool job, a
//!    plain thread or a foreign executor may block.
//! 2. The thread parks between polls and the future's waker unparks it; a spurious
//!    unpark only costs one more poll.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

/// Runs `f` to completion on this thread (rule 2).
///
/// # Panics
/// Inside a runtime task (rule 1); `function` names the caller in the message.
#[track_caller]
pub(crate) fn block_on<F: Future>(function: &'static str, f: F) -> F::Output {
    if corio_core::coop::in_task_poll() {
        panic!(
            "`{function}` cannot block the current thread from within a runtime: the thread \
             is driving asynchronous tasks. Use the async method with `.await`, or call it \
             from `corio::spawn_blocking` or a thread of your own."
        );
    }
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

//! `block_on` outside any runtime, and the park loop shared with the multi-thread
//! runtime's `block_on`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio_core::{coop, Clock, Driver, ParkThread, Unparker};

/// Runs `future` to completion on the current thread, parking it while the future is
/// pending. No runtime is involved: tasks cannot be spawned from inside (use
/// [`Executor::block_on`](crate::Executor::block_on) for that).
///
/// # Examples
///
/// ```
/// let v = corio_executor::block_on(async { 1 + 2 });
/// assert_eq!(v, 3);
/// ```
///
/// # Panics
/// When called on a thread that drives a runtime (from inside a task or another
/// `block_on`): blocking there would stall every task of that runtime.
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let _guard = crate::context::enter_blocking_region();
    park_loop(future, None)
}

struct ThreadWake(Unparker);

impl Wake for ThreadWake {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` until ready, parking this thread in between. With a `clock`, the
/// thread counts as busy for auto-advance while it polls.
pub(crate) fn park_loop<F: Future>(future: F, clock: Option<&Clock>) -> F::Output {
    let mut park = ParkThread::new();
    let waker = Waker::from(Arc::new(ThreadWake(park.unparker())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let mut busy = clock.map(Clock::busy);
    loop {
        if let Poll::Ready(v) = coop::budget(|| future.as_mut().poll(&mut cx)) {
            return v;
        }
        drop(busy.take());
        park.park(None);
        busy = clock.map(Clock::busy);
    }
}

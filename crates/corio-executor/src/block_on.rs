//! `block_on` outside any runtime, and the park loop shared with the multi-thread
//! runtime's `block_on`.

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use std::time::Duration;

use corio_core::clock::BusyGuard;
use corio_core::{coop, Clock, Driver, ParkThread, Unparker};

use crate::debug::DebugConfig;

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
    park_loop(future, None, None)
}

/// The waker of a thread in [`park_loop`].
///
/// On a paused clock, a wake lends the woken thread a busy guard before unparking it: the
/// thread drops its own guard while it sleeps, and without the loan the runtime would
/// look idle — and virtual time could jump — between the wake and the moment the thread
/// runs again. The thread returns the loan once it holds its own guard again.
struct ThreadWake {
    unparker: Unparker,
    clock: Option<Clock>,
    loan: std::sync::Mutex<Option<BusyGuard>>,
}

impl ThreadWake {
    fn take_loan(&self) -> Option<BusyGuard> {
        self.loan.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Wake for ThreadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(clock) = self.clock.as_ref().filter(|c| c.is_paused()) {
            let loan = clock.busy();
            // Replacing an older loan is fine: the new guard is already counted.
            drop(
                self.loan
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .replace(loan),
            );
        }
        self.unparker.unpark();
    }
}

/// Polls `future` until ready, parking this thread in between. With a `clock`, the
/// thread counts as busy for auto-advance while it polls. With `debug` (debug mode:
/// the settings and the `block_on` call site), slow polls are reported.
pub(crate) fn park_loop<F: Future>(
    future: F,
    clock: Option<&Clock>,
    debug: Option<(&DebugConfig, &'static Location<'static>)>,
) -> F::Output {
    let mut park = ParkThread::new();
    let wake = Arc::new(ThreadWake {
        unparker: park.unparker(),
        clock: clock.cloned(),
        loan: std::sync::Mutex::new(None),
    });
    let waker = Waker::from(wake.clone());
    let mut cx = Context::from_waker(&waker);
    // Declared before the future, so dropped after it: a timer the future holds is
    // cancelled while this thread still counts as busy, and a paused clock cannot jump
    // to it in between.
    let mut busy = clock.map(Clock::busy);
    let mut future = pin!(future);
    loop {
        let poll = match debug {
            None => coop::budget(|| future.as_mut().poll(&mut cx)),
            Some((debug, location)) => debug
                .time_block_on_poll(location, || coop::budget(|| future.as_mut().poll(&mut cx))),
        };
        if let Poll::Ready(v) = poll {
            return v;
        }
        // Woken while polling (e.g. `yield_now`): poll again without ever going idle.
        if park.park(Some(Duration::ZERO)) {
            drop(wake.take_loan());
            continue;
        }
        drop(busy.take());
        park.park(None);
        busy = clock.map(Clock::busy);
        drop(wake.take_loan());
    }
}

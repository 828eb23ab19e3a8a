//! Shutdown's grace: every task left at shutdown gets the soft cancel and a bounded
//! time to run its async cleanup before the runtime drops what is still running.
//!
//! ```text
//!  drop / shutdown_timeout
//!        │
//!        ▼
//!  round: cancel every unmarked task ──► wait until every marked task is gone ──┐
//!        ▲   (tasks spawned meanwhile        (or the grace deadline passes) ─────┼──► hard shutdown:
//!        │    stay unmarked)                                                      │    drop every future
//!        └──────────── some task is still listed (spawned during the grace) ◄─────┘    still alive
//! ```
//!
//! # Rules
//! 1. The cancel is the one [`JoinHandle::cancel`](crate::JoinHandle::cancel) sends
//!    (state rule 8): a task with no cancel handler is dropped at its next scheduling
//!    point; a task in a `finally`/`catch_cancel`/`shielded` body runs it.
//! 2. Each task gets it once (owned-list rule 6): a task that catches the cancel and
//!    runs on is not cancelled again; it runs until the deadline, then is dropped.
//! 3. A task spawned during the grace runs normally; it is cancelled by the next round,
//!    once every task of the previous round is gone. Rounds repeat until no task is
//!    left, all within the one deadline.
//! 4. The deadline is on the runtime's clock when its stack has a timer (so a paused
//!    clock jumps to it when every task is idle), else on the real clock. A zero grace
//!    skips all this (every future is dropped at once); `Duration::MAX` never expires.
//! 5. No grace when the shutting-down thread drives a runtime itself (a worker, or
//!    inside a `block_on`): it cannot block there; the futures are dropped at once.
//! 6. The grace ends holding the clock busy (taken inside its last poll, while the
//!    thread is still busy), until the runtime is shut down: a paused clock does not
//!    jump to the timers of the cleanups being dropped, so the clock reads the end of
//!    the grace afterwards.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio_core::clock::BusyGuard;
use corio_core::task::BoxFuture;

use crate::scheduler::Common;
use crate::sync::Mutex;
use crate::task::cancel;
use crate::Handle;

/// Runs the grace (the module's rounds) on `handle`'s runtime for at most `grace`:
/// drives the runtime through `block_on`, which must not be shut down yet. Returns a
/// busy guard taken when the grace ended (rule 6), for the caller to drop once the
/// runtime is shut down.
pub(crate) fn grace(handle: &Handle, grace: Duration) -> Option<BusyGuard> {
    if grace.is_zero() || crate::context::is_driving() {
        return None; // Rules 4 and 5.
    }
    let common = handle.common();
    if common.owned.len() == 0 {
        return None;
    }
    common.owned.set_draining(true);
    let busy = handle.block_on(Grace {
        common,
        deadline: Deadline::new(common, grace),
    });
    common.owned.set_draining(false);
    Some(busy)
}

/// The grace's future: ready when no task is left or at the deadline, with a busy guard
/// (rule 6).
struct Grace<'a> {
    common: &'a Common,
    deadline: Deadline,
}

impl Future for Grace<'_> {
    type Output = BusyGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BusyGuard> {
        if self.deadline.poll(cx) {
            return Poll::Ready(self.common.clock.busy());
        }
        let owned = &self.common.owned;
        loop {
            if owned.outstanding(cx.waker()) > 0 {
                return Poll::Pending;
            }
            // Rule 3: the previous round is gone; cancel whatever is listed now.
            let round = owned.mark_unmarked();
            if round.is_empty() {
                // Nothing unmarked and no marked task listed: the list is empty.
                return Poll::Ready(self.common.clock.busy());
            }
            for task in round {
                // Rule 1: the soft cancel (a task that finished meanwhile refuses it).
                cancel::request(task.header(), task.0, None);
                // SAFETY: `mark_unmarked` gave us this reference.
                unsafe { task.drop_ref() };
            }
        }
    }
}

/// When the grace ends (rule 4).
enum Deadline {
    /// No end (`Duration::MAX`, or a deadline past the clock's range).
    Never,
    /// A sleep on the runtime's timer.
    Timer(BoxFuture<()>),
    /// No timer in the stack: a thread that waits on the real clock, stopped early by
    /// dropping `_stop`.
    Thread {
        fired: Arc<AtomicBool>,
        waker: Arc<Mutex<Option<Waker>>>,
        _stop: mpsc::Sender<()>,
    },
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Deadline::Thread { waker, .. } = self {
            // The deadline thread outlives the grace by a moment (it ends once `_stop`
            // is dropped): it must not keep the runtime alive through the waker.
            let w = waker.lock().take();
            drop(w);
        }
    }
}

impl Deadline {
    fn new(common: &Common, grace: Duration) -> Deadline {
        let clock = &common.clock;
        if let Some(timer) = common.context.timer() {
            return match clock.now().checked_add(grace) {
                Some(at) => Deadline::Timer(timer.sleep_until(at)),
                None => Deadline::Never,
            };
        }
        if std::time::Instant::now().checked_add(grace).is_none() {
            return Deadline::Never;
        }
        let fired = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let (stop, stopped) = mpsc::channel::<()>();
        let (f, w) = (fired.clone(), waker.clone());
        let spawned = std::thread::Builder::new()
            .name("corio-shutdown-grace".into())
            .spawn(move || {
                // Disconnected (the grace ended first) returns at once; a timeout fires.
                if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(grace) {
                    f.store(true, Ordering::Release);
                    if let Some(w) = w.lock().take() {
                        w.wake();
                    }
                }
            });
        match spawned {
            Ok(_) => Deadline::Thread {
                fired,
                waker,
                _stop: stop,
            },
            // No thread for the deadline: no grace rather than an unbounded one.
            Err(_) => Deadline::Timer(Box::pin(std::future::ready(()))),
        }
    }

    /// Whether the deadline passed (registering `cx`'s waker otherwise).
    fn poll(&mut self, cx: &mut Context<'_>) -> bool {
        match self {
            Deadline::Never => false,
            Deadline::Timer(sleep) => sleep.as_mut().poll(cx).is_ready(),
            Deadline::Thread { fired, waker, .. } => {
                *waker.lock() = Some(cx.waker().clone());
                fired.load(Ordering::Acquire)
            }
        }
    }
}

//! One corio task per HTTP/2 connection: hyper's dispatch future, h2's connection
//! future (the socket I/O) and the per-request futures hyper would spawn all run in it.
//!
//! hyper's HTTP/2 client spawns, through its executor, the h2 connection future once
//! and one response future per request (plus one per streamed request body). With a
//! plain spawning executor a request hops through four tasks (caller, dispatch, a fresh
//! response task, connection), and two tasks woken back to back (the task spawned per
//! request, or the dispatcher woken by the next request while the connection task,
//! woken by the dropped stream, waits in the worker's next-task slot) make the scheduler
//! wake the other worker: at one request in flight the requests ping-ponged between
//! threads, 3 context switches and ~40 µs of CPU per request, against 0.5 and ~16 µs
//! over HTTP/1.1, whose connection is one task. [`ConnExecutor`] hands every future to
//! the connection's [`ConnTask`] instead, which polls them in a `FuturesUnordered` next
//! to the dispatch future: a request is two tasks, the caller and its connection, as
//! over HTTP/1.1 (0.1 context switches, ~24 µs per request; `docs/benchmarks.md`).
//! Keeping the socket I/O in a task of its own was measured too: it keeps the
//! ping-pong (2.4 context switches per request) and was no faster at 64 in flight.
//!
//! # Rules
//! 1. [`ConnTask`] completes only when the dispatch future and every future handed to it
//!    completed: a response future outlives the dispatch future (as a spawned task
//!    would), so no request loses its answer because the dispatcher ended first.
//! 2. A wake-up of anything inside the task while the task is being polled only marks
//!    it in the [`WakeGate`] (`gate.rs`); the poll runs another pass before returning
//!    instead of scheduling the task once more. Outside a poll it wakes the task. The
//!    gate's ordering rules make sure a wake-up is never lost (model-checked by
//!    `tests/loom_h2_gate.rs`); each pass polls the dispatch future, picks up the
//!    futures handed over and polls the woken ones, so whatever woke it is handled.
//! 3. One poll loops at most [`MAX_PASSES`] times, then wakes itself and returns, so a
//!    future that keeps waking itself cannot hold the worker.
//! 4. A future handed over while the task is not being polled (hyper's handshake hands
//!    over the connection future before the task exists) wakes the task (rule 2), so it
//!    is never left unpolled; the task's first poll picks up what came before it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures::stream::{FuturesUnordered, StreamExt};
use futures::task::AtomicWaker;

mod gate;
use gate::WakeGate;

/// The atomics `gate.rs` uses (the loom model swaps in loom's).
mod sync {
    pub(super) use std::sync::atomic::{AtomicBool, Ordering};
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Passes over the futures in one poll before yielding (rule 3).
const MAX_PASSES: usize = 32;

/// hyper's executor for one HTTP/2 connection: instead of spawning, hands each future
/// to the connection's [`ConnTask`].
#[derive(Clone)]
pub(crate) struct ConnExecutor {
    shared: Arc<Shared>,
}

struct Shared {
    /// Futures handed over and not yet moved into the task's set.
    incoming: Mutex<Vec<BoxFuture>>,
    /// Rule 2.
    gate: WakeGate,
    /// The task's waker, for wake-ups outside a poll.
    task: AtomicWaker,
}

impl Shared {
    fn notify(&self) {
        if self.gate.notify() {
            self.task.wake();
        }
    }
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notify();
    }
}

impl ConnExecutor {
    pub(crate) fn new() -> ConnExecutor {
        ConnExecutor {
            shared: Arc::new(Shared {
                incoming: Mutex::new(Vec::new()),
                gate: WakeGate::new(),
                task: AtomicWaker::new(),
            }),
        }
    }

    /// The task that runs `dispatch` (hyper's connection future) and every future hyper
    /// handed to this executor.
    pub(crate) fn task<F>(&self, dispatch: F) -> ConnTask
    where
        F: Future<Output = ()> + Send + 'static,
    {
        ConnTask {
            dispatch: Some(Box::pin(dispatch)),
            futures: FuturesUnordered::new(),
            waker: Waker::from(self.shared.clone()),
            shared: self.shared.clone(),
        }
    }
}

impl<F> hyper::rt::Executor<F> for ConnExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, future: F) {
        self.shared.incoming.lock().unwrap().push(Box::pin(future));
        // Rule 4.
        self.shared.notify();
    }
}

impl fmt::Debug for ConnExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnExecutor").finish_non_exhaustive()
    }
}

/// The connection's task (see the module docs); spawn it.
#[must_use = "futures do nothing unless you .await or poll them"]
pub(crate) struct ConnTask {
    dispatch: Option<BoxFuture>,
    futures: FuturesUnordered<BoxFuture>,
    /// Wakes through `shared` (rule 2).
    waker: Waker,
    shared: Arc<Shared>,
}

impl Future for ConnTask {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.shared.task.register(cx.waker());
        let inner_waker = this.waker.clone();
        let mut inner = Context::from_waker(&inner_waker);
        for _ in 0..MAX_PASSES {
            this.shared.gate.begin_pass();
            if let Some(dispatch) = &mut this.dispatch {
                if dispatch.as_mut().poll(&mut inner).is_ready() {
                    this.dispatch = None;
                }
            }
            let handed: Vec<BoxFuture> = std::mem::take(&mut *this.shared.incoming.lock().unwrap());
            this.futures.extend(handed);
            while let Poll::Ready(Some(())) = this.futures.poll_next_unpin(&mut inner) {}
            // Rule 1.
            if this.dispatch.is_none()
                && this.futures.is_empty()
                && this.shared.incoming.lock().unwrap().is_empty()
            {
                this.shared.gate.leave();
                return Poll::Ready(());
            }
            // Rule 2.
            if !this.shared.gate.end_pass() {
                return Poll::Pending;
            }
        }
        // Rule 3.
        this.shared.gate.leave();
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for ConnTask {
    fn drop(&mut self) {
        // Futures still waiting to be picked up may hold the executor, so `shared`
        // would keep itself alive through them: drop them with the task (outside the
        // lock, as dropping one may hand over another).
        let left = std::mem::take(&mut *self.shared.incoming.lock().unwrap());
        drop(left);
    }
}

impl fmt::Debug for ConnTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnTask")
            .field("dispatching", &self.dispatch.is_some())
            .field("futures", &self.futures.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Executor;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Futures handed over before the task exists and from inside it all run in it, and
    /// the task completes only after the last of them (rule 1), even when the dispatch
    /// future finished first.
    #[corio::test(start_paused = true)]
    async fn runs_every_handed_future_to_the_end() {
        let exec = ConnExecutor::new();
        let (first_tx, first_rx) = futures::channel::oneshot::channel::<()>();
        let (late_tx, late_rx) = futures::channel::oneshot::channel::<()>();
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        exec.execute(async move {
            first_rx.await.unwrap();
            d.fetch_add(1, Ordering::SeqCst);
        });
        let inner_exec = exec.clone();
        let d = done.clone();
        let task = exec.task(async move {
            // Handed over from inside the task's poll.
            inner_exec.execute(async move {
                late_rx.await.unwrap();
                d.fetch_add(10, Ordering::SeqCst);
            });
        });
        // Nothing runs before the task does.
        first_tx.send(()).unwrap();
        corio::sleep(Duration::from_millis(1)).await;
        assert_eq!(done.load(Ordering::SeqCst), 0);
        let handle = corio::spawn(task);
        corio::sleep(Duration::from_millis(1)).await;
        assert_eq!(done.load(Ordering::SeqCst), 1);
        assert!(
            !handle.is_finished(),
            "the late future still runs in the task"
        );
        late_tx.send(()).unwrap();
        handle.await.unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 11);
    }

    /// A future that wakes itself forever does not hold the worker (rule 3): on a
    /// current-thread runtime the test's own task still gets to run again (without the
    /// rule this test never returns).
    #[corio::test]
    async fn a_self_waking_future_yields() {
        let exec = ConnExecutor::new();
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let inner_exec = exec.clone();
        let task = exec.task(async move {
            inner_exec.execute(futures::future::poll_fn(move |cx| {
                p.fetch_add(1, Ordering::SeqCst);
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            }));
        });
        let handle = corio::spawn(task);
        corio::yield_now().await;
        let seen = polls.load(Ordering::SeqCst);
        assert!(seen > 0 && seen < 100_000, "{seen} polls before yielding");
        handle.abort();
    }
}

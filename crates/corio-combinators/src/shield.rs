//! [`shield`]: protect work from the caller's cancellation (asyncio's `shield`).
//!
//! # Implementation
//! The work runs as its own task (through the spawn seam, `corio_core::task::spawn`).
//! The task stores its outcome in a slot shared by the [`Shield`] and every
//! [`ShieldHandle`] ("claimants"). Rules:
//! 1. The slot goes `Running` → `Finished` exactly once: when the work completes, panics
//!    (caught in the task) or is dropped unfinished (aborted, or the runtime shut down).
//! 2. Each claimant keeps its own waker slot; finishing wakes them all.
//! 3. The outcome is moved out once, to the first claimant that polls after rule 1; the
//!    slot is then `Taken` and another claimant polling it panics (documented misuse).
//! 4. Dropping a claimant never cancels the task; only [`Shield::abort`] /
//!    [`ShieldHandle::abort`] do.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

use corio_core::{JoinError, TaskHandle, TaskId};

/// Runs `work` as its own task and returns a [`Shield`] to await its outcome; dropping
/// the shield (for example because the caller was cancelled or timed out) does not
/// cancel the work, and [`Shield::handle`] gives a second way to its outcome — asyncio's
/// `shield(aw)`.
///
/// # Examples
///
/// The outer timeout gives up, the work goes on, and the handle still gets its result
/// (`no_run`: it needs a corio runtime to spawn on):
///
/// ```no_run
/// use corio_combinators::{shield, timeout_scope};
/// use std::time::Duration;
///
/// async fn save() -> u32 { 7 }
///
/// async fn example() {
///     let shielded = shield(save());
///     let handle = shielded.handle();
///     match timeout_scope(Duration::from_millis(10), shielded).await {
///         Ok(outcome) => assert_eq!(outcome.unwrap(), 7),
///         // Timed out: the save keeps running; collect it later.
///         Err(_elapsed) => assert_eq!(handle.await.unwrap(), 7),
///     }
/// }
/// ```
///
/// # Panics
/// Outside a corio runtime (the spawn seam's message names `corio::spawn`).
#[track_caller]
pub fn shield<F>(work: F) -> Shield<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            outcome: Outcome::Running,
            wakers: vec![None],
        }),
        task: OnceLock::new(),
    });
    let task = corio_core::task::spawn(ShieldTask {
        work: Some(work),
        shared: Some(shared.clone()),
    });
    let _ = shared.task.set(task);
    Shield {
        claim: Claim { shared, slot: 0 },
    }
}

/// Awaits the outcome of work started by [`shield`]. Dropping it does not cancel the work.
#[must_use = "dropping a Shield leaves the work running; await it or keep a handle"]
pub struct Shield<T> {
    claim: Claim<T>,
}

/// A second claim on the outcome of a [`shield`]ed task, usable after the [`Shield`] was
/// dropped. Dropping it does not cancel the work.
#[must_use = "dropping a ShieldHandle leaves the work running; await it to get its outcome"]
pub struct ShieldHandle<T> {
    claim: Claim<T>,
}

impl<T> Shield<T> {
    /// Another claimant of the same outcome (the outcome goes to the first to poll
    /// after the work finished).
    pub fn handle(&self) -> ShieldHandle<T> {
        ShieldHandle {
            claim: self.claim.new_claimant(),
        }
    }

    /// Cancels the work explicitly (the one way to stop it).
    pub fn abort(&self) {
        self.claim.abort();
    }

    /// The id of the task running the work.
    pub fn id(&self) -> TaskId {
        self.claim.id()
    }

    /// Whether the work has finished.
    pub fn is_finished(&self) -> bool {
        self.claim.is_finished()
    }
}

impl<T> ShieldHandle<T> {
    /// Cancels the work explicitly.
    pub fn abort(&self) {
        self.claim.abort();
    }

    /// The id of the task running the work.
    pub fn id(&self) -> TaskId {
        self.claim.id()
    }

    /// Whether the work has finished.
    pub fn is_finished(&self) -> bool {
        self.claim.is_finished()
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    /// If a [`ShieldHandle`] already took the outcome.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().claim.poll(cx)
    }
}

impl<T> Future for ShieldHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    /// If the [`Shield`] or another handle already took the outcome.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().claim.poll(cx)
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> fmt::Debug for ShieldHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShieldHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// The task's handle, for `abort` and `id` (set right after spawning).
    task: OnceLock<TaskHandle<()>>,
}

struct State<T> {
    outcome: Outcome<T>,
    /// One waker slot per claimant (rule 2).
    wakers: Vec<Option<Waker>>,
}

enum Outcome<T> {
    Running,
    Done(T),
    Panicked(Box<dyn Any + Send>),
    Cancelled,
    Taken,
}

impl<T> Shared<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rule 1: record the outcome once and wake every claimant.
    fn finish(&self, outcome: Outcome<T>) {
        let wakers: Vec<Waker> = {
            let mut state = self.lock();
            if !matches!(state.outcome, Outcome::Running) {
                return;
            }
            state.outcome = outcome;
            state.wakers.iter_mut().filter_map(Option::take).collect()
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

struct Claim<T> {
    shared: Arc<Shared<T>>,
    slot: usize,
}

impl<T> Claim<T> {
    fn new_claimant(&self) -> Claim<T> {
        let slot = {
            let mut state = self.shared.lock();
            state.wakers.push(None);
            state.wakers.len() - 1
        };
        Claim {
            shared: self.shared.clone(),
            slot,
        }
    }

    fn task(&self) -> &TaskHandle<()> {
        self.shared
            .task
            .get()
            .expect("the shield's task handle is set when `shield` returns")
    }

    fn abort(&self) {
        self.task().abort();
    }

    fn id(&self) -> TaskId {
        self.task().id()
    }

    fn is_finished(&self) -> bool {
        !matches!(self.shared.lock().outcome, Outcome::Running)
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut state = self.shared.lock();
        let outcome = match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Running => {
                state.outcome = Outcome::Running;
                match &mut state.wakers[self.slot] {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    w => *w = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
            Outcome::Taken => {
                panic!("the shielded work's outcome was already taken by another claimant")
            }
            done => done,
        };
        drop(state);
        let id = self.id();
        Poll::Ready(match outcome {
            Outcome::Done(v) => Ok(v),
            Outcome::Panicked(p) => Err(JoinError::panic(id, p)),
            _ => Err(JoinError::cancelled(id)),
        })
    }
}

/// The spawned side: runs the work, catches its panic, records the outcome (rule 1).
struct ShieldTask<F: Future> {
    /// `None` once finished: the work is dropped (in place) before its outcome is
    /// recorded, so a claimant that sees `Cancelled` knows the work's destructor ran.
    work: Option<F>,
    /// `None` once the outcome was recorded.
    shared: Option<Arc<Shared<F::Output>>>,
}

impl<F: Future> Future for ShieldTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `work` is structurally pinned: it is never moved out, only dropped in
        // place (`Pin::set` here, assignment in `Drop`). `shared` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut work = unsafe { Pin::new_unchecked(&mut this.work) };
        let Some(fut) = work.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let mut outcome = match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(v)) => Outcome::Done(v),
            Err(p) => Outcome::Panicked(p),
        };
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| work.set(None))) {
            if !matches!(outcome, Outcome::Panicked(_)) {
                outcome = Outcome::Panicked(p);
            }
        }
        if let Some(shared) = this.shared.take() {
            shared.finish(outcome);
        }
        Poll::Ready(())
    }
}

impl<F: Future> Drop for ShieldTask<F> {
    fn drop(&mut self) {
        // The work goes first (rule 1): claimants learn of the cancellation only after
        // its destructor ran; a panic there is reported as the work's panic.
        let dropped = catch_unwind(AssertUnwindSafe(|| self.work = None));
        if let Some(shared) = self.shared.take() {
            shared.finish(match dropped {
                Ok(()) => Outcome::Cancelled,
                Err(p) => Outcome::Panicked(p),
            });
        }
    }
}

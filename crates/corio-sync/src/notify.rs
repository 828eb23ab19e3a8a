//! `Notify`: wake one task or all waiting tasks, with a stored permit (tokio's API).
//!
//! # Rules
//! 1. `notify_one` pops the head waiter and marks it `ONE`; with no waiter it stores a
//!    single permit that the next `notified()` consumes at once.
//! 2. `notify_waiters` pops every waiter, marking them `ALL`, stores no permit, and
//!    bumps a generation counter: a `Notified` created before the call completes even
//!    if it had not been polled yet.
//! 3. A `Notified` marked `ONE` that is dropped before returning `Ready` passes the
//!    notification on (rule 1 again), so a cancelled waiter never swallows it. One
//!    marked `ALL` passes nothing on (the broadcast reached everyone waiting).
//! 4. The mark lives in a small shared cell of the waiter, set under the lock, because
//!    the popped entry is gone from the list; it is allocated only when a `Notified`
//!    actually has to wait.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{Arc, AtomicUsize, Mutex, Ordering};
use crate::wait_list::{WaitKey, WaitList};

const WAITING: usize = 0;
const ONE: usize = 1;
const ALL: usize = 2;

struct Waiter {
    waker: Option<Waker>,
    mark: Arc<AtomicUsize>,
}

struct State {
    permit: bool,
    waiters: WaitList<Waiter>,
}

/// Notifies tasks: [`notify_one`](Self::notify_one) wakes the longest-waiting task (or
/// lets the next one through at once), [`notify_waiters`](Self::notify_waiters) wakes
/// every task waiting now.
///
/// # Examples
///
/// ```
/// use corio_sync::Notify;
///
/// futures::executor::block_on(async {
///     let notify = Notify::new();
///     notify.notify_one(); // stored: nobody is waiting yet
///     notify.notified().await; // consumes the stored permit
///
///     let waiting = notify.notified();
///     notify.notify_waiters(); // reaches `waiting`: it was created before the call
///     waiting.await;
/// });
/// ```
pub struct Notify {
    generation: AtomicUsize,
    state: Mutex<State>,
}

impl Notify {
    /// A `Notify` with no stored permit.
    pub fn new() -> Self {
        Notify {
            generation: AtomicUsize::new(0),
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Waits for a notification.
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped `Notified` leaves the queue, and if `notify_one` had
    /// already chosen it, the notification goes to the next waiter (or is stored).
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            generation: self.generation.load(Ordering::Acquire),
            state: NotifiedState::Init,
        }
    }

    /// Wakes the longest-waiting task, or stores a permit if none waits.
    ///
    /// # Panics
    /// With the panic of the chosen waiter's waker; that waiter keeps the notification
    /// and completes when polled again.
    pub fn notify_one(&self) {
        let waker = {
            let mut state = self.state.lock();
            Self::notify_one_locked(&mut state)
        };
        if let Some(w) = waker {
            crate::wake_list::wake(w);
        }
    }

    fn notify_one_locked(state: &mut State) -> Option<Waker> {
        match state.waiters.pop_front() {
            Some(w) => {
                w.mark.store(ONE, Ordering::Release);
                w.waker
            }
            None => {
                state.permit = true;
                None
            }
        }
    }

    /// Wakes every task waiting now (and every `Notified` created before this call);
    /// stores no permit.
    ///
    /// # Panics
    /// With the first panic of a waiter's waker, re-raised once every waiter has been
    /// notified and woken; the waiter whose waker panicked completes when polled again.
    pub fn notify_waiters(&self) {
        let mut wakers = crate::wake_list::WakeList::new();
        let state = self.state.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        let state = wakers.fill_in_batches(&self.state, state, |state, wakers| {
            while !state.waiters.is_empty() {
                if !wakers.can_push() {
                    return true;
                }
                let w = state.waiters.pop_front().expect("the list is not empty");
                w.mark.store(ALL, Ordering::Release);
                if let Some(waker) = w.waker {
                    wakers.push(waker);
                }
            }
            false
        });
        drop(state);
        wakers.wake_all();
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

enum NotifiedState {
    Init,
    Waiting(WaitKey, Arc<AtomicUsize>),
    /// Notified by [`Notified::enable`] on a stored permit or a past `notify_waiters`:
    /// the next poll returns `Ready`.
    Ready,
    Done,
}

/// Future of [`Notify::notified`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: usize,
    state: NotifiedState,
}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so a `notify_one` from
    /// now on can choose it (and a `notify_waiters` reaches it, as it would anyway).
    /// Returns whether it has already been notified: then the next poll returns
    /// `Ready`. Useful to register before checking a condition, then await.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use corio_sync::Notify;
    ///
    /// futures::executor::block_on(async {
    ///     let notify = Notify::new();
    ///     let mut notified = pin!(notify.notified());
    ///     assert!(!notified.as_mut().enable()); // queued, not notified yet
    ///     notify.notify_one(); // goes to the enabled waiter, not to a stored permit
    ///     notified.await;
    ///     assert!(futures::poll!(pin!(notify.notified())).is_pending());
    /// });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        let notify = this.notify;
        match &this.state {
            NotifiedState::Init => {
                let mut state = notify.state.lock();
                if notify.generation.load(Ordering::Acquire) != this.generation
                    || std::mem::take(&mut state.permit)
                {
                    drop(state);
                    this.state = NotifiedState::Ready;
                    return true;
                }
                let mark = Arc::new(AtomicUsize::new(WAITING));
                let key = state.waiters.push_back(Waiter {
                    waker: None,
                    mark: mark.clone(),
                });
                this.state = NotifiedState::Waiting(key, mark);
                false
            }
            NotifiedState::Waiting(_, mark) => {
                let _state = notify.state.lock();
                mark.load(Ordering::Acquire) != WAITING
            }
            NotifiedState::Ready | NotifiedState::Done => true,
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let notify = this.notify;
        match &this.state {
            NotifiedState::Init => {
                let mut state = notify.state.lock();
                if notify.generation.load(Ordering::Acquire) != this.generation {
                    drop(state);
                    this.state = NotifiedState::Done;
                    return Poll::Ready(());
                }
                if std::mem::take(&mut state.permit) {
                    drop(state);
                    this.state = NotifiedState::Done;
                    return Poll::Ready(());
                }
                let mark = Arc::new(AtomicUsize::new(WAITING));
                let key = state.waiters.push_back(Waiter {
                    waker: Some(cx.waker().clone()),
                    mark: mark.clone(),
                });
                this.state = NotifiedState::Waiting(key, mark);
                Poll::Pending
            }
            NotifiedState::Waiting(key, mark) => {
                let mut state = notify.state.lock();
                if mark.load(Ordering::Acquire) != WAITING {
                    drop(state);
                    this.state = NotifiedState::Done;
                    return Poll::Ready(());
                }
                if let Some(w) = state.waiters.get_mut(*key) {
                    match &mut w.waker {
                        Some(old) if old.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                }
                Poll::Pending
            }
            NotifiedState::Ready => {
                this.state = NotifiedState::Done;
                Poll::Ready(())
            }
            NotifiedState::Done => panic!("`Notify::notified` future polled after completion"),
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        if let NotifiedState::Waiting(key, mark) = &self.state {
            let waker = {
                let mut state = self.notify.state.lock();
                state.waiters.remove(*key);
                if mark.load(Ordering::Acquire) == ONE {
                    // Rule 3: pass the notification on.
                    Notify::notify_one_locked(&mut state)
                } else {
                    None
                }
            };
            if let Some(w) = waker {
                crate::wake_list::wake(w);
            }
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}

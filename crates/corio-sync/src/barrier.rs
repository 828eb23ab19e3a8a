//! `Barrier`: asyncio's `Barrier`: tasks wait until `parties` of them have arrived.
//!
//! # Rules
//! 1. Waiters of the filling round sit in the wait list with no outcome yet. The last
//!    arrival trips the barrier: it marks every such entry `Passed` in place, wakes
//!    them, and returns as the leader. Marked entries stay until their future reads the
//!    mark and removes itself, so each future learns its own round's outcome even if it
//!    runs after later rounds.
//! 2. `abort` and `reset` mark the filling round's entries `Broken` instead. `abort`
//!    leaves the barrier broken (every later `wait` fails until `reset`); `reset` empties
//!    it and makes it usable again.
//! 3. A waiter dropped before its round trips leaves the round (the count goes down), so
//!    a cancelled task never counts towards a trip.
//! 4. Draining (asyncio's): while marked entries of a finished round are still in the
//!    list (`marked > 0`: tasks that passed or broke and have not yet returned from
//!    `wait`), a new arrival is *blocked*: it queues without counting and without an
//!    arrival index. When the last marked entry leaves, the blocked waiters are woken;
//!    each joins the filling round (counts, gets its index, may trip it) when it is
//!    polled next, not before — so a `reset` made in between by a task of the old
//!    round finds an empty round and breaks nobody. `reset` marks only waiters that
//!    joined; `abort` marks blocked ones too.
//! 5. The arrival index is the round's count before the arrival (asyncio's), so
//!    `0..parties`, the leader's being `parties - 1`; a waiter that leaves (rule 3)
//!    frees its number for the next arrival, as in asyncio.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::error::BrokenBarrierError;
use crate::loom::Mutex;
use crate::wait_list::{WaitKey, WaitList};
use crate::wake_list::WakeList;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Broken,
}

struct Waiter {
    waker: Option<Waker>,
    outcome: Option<Outcome>,
    /// Joined the filling round (false: blocked while draining, rule 4).
    joined: bool,
    /// Arrival index (rule 5); meaningful once joined.
    index: usize,
}

struct State {
    /// Joined and waiting in the filling round.
    count: usize,
    /// Marked entries still in the list (rule 4).
    marked: usize,
    broken: bool,
    waiters: WaitList<Waiter>,
}

/// Lets `parties` tasks wait until all of them have arrived, then releases them
/// together; reusable round after round.
///
/// # Examples
///
/// ```
/// use corio_sync::Barrier;
/// use futures::future::join_all;
///
/// futures::executor::block_on(async {
///     let barrier = Barrier::new(3);
///     let results = join_all((0..3).map(|_| barrier.wait())).await;
///     let leaders = results.iter().filter(|r| r.as_ref().unwrap().is_leader()).count();
///     assert_eq!(leaders, 1); // exactly one caller is told it is the leader
/// });
/// ```
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    /// If `parties` is 0 (asyncio raises `ValueError`).
    #[track_caller]
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "a barrier needs at least one party");
        Barrier {
            parties,
            state: Mutex::new(State {
                count: 0,
                marked: 0,
                broken: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Waits until `parties` tasks are waiting; the one whose arrival completed the
    /// round gets [`BarrierWaitResult::is_leader`] `true`.
    ///
    /// # Errors
    /// [`BrokenBarrierError`] if the barrier is broken, or is aborted or reset while
    /// waiting.
    ///
    /// # Cancel safety
    /// Cancel-safe: a waiter dropped before the round completes leaves the round, so
    /// it is not counted (rule 3).
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
        }
    }

    /// Breaks the barrier: current and later waiters fail until [`reset`](Self::reset).
    ///
    /// # Panics
    /// With the first panic of a waiter's waker, once every waiter is marked and woken.
    pub fn abort(&self) {
        let mut wakers = WakeList::new();
        let mut state = self.state.lock();
        state.broken = true;
        // Rule 4: blocked arrivals fail too.
        let mut blocked = 0;
        state.waiters.for_each_mut(|w| {
            if w.outcome.is_none() && !w.joined {
                w.outcome = Some(Outcome::Broken);
                blocked += 1;
            }
        });
        state.marked += blocked;
        self.end_round(state, Outcome::Broken, &mut wakers);
        wakers.wake_all();
    }

    /// Fails the current waiters and returns the barrier to its empty, usable state.
    ///
    /// # Panics
    /// With the first panic of a waiter's waker, once every waiter is marked and woken.
    pub fn reset(&self) {
        let mut wakers = WakeList::new();
        let mut state = self.state.lock();
        state.broken = false;
        self.end_round(state, Outcome::Broken, &mut wakers);
        wakers.wake_all();
    }

    /// Whether the barrier is broken (aborted and not reset).
    pub fn is_broken(&self) -> bool {
        self.state.lock().broken
    }

    /// How many parties it takes to pass.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many tasks are waiting in the current round.
    pub fn n_waiting(&self) -> usize {
        self.state.lock().count
    }

    /// Marks the filling round's waiters with `outcome` and wakes them (rules 1 and 2).
    ///
    /// The whole round is marked before the lock is first let go: wakers are woken in
    /// batches with the lock released, and an arrival for the next round in between
    /// must not be taken for this one. A marked entry with a waker left is one not yet
    /// woken (its future removes it when it reads the mark). Never unwinds because of a
    /// waker; the last batch is left in `wakers` for the caller to finish with the lock
    /// released.
    fn end_round<'a>(
        &'a self,
        mut state: crate::loom::MutexGuard<'a, State>,
        outcome: Outcome,
        wakers: &mut WakeList,
    ) {
        state.count = 0;
        let mut marked = 0;
        state.waiters.for_each_mut(|w| {
            if w.outcome.is_none() && w.joined {
                w.outcome = Some(outcome);
                marked += 1;
            }
        });
        state.marked += marked;
        let state = wakers.fill_in_batches(&self.state, state, |state, wakers| {
            let mut more = false;
            state.waiters.for_each_mut(|w| {
                if w.outcome.is_none() {
                    return; // blocked (rule 4)
                }
                if !wakers.can_push() {
                    more |= w.waker.is_some();
                } else if let Some(waker) = w.waker.take() {
                    wakers.push(waker);
                }
            });
            more
        });
        drop(state);
    }
}

impl Barrier {
    /// Rule 4: the last marked entry left; wakes the blocked arrivals (batch by batch,
    /// the lock released), which join the filling round when polled. The last batch
    /// is left in `wakers`.
    fn wake_blocked<'a>(
        &'a self,
        state: crate::loom::MutexGuard<'a, State>,
        wakers: &mut WakeList,
    ) {
        let state = wakers.fill_in_batches(&self.state, state, |state, wakers| {
            let mut more = false;
            state.waiters.for_each_mut(|w| {
                if w.outcome.is_some() || w.joined {
                    return;
                }
                if !wakers.can_push() {
                    more |= w.waker.is_some();
                } else if let Some(waker) = w.waker.take() {
                    wakers.push(waker);
                }
            });
            more && state.marked == 0
        });
        drop(state);
    }

    /// Joins the filling round (rules 1 and 5): returns the index, and whether this
    /// arrival tripped the round (then `end_round` has run and the lock is released).
    fn join<'a>(
        &'a self,
        mut state: crate::loom::MutexGuard<'a, State>,
    ) -> (usize, Option<crate::loom::MutexGuard<'a, State>>) {
        let index = state.count;
        state.count += 1;
        if state.count == self.parties {
            let mut wakers = WakeList::new();
            self.end_round(state, Outcome::Passed, &mut wakers);
            // Exactly one leader per round: that result must reach its caller, so a
            // waiter's panicking waker does not unwind through here (it was reported
            // by the panic hook; see the `wake_list` module).
            wakers.wake_all_discarding_panic();
            return (index, None);
        }
        (index, Some(state))
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("waiting", &state.count)
            .field("broken", &state.broken)
            .finish()
    }
}

/// What [`Barrier::wait`] tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
    index: usize,
}

impl BarrierWaitResult {
    /// Whether this caller's arrival completed the round (exactly one per round).
    pub fn is_leader(&self) -> bool {
        self.leader
    }

    /// The arrival index in the round (asyncio's return value of `wait()`): 0 for
    /// the first arrival, `parties - 1` for the leader (rule 5).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::Barrier;
    /// use futures::future::join_all;
    ///
    /// futures::executor::block_on(async {
    ///     let barrier = Barrier::new(3);
    ///     let results = join_all((0..3).map(|_| barrier.wait())).await;
    ///     let mut indices: Vec<_> = results.iter().map(|r| r.unwrap().index()).collect();
    ///     indices.sort();
    ///     assert_eq!(indices, [0, 1, 2]);
    /// });
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }
}

/// Future of [`Barrier::wait`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<WaitKey>,
}

impl<'a> BarrierWait<'a> {
    /// An arrival (first poll, or a blocked waiter's poll after the drain, rule 4):
    /// fails on a broken barrier, queues blocked while a finished round drains,
    /// otherwise joins the filling round (rules 1 and 5) and either leads (the round
    /// tripped) or waits in it.
    fn arrive(
        &mut self,
        mut state: crate::loom::MutexGuard<'a, State>,
        waker: &Waker,
    ) -> Poll<<Self as Future>::Output> {
        if state.broken {
            return Poll::Ready(Err(BrokenBarrierError(())));
        }
        if state.marked > 0 {
            // Rule 4: the last round is still draining.
            self.key = Some(state.waiters.push_back(Waiter {
                waker: Some(waker.clone()),
                outcome: None,
                joined: false,
                index: 0,
            }));
            return Poll::Pending;
        }
        let (index, state) = self.barrier.join(state);
        let Some(mut state) = state else {
            return Poll::Ready(Ok(BarrierWaitResult {
                leader: true,
                index,
            }));
        };
        self.key = Some(state.waiters.push_back(Waiter {
            waker: Some(waker.clone()),
            outcome: None,
            joined: true,
            index,
        }));
        Poll::Pending
    }
}

impl Future for BarrierWait<'_> {
    type Output = Result<BarrierWaitResult, BrokenBarrierError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let barrier = this.barrier;
        let mut state = barrier.state.lock();
        let Some(key) = this.key else {
            return this.arrive(state, cx.waker());
        };
        let draining = state.marked > 0;
        let w = state
            .waiters
            .get_mut(key)
            .expect("a barrier waiter's entry leaves only through its future");
        match w.outcome {
            None if !w.joined && !draining => {
                // Rule 4: woken after the drain; arrive again, now joining the
                // filling round (`marked` is 0, so it is not blocked twice).
                state.waiters.remove(key);
                this.key = None;
                this.arrive(state, cx.waker())
            }
            None => {
                match &mut w.waker {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Some(outcome) => {
                let index = w.index;
                state.waiters.remove(key);
                this.key = None;
                state.marked -= 1;
                let mut wakers = WakeList::new();
                if state.marked == 0 {
                    barrier.wake_blocked(state, &mut wakers);
                } else {
                    drop(state);
                }
                // This caller's outcome must reach it (see `join`).
                wakers.wake_all_discarding_panic();
                Poll::Ready(match outcome {
                    Outcome::Passed => Ok(BarrierWaitResult {
                        leader: false,
                        index,
                    }),
                    Outcome::Broken => Err(BrokenBarrierError(())),
                })
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut state = self.barrier.state.lock();
            if let Some(w) = state.waiters.remove(key) {
                match w.outcome {
                    None if w.joined => state.count -= 1, // rule 3
                    None => {}                            // blocked: never counted
                    Some(_) => {
                        state.marked -= 1;
                        if state.marked == 0 {
                            let mut wakers = WakeList::new();
                            self.barrier.wake_blocked(state, &mut wakers);
                            wakers.wake_all();
                        }
                    }
                }
            }
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

//! [`scope`]: a task group whose children may borrow from the caller's stack (trio's
//! nursery, `std::thread::scope` for futures).
//!
//! # Why borrowing is sound here
//! The children are not spawned onto the runtime: they are sub-futures, owned by the
//! [`ScopeFuture`] and polled inline, inside its own `poll`, on whichever task awaits
//! it. A child therefore can never outlive the scope future, and the scope future cannot
//! outlive `'env` (its type says so), so a child may hold `&'env` borrows — checked by
//! the compiler, no `unsafe` involved. The cost: the children share one task, so they
//! run concurrently but never in parallel; spawn `'static` work with
//! [`TaskGroup`](crate::TaskGroup) to use several threads.
//!
//! # Rules
//! 1. The scope completes when its body and every child have completed.
//! 2. Children are polled only when woken (a `FuturesUnordered` inside); newly spawned
//!    children are picked up in the same `poll` that spawned them.
//! 3. Every child that fails (returns `Err` or panics) in the round of polling in which
//!    the first failure happens is reported; then the body and all other children are
//!    dropped (cancelled) and the scope returns all failures. A body that returns `Err`
//!    is a failure too: its children are dropped and the error reported with theirs.
//! 4. A panic in the body is not caught: it unwinds through the scope future, which
//!    drops every child on the way (no orphans).
//! 5. Once the scope has completed or been dropped, `Scope::spawn` drops the future it
//!    is given without running it.
//! 6. [`scope`]'s children are `Send` (checked by [`Scope::spawn`]'s bound), so its
//!    future is `Send`; [`local_scope`]'s may be `!Send` and its future is `!Send`. Both
//!    share one implementation whose queue holds `dyn Future` without a `Send` bound;
//!    the `Send` impls for the `scope` types rest on that bound (see `SendKind`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use corio_core::{JoinError, TaskId};
use futures::future::{CatchUnwind, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::group_error::{ChildFailure, TaskGroupError};
use crate::indexed::Indexed;

// Rule 6: no `Send` bound here; `Scope::spawn` only accepts `Send` children.
type ChildFuture<'env, E> = Pin<Box<dyn Future<Output = Result<(), E>> + 'env>>;

/// [`scope`]'s kind: `Send` children (rule 6).
#[derive(Debug)]
pub struct SendKind(());
/// [`local_scope`]'s kind: children may be `!Send` (rule 6).
#[derive(Debug)]
pub struct LocalKind(PhantomData<*const ()>);

/// How many rounds (children spawning children that finish at once) one `poll` may run
/// before yielding to the executor.
const MAX_ROUNDS: usize = 32;

/// Runs `body` with a [`Scope`] handle through which it spawns children; completes when
/// the body and every child have finished. Children may borrow from the caller's stack.
/// The first failure — a child returning `Err` or panicking, or the body returning
/// `Err` — cancels the body and the other children, and every failure comes back
/// together in a [`TaskGroupError`]; otherwise the body's `Ok` output is returned.
///
/// Children run concurrently inside the scope future, on the task that awaits it (see
/// the module docs for why that makes borrowing sound); they return `Result<(), E>` and
/// hand results back through what they borrow.
///
/// # Examples
///
/// ```
/// use corio_combinators::scope;
/// use std::sync::Mutex;
///
/// futures::executor::block_on(async {
///     let words = vec!["alpha", "beta", "gamma"];
///     let total = Mutex::new(0);
///     let (words_ref, total_ref) = (&words, &total);
///     let body_out = scope(|s| async move {
///         for w in words_ref {
///             s.spawn(async move {
///                 *total_ref.lock().unwrap() += w.len();
///                 Ok::<(), String>(())
///             });
///         }
///         Ok("body done")
///     })
///     .await
///     .unwrap();
///     assert_eq!(body_out, "body done");
///     assert_eq!(*total.lock().unwrap(), 14);
/// });
/// ```
///
/// # Errors
/// A [`TaskGroupError`] with every failure of the round in which the first one happened
/// (a body `Err` is a [`ChildFailure::Body`]).
///
/// # Panics
/// A panic in the body propagates to the caller (after the children are dropped).
///
/// # Cancel safety
/// Dropping the scope future drops the body and every child.
pub fn scope<'env, R, E, F, Fut>(body: F) -> ScopeFuture<'env, E, Fut>
where
    F: FnOnce(Scope<'env, E>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let queue = new_queue();
    let body = Box::pin(body(Scope {
        queue: queue.clone(),
    }));
    ScopeFuture::new(body, queue)
}

/// [`scope`] for `!Send` children (sharing `Rc<RefCell<…>>` state, say): the same rules,
/// and a `!Send` future, to await on a local task or in `corio::run`'s main future.
///
/// # Examples
///
/// ```
/// use corio_combinators::local_scope;
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// futures::executor::block_on(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     local_scope(|s| async move {
///         for i in 0..3 {
///             let log = log.clone();
///             s.spawn(async move {
///                 log.borrow_mut().push(i);
///                 Ok::<(), ()>(())
///             });
///         }
///         Ok(())
///     })
///     .await
///     .unwrap();
/// });
/// ```
///
/// # Errors
/// As [`scope`].
pub fn local_scope<'env, R, E, F, Fut>(body: F) -> ScopeFuture<'env, E, Fut, LocalKind>
where
    F: FnOnce(LocalScope<'env, E>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let queue = new_queue();
    let body = Box::pin(body(LocalScope {
        queue: queue.clone(),
        _not_send: PhantomData,
    }));
    ScopeFuture::new(body, queue)
}

fn new_queue<'env, E>() -> Arc<Mutex<Queue<'env, E>>> {
    Arc::new(Mutex::new(Queue {
        spawned: Vec::new(),
        next_index: 0,
        closed: false,
        polling: false,
        waker: None,
    }))
}

/// The handle a [`scope`] body uses to spawn children. Cheap to clone; children may
/// take a clone to spawn siblings.
pub struct Scope<'env, E> {
    queue: Arc<Mutex<Queue<'env, E>>>,
}

// SAFETY: rule 6: every future in the queue came through `Scope::spawn`, which requires
// `Send`; errors are `E: Send`. So the queue's contents may move between threads, and
// the `Mutex` serialises access to them.
unsafe impl<E: Send> Send for Scope<'_, E> {}
// SAFETY: as above; `&Scope` only locks the mutex.
unsafe impl<E: Send> Sync for Scope<'_, E> {}

/// The handle a [`local_scope`] body uses to spawn `!Send` children.
pub struct LocalScope<'env, E> {
    queue: Arc<Mutex<Queue<'env, E>>>,
    _not_send: PhantomData<*const ()>,
}

impl<'env, E> LocalScope<'env, E> {
    /// Spawns `child` (which may be `!Send`) into the scope (see [`Scope::spawn`]).
    pub fn spawn<F>(&self, child: F)
    where
        F: Future<Output = Result<(), E>> + 'env,
    {
        push_child(&self.queue, Box::pin(child));
    }
}

impl<E> Clone for LocalScope<'_, E> {
    fn clone(&self) -> Self {
        LocalScope {
            queue: self.queue.clone(),
            _not_send: PhantomData,
        }
    }
}

impl<E> fmt::Debug for LocalScope<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = lock(&self.queue);
        f.debug_struct("LocalScope")
            .field("spawned", &q.next_index)
            .field("closed", &q.closed)
            .finish()
    }
}

/// Queues a child (rule 5: dropped unrun once the scope is closed).
fn push_child<'env, E>(queue: &Mutex<Queue<'env, E>>, child: ChildFuture<'env, E>) {
    let mut q = lock(queue);
    if q.closed {
        drop(q);
        drop(child);
        return;
    }
    let index = q.next_index;
    q.next_index += 1;
    q.spawned.push((index, child));
    let waker = if q.polling { None } else { q.waker.clone() };
    drop(q);
    if let Some(w) = waker {
        w.wake();
    }
}

struct Queue<'env, E> {
    /// Spawned and not yet picked up by the scope future.
    spawned: Vec<(usize, ChildFuture<'env, E>)>,
    next_index: usize,
    /// Rule 5.
    closed: bool,
    /// Set while the scope future is inside `poll` (a spawn then needs no wake-up).
    polling: bool,
    waker: Option<Waker>,
}

fn lock<'a, 'env, E>(q: &'a Mutex<Queue<'env, E>>) -> MutexGuard<'a, Queue<'env, E>> {
    q.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'env, E> Scope<'env, E> {
    /// Spawns `child` into the scope. It starts running in the scope's current or next
    /// poll. After the scope has finished, `child` is dropped without running (rule 5).
    pub fn spawn<F>(&self, child: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'env,
    {
        push_child(&self.queue, Box::pin(child));
    }
}

impl<E> Clone for Scope<'_, E> {
    fn clone(&self) -> Self {
        Scope {
            queue: self.queue.clone(),
        }
    }
}

impl<E> fmt::Debug for Scope<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = lock(&self.queue);
        f.debug_struct("Scope")
            .field("spawned", &q.next_index)
            .field("closed", &q.closed)
            .finish()
    }
}

/// The future returned by [`scope`] (and, with `K = LocalKind`, by [`local_scope`]).
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ScopeFuture<'env, E, Fut: Future, K = SendKind> {
    body: Option<Pin<Box<Fut>>>,
    output: Option<Fut::Output>,
    children: FuturesUnordered<Indexed<CatchUnwind<AssertUnwindSafe<ChildFuture<'env, E>>>>>,
    queue: Arc<Mutex<Queue<'env, E>>>,
    done: bool,
    _kind: PhantomData<K>,
}

// SAFETY: rule 6: with `SendKind`, every child came through `Scope::spawn` (`Send`), the
// body and its output are `Send`, and errors are `E: Send`.
unsafe impl<E: Send, Fut> Send for ScopeFuture<'_, E, Fut, SendKind>
where
    Fut: Future + Send,
    Fut::Output: Send,
{
}

// The body is boxed, the children live in a `FuturesUnordered` and the output is never
// pinned, so moving this struct moves no pinned data.
impl<E, Fut: Future, K> Unpin for ScopeFuture<'_, E, Fut, K> {}

impl<'env, E, Fut: Future, K> ScopeFuture<'env, E, Fut, K> {
    fn new(body: Pin<Box<Fut>>, queue: Arc<Mutex<Queue<'env, E>>>) -> Self {
        ScopeFuture {
            body: Some(body),
            output: None,
            children: FuturesUnordered::new(),
            queue,
            done: false,
            _kind: PhantomData,
        }
    }

    /// Moves newly spawned children into the polled set; returns whether there were any.
    fn adopt_spawned(&mut self) -> bool {
        let spawned = std::mem::take(&mut lock(&self.queue).spawned);
        let any = !spawned.is_empty();
        for (index, child) in spawned {
            self.children
                .push(Indexed::new(index, AssertUnwindSafe(child).catch_unwind()));
        }
        any
    }

    /// Rule 5: no more spawns; drops what was spawned but not adopted (outside the lock).
    fn close(&mut self) {
        let leftover = {
            let mut q = lock(&self.queue);
            q.closed = true;
            q.polling = false;
            q.waker = None;
            std::mem::take(&mut q.spawned)
        };
        drop(leftover);
    }
}

impl<'env, R, E, Fut, K> Future for ScopeFuture<'env, E, Fut, K>
where
    Fut: Future<Output = Result<R, E>>,
{
    type Output = Result<R, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "`ScopeFuture` polled after it completed");
        {
            let mut q = lock(&this.queue);
            q.polling = true;
            match &q.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => q.waker = Some(cx.waker().clone()),
            }
        }
        let mut failures = Vec::new();
        if let Some(body) = this.body.as_mut() {
            if let Poll::Ready(out) = body.as_mut().poll(cx) {
                this.body = None;
                match out {
                    Ok(v) => this.output = Some(Ok(v)),
                    // Rule 3: a body error cancels the children.
                    Err(error) => failures.push(ChildFailure::Body { error }),
                }
            }
        }
        let mut rounds = 0;
        loop {
            if !failures.is_empty() {
                break;
            }
            this.adopt_spawned();
            while let Poll::Ready(Some((index, outcome))) = this.children.poll_next_unpin(cx) {
                match outcome {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => failures.push(ChildFailure::Error { index, error }),
                    Err(panic) => failures.push(ChildFailure::Join {
                        index,
                        error: JoinError::panic(TaskId::next(), panic),
                    }),
                }
            }
            if !failures.is_empty() {
                // Rule 3: cancel everything else.
                this.done = true;
                this.close();
                this.children.clear();
                this.body = None;
                this.output = None;
                return Poll::Ready(Err(TaskGroupError::new(failures)));
            }
            rounds += 1;
            if lock(&this.queue).spawned.is_empty() {
                break;
            }
            if rounds == MAX_ROUNDS {
                cx.waker().wake_by_ref();
                break;
            }
        }
        if !failures.is_empty() {
            // Rule 3: the body failed; cancel the children.
            this.done = true;
            this.close();
            this.children.clear();
            this.output = None;
            return Poll::Ready(Err(TaskGroupError::new(failures)));
        }
        if this.body.is_none() && this.children.is_empty() && lock(&this.queue).spawned.is_empty() {
            this.done = true;
            this.close();
            let out = match this.output.take() {
                Some(Ok(v)) => v,
                _ => unreachable!("the body finished without an error"),
            };
            return Poll::Ready(Ok(out));
        }
        let mut q = lock(&this.queue);
        q.polling = false;
        // A spawn from another thread during this poll did not wake us (we were polling).
        if !q.spawned.is_empty() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl<E, Fut: Future, K> Drop for ScopeFuture<'_, E, Fut, K> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<E, Fut: Future, K> fmt::Debug for ScopeFuture<'_, E, Fut, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeFuture")
            .field("body_running", &self.body.is_some())
            .field("children_running", &self.children.len())
            .finish()
    }
}

//! [`CancelScope`]: a deadline for a block of code that can be read and moved while the
//! block runs, cancelled by hand, and shielded (asyncio's `asyncio.timeout()` context with
//! `when()`/`reschedule()`/`expired()`; trio's `CancelScope`, `move_on_after`,
//! `fail_after`).
//!
//! A scope runs a body future. When its deadline passes (or [`CancelScope::cancel`] is
//! called) it drops the body — Rust's cancellation: every destructor in it runs — and
//! reports: `Err(Elapsed)` from [`fail`](CancelScope::fail) / [`fail_after`] /
//! `timeout_scope`, `None` from [`move_on`](CancelScope::move_on) / [`move_on_after`].
//!
//! # Rules
//! 1. **The body's first poll always happens**, even with a deadline already past (as
//!    asyncio's `timeout_at` of a past instant lets the block start); the deadline is
//!    looked at after it.
//! 2. **On later polls the deadline is looked at before the body.** So when several nested
//!    scopes expire at the same instant, the outermost sees it first, drops its body (the
//!    inner scopes with it: they see cancellation) and reports the timeout — asyncio's and
//!    trio's rule. An inner scope whose deadline alone passed reports it itself.
//! 3. **A shielded scope** ([`CancelScope::shielded`]) protects its body from every
//!    enclosing scope: an enclosing scope whose deadline passes while a shielded scope runs
//!    inside it waits for that shielded scope to end, then cancels. The shielded scope's own
//!    deadline, and its own [`CancelScope::cancel`], still apply to it. The task's own
//!    cooperative cancel (`JoinHandle::cancel`) is not a scope: a scope's shield does not
//!    hold it back (this crate does not know the executor); `corio::task::shielded` does,
//!    so wrap the body in both to guard it against both (trio's shield covers both).
//! 4. **Moving the deadline** ([`CancelScope::reschedule`]) takes effect at once: the
//!    scope is woken and re-arms its timer; a deadline in the past fires at once; `None`
//!    (or a `Duration::MAX` timeout) means never.
//! 5. A scope polled outside a corio runtime works while it has no finite deadline; arming
//!    a finite one there panics with a message naming the function.
//!
//! # Implementation
//! While a scope polls its body it is on a thread-local stack; a shielded scope, on its
//! first poll, counts itself in every scope on that stack (each holds its shared state in
//! an `Arc`, so the counts stay valid however long the shielded scope lives). The deadline
//! is armed lazily: a body that finishes in its first poll never touches the timer.

use std::cell::Cell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use corio_core::context;
use corio_core::task::BoxFuture;
use corio_core::Elapsed;
use parking_lot::Mutex;

/// A handle on a cancel scope: read and move its deadline, cancel it, shield it. Clone it
/// into the body to move the deadline from inside.
///
/// | asyncio / trio | corio |
/// |---|---|
/// | `async with asyncio.timeout(d) as cm:` | `let cm = CancelScope::after(d); cm.fail(body).await` |
/// | `cm.when()` / `cm.reschedule(t)` / `cm.expired()` | [`when`](Self::when) / [`reschedule`](Self::reschedule) / [`expired`](Self::expired) |
/// | trio `move_on_after(d)` / `fail_after(d)` | [`move_on_after`] / [`fail_after`] |
/// | trio `CancelScope(shield=True)` | [`CancelScope::shielded`] |
/// | trio `scope.cancel()` | [`cancel`](Self::cancel) |
///
/// # Examples
///
/// Extending a deadline while the work makes progress (a watchdog):
///
/// ```
/// use corio_combinators::CancelScope;
/// use std::time::Duration;
///
/// # let rt = corio::Runtime::builder().current_thread().start_paused(true).build().unwrap();
/// # rt.block_on(async {
/// let scope = CancelScope::after(Duration::from_secs(1));
/// let watchdog = scope.clone();
/// let r = scope
///     .fail(async move {
///         for _ in 0..5 {
///             corio::sleep(Duration::from_millis(800)).await;
///             // Still making progress: one more second from now.
///             let next = corio::time::Instant::now() + Duration::from_secs(1);
///             watchdog.reschedule(Some(next.into_std()));
///         }
///         "done"
///     })
///     .await;
/// assert_eq!(r, Ok("done"));
/// assert!(!scope.expired());
/// # });
/// ```
#[derive(Clone)]
pub struct CancelScope {
    shared: Arc<Shared>,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Rule 3: shielded scopes running inside this one.
    shields_below: AtomicUsize,
    shielded: AtomicBool,
}

struct Inner {
    deadline: When,
    /// Bumped by every `reschedule`/`cancel`, so the running scope re-arms.
    generation: u64,
    cancel_called: bool,
    expired: bool,
    /// The running scope's waker, for `reschedule`/`cancel` from elsewhere.
    waker: Option<Waker>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum When {
    /// `Duration` after the first poll.
    After(Duration),
    At(Instant),
    Never,
}

impl Shared {
    fn new(deadline: When) -> Arc<Shared> {
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                deadline,
                generation: 0,
                cancel_called: false,
                expired: false,
                waker: None,
            }),
            shields_below: AtomicUsize::new(0),
            shielded: AtomicBool::new(false),
        })
    }

    fn touch(&self, f: impl FnOnce(&mut Inner)) {
        let waker = {
            let mut inner = self.inner.lock();
            f(&mut inner);
            inner.generation += 1;
            inner.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

fn after(d: Duration) -> When {
    if d == Duration::MAX {
        When::Never
    } else {
        When::After(d)
    }
}

impl CancelScope {
    /// A scope with no deadline (cancel it with [`cancel`](Self::cancel), or give it one
    /// with [`reschedule`](Self::reschedule)).
    pub fn new() -> CancelScope {
        CancelScope {
            shared: Shared::new(When::Never),
        }
    }

    /// A scope whose deadline is `timeout` after its body is first polled
    /// (`Duration::MAX`: never).
    pub fn after(timeout: Duration) -> CancelScope {
        CancelScope {
            shared: Shared::new(after(timeout)),
        }
    }

    /// A scope with an absolute deadline on the runtime's clock.
    pub fn at(deadline: Instant) -> CancelScope {
        CancelScope {
            shared: Shared::new(When::At(deadline)),
        }
    }

    /// Makes the scope shielded (rule 3): enclosing scopes cannot cancel its body.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_combinators::{fail_after, CancelScope};
    /// use std::time::Duration;
    ///
    /// # let rt = corio::Runtime::builder().current_thread().start_paused(true).build().unwrap();
    /// # rt.block_on(async {
    /// let start = corio::time::Instant::now();
    /// let r = fail_after(Duration::from_secs(1), async {
    ///     // A cleanup that must finish even though the outer deadline passes meanwhile.
    ///     CancelScope::new()
    ///         .shielded()
    ///         .move_on(corio::sleep(Duration::from_secs(3)))
    ///         .await;
    ///     corio::sleep(Duration::from_secs(1)).await; // the outer scope cancels here
    ///     "unreachable"
    /// })
    /// .await;
    /// assert!(r.is_err());
    /// assert_eq!(start.elapsed(), Duration::from_secs(3)); // virtual clock
    /// # });
    /// ```
    pub fn shielded(self) -> CancelScope {
        self.shared.shielded.store(true, Ordering::Relaxed);
        self
    }

    /// Whether the scope is shielded.
    pub fn is_shielded(&self) -> bool {
        self.shared.shielded.load(Ordering::Relaxed)
    }

    /// The deadline (asyncio's `when()`): `None` for no deadline, or for a relative one
    /// whose body has not started yet.
    pub fn when(&self) -> Option<Instant> {
        match self.shared.inner.lock().deadline {
            When::At(t) => Some(t),
            When::After(_) | When::Never => None,
        }
    }

    /// Moves the deadline (asyncio's `reschedule()`): `None` removes it, an instant in the
    /// past fires at once. Works before the body starts and while it runs; after the
    /// scope finished it changes nothing.
    pub fn reschedule(&self, deadline: Option<Instant>) {
        self.shared.touch(|i| {
            i.deadline = deadline.map_or(When::Never, When::At);
        });
    }

    /// Cancels the scope now (trio's `cancel()`): its body is dropped at the scope's next
    /// poll (at once if it runs) and the scope reports as if its deadline had passed.
    pub fn cancel(&self) {
        self.shared.touch(|i| i.cancel_called = true);
    }

    /// Whether the scope's deadline passed and it cancelled its body (asyncio's
    /// `expired()`).
    pub fn expired(&self) -> bool {
        self.shared.inner.lock().expired
    }

    /// Runs `body` in the scope; `Err(Elapsed)` if the scope cancelled it (trio's
    /// `fail_after` shape, asyncio's `timeout`).
    ///
    /// # Panics
    /// If arming a finite deadline finds no corio runtime with a timer.
    pub fn fail<F: IntoFuture>(&self, body: F) -> Deadline<F::IntoFuture> {
        Deadline {
            core: Core::with_handle(self.shared.clone(), body.into_future(), "CancelScope::fail"),
        }
    }

    /// Runs `body` in the scope; `None` if the scope cancelled it (trio's `move_on_after`
    /// shape).
    ///
    /// # Panics
    /// If arming a finite deadline finds no corio runtime with a timer.
    pub fn move_on<F: IntoFuture>(&self, body: F) -> MoveOn<F::IntoFuture> {
        MoveOn {
            core: Core::with_handle(
                self.shared.clone(),
                body.into_future(),
                "CancelScope::move_on",
            ),
        }
    }
}

impl Default for CancelScope {
    fn default() -> Self {
        CancelScope::new()
    }
}

impl fmt::Debug for CancelScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.shared.inner.lock();
        f.debug_struct("CancelScope")
            .field("deadline", &inner.deadline)
            .field("cancel_called", &inner.cancel_called)
            .field("expired", &inner.expired)
            .field("shielded", &self.is_shielded())
            .finish()
    }
}

/// Runs `body` with a deadline `timeout` after it is first polled; `None` if the deadline
/// passed first (the body is dropped). trio's `move_on_after`.
///
/// # Examples
///
/// ```
/// use corio_combinators::move_on_after;
/// use std::time::Duration;
///
/// # let rt = corio::Runtime::builder().current_thread().start_paused(true).build().unwrap();
/// # rt.block_on(async {
/// let slow = move_on_after(Duration::from_secs(1), corio::sleep(Duration::from_secs(5)));
/// assert_eq!(slow.await, None);
/// assert_eq!(move_on_after(Duration::from_secs(1), async { 3 }).await, Some(3));
/// # });
/// ```
///
/// # Panics
/// When the body is pending after its first poll, the deadline is finite and no corio
/// runtime with a timer runs.
pub fn move_on_after<F: IntoFuture>(timeout: Duration, body: F) -> MoveOn<F::IntoFuture> {
    MoveOn {
        core: Core::alone(after(timeout), body.into_future(), "corio::move_on_after"),
    }
}

/// [`move_on_after`] with an absolute deadline (trio's `move_on_at`).
pub fn move_on_at<F: IntoFuture>(deadline: Instant, body: F) -> MoveOn<F::IntoFuture> {
    MoveOn {
        core: Core::alone(When::At(deadline), body.into_future(), "corio::move_on_at"),
    }
}

/// Runs `body` with a deadline `timeout` after it is first polled; `Err(Elapsed)` if the
/// deadline passed first (the body is dropped). trio's `fail_after`; the same as
/// [`timeout_scope`](crate::timeout_scope).
///
/// # Errors
/// `Err(Elapsed)` when the deadline passes first.
///
/// # Panics
/// When the body is pending after its first poll, the deadline is finite and no corio
/// runtime with a timer runs.
pub fn fail_after<F: IntoFuture>(timeout: Duration, body: F) -> Deadline<F::IntoFuture> {
    Deadline {
        core: Core::alone(after(timeout), body.into_future(), "corio::fail_after"),
    }
}

/// [`fail_after`] with an absolute deadline (trio's `fail_at`).
///
/// # Errors
/// `Err(Elapsed)` when the deadline passes first.
pub fn fail_at<F: IntoFuture>(deadline: Instant, body: F) -> Deadline<F::IntoFuture> {
    Deadline {
        core: Core::alone(When::At(deadline), body.into_future(), "corio::fail_at"),
    }
}

pub(crate) fn deadline_after<F: Future>(
    d: Duration,
    body: F,
    function: &'static str,
) -> Deadline<F> {
    Deadline {
        core: Core::alone(after(d), body, function),
    }
}

pub(crate) fn deadline_at<F: Future>(t: Instant, body: F, function: &'static str) -> Deadline<F> {
    Deadline {
        core: Core::alone(When::At(t), body, function),
    }
}

thread_local! {
    /// Rule 3: the innermost scope whose body is being polled on this thread, or null.
    /// Each [`Frame`] links to the one around it, so the list is the stack of scopes in
    /// their body's poll, innermost first. Pushing and popping are two `Cell` accesses.
    static STACK: Cell<*const Frame> = const { Cell::new(ptr::null()) };
}

/// One scope on [`STACK`]: a local of the scope's poll, alive (and unmoved, being
/// borrowed by its [`FrameGuard`]) while the body is polled.
struct Frame {
    /// The `shared` cell of the scope's `State`, inside its pinned `Core`.
    shared: *const OnceLock<Arc<Shared>>,
    /// The frame around this one (the previous top).
    prev: *const Frame,
}

/// Pops the scope's frame when its body poll ends, even by a panic.
struct FrameGuard<'a>(&'a Frame);

impl Frame {
    #[inline]
    fn new(shared: &OnceLock<Arc<Shared>>) -> Frame {
        Frame {
            shared,
            prev: STACK.with(Cell::get),
        }
    }

    #[inline]
    fn push(&self) -> FrameGuard<'_> {
        STACK.with(|s| s.set(self));
        FrameGuard(self)
    }
}

impl Drop for FrameGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        STACK.with(|s| s.set(self.0.prev));
    }
}

/// The enclosing scopes of a shielded scope (rule 3), counted while it runs. A scope
/// without a handle gets its shared state here, the first time a shielded scope inside
/// it needs one.
fn shield_ancestors() -> Vec<Arc<Shared>> {
    let mut out = Vec::new();
    let mut p = STACK.with(Cell::get);
    while !p.is_null() {
        // SAFETY: every frame on the stack is a local of a scope poll that is on this
        // thread's call stack right now, borrowed by its guard (so unmoved) until that
        // guard pops it; the frames it links to are older ones, popped later.
        let frame = unsafe { &*p };
        // `frame.shared` is the `shared` cell of that scope's `State`, inside its pinned
        // `Core`; that poll does not touch the cell while its body runs.
        // SAFETY: so the cell is live and unmoved, and it is only used through shared
        // references (`OnceLock`).
        let cell = unsafe { &*frame.shared };
        let a = cell.get_or_init(|| Shared::new(When::Never)).clone();
        a.shields_below.fetch_add(1, Ordering::AcqRel);
        out.push(a);
        p = frame.prev;
    }
    out
}

/// The machinery shared by [`Deadline`] and [`MoveOn`].
struct Core<F> {
    body: Option<F>,
    /// Dropped by `Core`'s `Drop` unless `State::empty` says there is nothing to drop.
    st: ManuallyDrop<State>,
}

impl<F> Drop for Core<F> {
    #[inline]
    fn drop(&mut self) {
        // The body first, as before `st` was `ManuallyDrop` (an assignment drops the old
        // value in place: the pinned body is not moved).
        self.body = None;
        if !self.st.empty {
            // SAFETY: `st` is dropped here only, once, and not used after.
            unsafe { ManuallyDrop::drop(&mut self.st) };
        }
    }
}

/// Everything of a [`Core`] but the (pinned) body.
struct State {
    /// The shared state. A scope made from a [`CancelScope`] handle has it from the start
    /// and reads its deadline there; a scope without a handle (`move_on_after`,
    /// `fail_after`, ...) keeps its deadline in `when` and gets a shared state only when a
    /// shielded scope inside it must be counted (rule 3), so the common case allocates
    /// nothing. Only shared references reach it while the body is polled (`Frame`).
    shared: OnceLock<Arc<Shared>>,
    /// A `CancelScope` handle exists: the deadline lives in `shared`, keep a waker for
    /// `reschedule`/`cancel`.
    handle: bool,
    /// The deadline of a scope without a handle.
    when: When,
    sleep: Option<BoxFuture<()>>,
    armed_generation: u64,
    /// The deadline passed or `cancel` was called (sticky).
    fired: bool,
    first: bool,
    ancestors: Vec<Arc<Shared>>,
    function: &'static str,
    /// Nothing in it needs dropping (no shared state, no timer, no ancestors): set by
    /// the ready-at-first-poll path of a scope without a handle, so dropping it is a test.
    empty: bool,
}

impl<F: Future> Core<F> {
    /// A scope run through a [`CancelScope`] handle.
    fn with_handle(shared: Arc<Shared>, body: F, function: &'static str) -> Self {
        Self::new(OnceLock::from(shared), true, When::Never, body, function)
    }

    /// A scope with no handle (`move_on_after`, `fail_after`, ...).
    fn alone(when: When, body: F, function: &'static str) -> Self {
        Self::new(OnceLock::new(), false, when, body, function)
    }

    fn new(
        shared: OnceLock<Arc<Shared>>,
        handle: bool,
        when: When,
        body: F,
        function: &'static str,
    ) -> Self {
        Core {
            body: Some(body),
            st: ManuallyDrop::new(State {
                shared,
                handle,
                when,
                sleep: None,
                armed_generation: u64::MAX,
                fired: false,
                first: true,
                ancestors: Vec::new(),
                function,
                empty: false,
            }),
        }
    }

    /// `Ready(Some(v))`: the body finished; `Ready(None)`: the scope cancelled it.
    ///
    /// Inlined into the caller: the first poll of a scope without a handle (the common
    /// `move_on_after(d, body)` whose body is ready at once) is a frame push, the body's
    /// poll and a frame pop; everything else is in [`poll_slow`](Self::poll_slow).
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        if !self.st.first || self.st.handle {
            return self.poll_slow(cx);
        }
        // SAFETY: as in `poll_slow`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see `poll_slow`.
        let mut body = unsafe { Pin::new_unchecked(&mut this.body) };
        let st = &mut this.st;
        let Some(fut) = body.as_mut().as_pin_mut() else {
            panic!("a cancel scope polled after it completed");
        };
        st.first = false;
        let res = {
            let frame = Frame::new(&st.shared);
            let _guard = frame.push();
            fut.poll(cx)
        };
        match res {
            Poll::Ready(v) => {
                // No handle, first poll: no timer armed, no ancestors counted (only a
                // shielded scope, which has a handle, counts them), nothing to finish.
                body.set(None);
                st.empty = st.shared.get().is_none();
                Poll::Ready(Some(v))
            }
            Poll::Pending => st.after_body_pending(body, cx),
        }
    }

    #[inline(never)]
    fn poll_slow(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        // `body` is structurally pinned (never moved out; only dropped in place through
        // `Pin::set`); `st` is unpinned data (see `Frame`: it stays put while its frame is
        // on the stack, being inside this pinned `Core`).
        // SAFETY: as above, and `Core`'s `Drop` impl drops `body` in place (an
        // assignment), so nothing moves it.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let mut body = unsafe { Pin::new_unchecked(&mut this.body) };
        let st = &mut this.st;
        assert!(body.is_some(), "a cancel scope polled after it completed");
        if st.first {
            st.first = false;
            if st.handle && st.handle_shared().shielded.load(Ordering::Relaxed) {
                st.ancestors = shield_ancestors();
            }
        } else {
            // Rule 2: the deadline before the body.
            st.check(cx);
            if st.try_cancel(body.as_mut()) {
                return Poll::Ready(None);
            }
        }
        let res = {
            let frame = Frame::new(&st.shared);
            let _guard = frame.push();
            body.as_mut().as_pin_mut().expect("checked above").poll(cx)
        };
        if let Poll::Ready(v) = res {
            body.set(None);
            st.finish(false);
            return Poll::Ready(Some(v));
        }
        st.after_body_pending(body, cx)
    }
}

impl State {
    /// After a poll of the body returned `Pending`: rule 1 (first poll: arm, a past
    /// deadline fires now) and rule 3 (a shield inside may just have ended).
    fn after_body_pending<F, T>(
        &mut self,
        mut body: Pin<&mut Option<F>>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<T>> {
        self.check(cx);
        if self.try_cancel(body.as_mut()) {
            return Poll::Ready(None);
        }
        Poll::Pending
    }

    /// The shared state of a scope with a handle (always set for those).
    fn handle_shared(&self) -> &Arc<Shared> {
        self.shared
            .get()
            .expect("a scope with a handle has its shared state")
    }

    /// Re-reads the deadline if it moved (or on the first poll) and (re-)arms the timer;
    /// then polls it. Sets `fired` when it passed or the scope was cancelled.
    fn check(&mut self, cx: &mut Context<'_>) {
        if self.fired {
            return;
        }
        if self.handle {
            let shared = self
                .shared
                .get()
                .expect("a scope with a handle has its shared state");
            let mut inner = shared.inner.lock();
            if inner.cancel_called {
                self.fired = true;
                return;
            }
            if inner.generation != self.armed_generation {
                self.armed_generation = inner.generation;
                inner.deadline = fix(inner.deadline);
                self.sleep = arm(inner.deadline, self.function);
            }
            match &inner.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => inner.waker = Some(cx.waker().clone()),
            }
        } else if self.armed_generation == u64::MAX {
            // No handle: nothing can move the deadline, arm once.
            self.armed_generation = 0;
            self.when = fix(self.when);
            self.sleep = arm(self.when, self.function);
        }
        if let Some(sleep) = &mut self.sleep {
            if sleep.as_mut().poll(cx).is_ready() {
                self.sleep = None;
                self.fired = true;
            }
        }
    }

    /// Drops the body if the scope fired and no shielded scope runs inside (rule 3).
    fn try_cancel<F>(&mut self, mut body: Pin<&mut Option<F>>) -> bool {
        if !self.fired
            || self
                .shared
                .get()
                .is_some_and(|s| s.shields_below.load(Ordering::Acquire) > 0)
        {
            return false;
        }
        body.set(None);
        self.finish(true);
        true
    }

    #[inline]
    fn finish(&mut self, expired: bool) {
        if self.sleep.is_some() {
            self.sleep = None;
        }
        if self.handle || expired {
            self.finish_shared(expired);
        }
        self.release_ancestors();
    }

    /// The part of [`finish`](Self::finish) for a scope with a handle or that expired.
    #[inline(never)]
    fn finish_shared(&mut self, expired: bool) {
        if let Some(shared) = self.shared.get() {
            let mut inner = shared.inner.lock();
            inner.waker = None;
            if expired && !inner.cancel_called {
                inner.expired = true;
            }
        }
    }

    #[inline]
    fn release_ancestors(&mut self) {
        if !self.ancestors.is_empty() {
            self.release_ancestors_slow();
        }
    }

    #[cold]
    fn release_ancestors_slow(&mut self) {
        for a in self.ancestors.drain(..) {
            a.shields_below.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// A relative deadline becomes absolute when the body first runs (now + `d`).
fn fix(when: When) -> When {
    match when {
        When::After(d) => context::now().checked_add(d).map_or(When::Never, When::At),
        w => w,
    }
}

/// The timer for `when`, if it is finite.
///
/// # Panics
/// For a finite deadline when no corio runtime with a timer is running.
fn arm(when: When, function: &'static str) -> Option<BoxFuture<()>> {
    match when {
        When::At(t) => {
            Some(context::try_sleep_until(function, t).unwrap_or_else(|e| panic!("{e}")))
        }
        _ => None,
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.release_ancestors();
    }
}

/// The future of [`fail_after`], [`fail_at`], [`CancelScope::fail`] and
/// [`timeout_scope`](crate::timeout_scope): `Err(Elapsed)` if the scope cancelled the body.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Deadline<F> {
    core: Core<F>,
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `core` is structurally pinned (this is a plain wrapper).
        let core = unsafe { self.map_unchecked_mut(|s| &mut s.core) };
        core.poll(cx).map(|r| r.ok_or_else(Elapsed::new))
    }
}

impl<F> fmt::Debug for Deadline<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("fired", &self.core.st.fired)
            .field("finished", &self.core.body.is_none())
            .finish()
    }
}

/// The future of [`move_on_after`], [`move_on_at`] and [`CancelScope::move_on`]: `None`
/// if the scope cancelled the body.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct MoveOn<F> {
    core: Core<F>,
}

impl<F: Future> Future for MoveOn<F> {
    type Output = Option<F::Output>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `core` is structurally pinned (this is a plain wrapper).
        let core = unsafe { self.map_unchecked_mut(|s| &mut s.core) };
        core.poll(cx)
    }
}

impl<F> fmt::Debug for MoveOn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MoveOn")
            .field("fired", &self.core.st.fired)
            .field("finished", &self.core.body.is_none())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::atomic::AtomicUsize;

    /// Rule 3 through the frame list, without a runtime (so Miri runs it): a shielded
    /// scope inside a scope without a handle inside a cancelled scope holds both back
    /// until it ends, and leaves every count at zero.
    #[test]
    fn a_shield_inside_nested_scopes_holds_every_enclosing_scope() {
        let outer = CancelScope::new();
        let inner = CancelScope::new().shielded();
        let polls = AtomicUsize::new(0);
        let body = std::future::poll_fn(|_| {
            if polls.fetch_add(1, Ordering::Relaxed) < 2 {
                Poll::Pending
            } else {
                Poll::Ready(7)
            }
        });
        let middle = move_on_after(Duration::MAX, inner.move_on(body));
        let mut fut = pin!(outer.move_on(middle));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(outer.shared.shields_below.load(Ordering::Relaxed), 1);
        outer.cancel();
        assert!(fut.as_mut().poll(&mut cx).is_pending(), "the shield holds");
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Some(Some(Some(7)))));
        assert_eq!(outer.shared.shields_below.load(Ordering::Relaxed), 0);
        assert!(STACK.with(Cell::get).is_null(), "every frame popped");
    }
}

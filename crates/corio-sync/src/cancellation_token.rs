//! [`CancellationToken`]: a cloneable, hierarchical "please stop" signal (tokio-util's
//! `CancellationToken`, trio's cancel scope without the scope).
//!
//! A token is a handle on a node of a tree. [`CancellationToken::cancel`] cancels the
//! node and every node below it (its [`child_token`](CancellationToken::child_token)s,
//! their children, ...), never the ones above. Waiting ([`cancelled`]) works through
//! wakers only, so tokens run under any executor.
//!
//! # Examples
//!
//! ```
//! use corio_sync::CancellationToken;
//! use futures::executor::block_on;
//!
//! let root = CancellationToken::new();
//! let worker = root.child_token();
//! let job = worker.clone();
//! let work = async move {
//!     // Stops at the first of: the work finishing, or a cancel from above.
//!     job.run_until_cancelled(std::future::pending::<()>()).await
//! };
//! root.cancel(); // cancels `worker` (and `job`, its clone) too
//! assert!(worker.is_cancelled());
//! assert_eq!(block_on(work), None);
//! ```
//!
//! # Implementation
//! Each node has a short lock over its handle count, its children and its waiters, and
//! an atomic `cancelled` flag read lock-free by [`CancellationToken::is_cancelled`].
//!
//! ## Rules
//! 1. `cancelled` goes from false to true once, under the node's lock, in the same
//!    critical section that takes the node's waiters and children out; a waiter that
//!    registers under the lock after that sees the flag and does not register.
//! 2. A node is in its parent's `children` (at index `slot`) while it is *live*: it has a
//!    token handle or a child of its own, and the parent is not cancelled. `slot` is read
//!    and written only under the parent's lock.
//! 3. Locks are taken one at a time (never a parent's and a child's together), so the
//!    tree cannot deadlock; cancellation walks the subtree with an explicit stack (no
//!    recursion, no depth limit), waking outside every lock.
//! 4. A node that stops being live leaves its parent's list; if that leaves the parent
//!    with no handle and no child, the parent leaves its own parent, and so on up.
//!    Dropped subtrees therefore free their memory even while the root lives.
//! 5. A waiter's key indexes the node's waiter slab only while `cancelled` is false: a
//!    cancel takes the slab whole, so a waiter that sees `cancelled` never touches it.
//!
//! [`cancelled`]: CancellationToken::cancelled

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use crate::wake_list::WakeList;

/// A cancellation signal shared by clones and inherited by child tokens.
///
/// Cloning gives another handle on the *same* token; [`child_token`](Self::child_token)
/// makes a new token that is cancelled with this one (but not the other way round).
/// Cancelling is sticky and idempotent.
///
/// | asyncio / trio / tokio-util | corio |
/// |---|---|
/// | `asyncio.Event` used as a stop flag | [`CancellationToken`] |
/// | trio `CancelScope.cancel()` | [`cancel`](Self::cancel) |
/// | tokio-util `child_token`, `drop_guard`, `run_until_cancelled` | the same names |
///
/// # Examples
///
/// A server's shutdown: one token per connection, all children of the listener's.
///
/// ```
/// use corio_sync::CancellationToken;
///
/// let shutdown = CancellationToken::new();
/// let conns: Vec<_> = (0..3).map(|_| shutdown.child_token()).collect();
/// conns[0].cancel(); // one connection closes: the others and the root are unaffected
/// assert!(!shutdown.is_cancelled() && !conns[1].is_cancelled());
/// shutdown.cancel(); // everything stops
/// assert!(conns.iter().all(|c| c.is_cancelled()));
/// ```
pub struct CancellationToken {
    node: Arc<Node>,
}

struct Node {
    /// Rule 1: set once, under `inner`'s lock.
    cancelled: AtomicBool,
    inner: Mutex<Inner>,
    /// The node this one was created from (`None` for a root, or a child created from
    /// an already cancelled token).
    parent: Option<Arc<Node>>,
    /// Rule 2: this node's index in `parent`'s `children`, under the parent's lock.
    slot: AtomicUsize,
}

struct Inner {
    /// How many `CancellationToken` handles point here.
    handles: usize,
    children: Vec<Arc<Node>>,
    waiters: Waiters,
}

/// A slab of wakers: a waiter's key stays valid until it leaves or the node is cancelled.
/// Key 0 is an inline slot (most tokens have one waiter: no allocation for it).
#[derive(Default)]
struct Waiters {
    first: Option<Waker>,
    first_used: bool,
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Waiters {
    fn insert(&mut self, waker: Waker) -> usize {
        if !self.first_used {
            self.first_used = true;
            self.first = Some(waker);
            return 0;
        }
        match self.free.pop() {
            Some(k) => {
                self.slots[k - 1] = Some(waker);
                k
            }
            None => {
                self.slots.push(Some(waker));
                self.slots.len()
            }
        }
    }

    fn slot(&mut self, key: usize) -> &mut Option<Waker> {
        match key {
            0 => &mut self.first,
            k => &mut self.slots[k - 1],
        }
    }

    fn remove(&mut self, key: usize) {
        *self.slot(key) = None;
        if key == 0 {
            self.first_used = false;
        } else {
            self.free.push(key);
        }
    }
}

impl Node {
    fn new(parent: Option<Arc<Node>>, cancelled: bool) -> Node {
        Node {
            cancelled: AtomicBool::new(cancelled),
            inner: Mutex::new(Inner {
                handles: 1,
                children: Vec::new(),
                waiters: Waiters::default(),
            }),
            parent,
            slot: AtomicUsize::new(0),
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Cancels `root` and its subtree (rules 1 and 3): depth first, one node's lock at
    /// a time, each node's waiters woken (in batches) once its lock is released. The
    /// stack holds the taken `children` lists themselves (no copy of every child into
    /// it). A panicking waker stops nothing: the whole subtree is cancelled and every
    /// waiter woken, then the first panic is re-raised (the crate's waker-panic rules).
    fn cancel(root: &Arc<Node>) {
        if root.is_cancelled() {
            return;
        }
        let mut wakers = WakeList::new();
        let mut stack: Vec<std::vec::IntoIter<Arc<Node>>> = Vec::new();
        let children = root.cancel_one(&mut wakers);
        if !children.is_empty() {
            stack.push(children.into_iter());
        }
        while let Some(level) = stack.last_mut() {
            match level.next() {
                Some(node) => {
                    let children = node.cancel_one(&mut wakers);
                    // The parent's reference, dropped outside every lock.
                    drop(node);
                    if !children.is_empty() {
                        stack.push(children.into_iter());
                    }
                }
                None => {
                    stack.pop();
                }
            }
        }
        wakers.wake_all();
    }

    /// Rule 1 for one node: sets `cancelled` and takes the waiters and children out
    /// under the lock, then hands the waiters' wakers to `wakers` (no lock held; a full
    /// batch is woken first). Returns the children (empty if the node was cancelled
    /// already).
    #[inline]
    fn cancel_one(&self, wakers: &mut WakeList) -> Vec<Arc<Node>> {
        let (first, slots, children) = {
            let mut inner = self.inner.lock();
            if self.cancelled.load(Ordering::Relaxed) {
                return Vec::new();
            }
            self.cancelled.store(true, Ordering::Release);
            // Rule 5: after this no waiter touches the slab again, so only its wakers
            // are taken (the free list stays until the node is dropped).
            let waiters = &mut inner.waiters;
            let first = waiters.first.take();
            let slots = if waiters.slots.is_empty() {
                Vec::new()
            } else {
                std::mem::take(&mut waiters.slots)
            };
            (first, slots, std::mem::take(&mut inner.children))
        };
        let mut push = |w: Waker| {
            if !wakers.can_push() {
                wakers.wake_batch();
            }
            wakers.push(w);
        };
        if let Some(w) = first {
            push(w);
        }
        if !slots.is_empty() {
            slots.into_iter().flatten().for_each(push);
        }
        children
    }

    /// Rule 4: `node` is no longer live; remove it from its parent, and the parent from
    /// its own if that was the parent's last reason to stay.
    fn detach(node: &Arc<Node>) {
        let mut node = node.clone();
        loop {
            let Some(parent) = node.parent.clone() else {
                return;
            };
            let removed;
            let parent_dead;
            {
                let mut inner = parent.inner.lock();
                let i = node.slot.load(Ordering::Relaxed);
                if i < inner.children.len() && Arc::ptr_eq(&inner.children[i], &node) {
                    removed = Some(inner.children.swap_remove(i));
                    if let Some(moved) = inner.children.get(i) {
                        moved.slot.store(i, Ordering::Relaxed);
                    }
                } else {
                    // The parent was cancelled and let go of its children already.
                    removed = None;
                }
                parent_dead = inner.handles == 0 && inner.children.is_empty();
            }
            // Dropped outside the parent's lock.
            drop(removed);
            if !parent_dead {
                return;
            }
            node = parent;
        }
    }
}

impl CancellationToken {
    /// A new root token, not cancelled.
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: Arc::new(Node::new(None, false)),
        }
    }

    /// A new token that is cancelled whenever this one is (and stays independent
    /// otherwise: cancelling the child leaves this token alone). A child of a cancelled
    /// token is born cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::CancellationToken;
    ///
    /// let parent = CancellationToken::new();
    /// let child = parent.child_token();
    /// child.cancel();
    /// assert!(!parent.is_cancelled());
    /// let child = parent.child_token();
    /// parent.cancel();
    /// assert!(child.is_cancelled());
    /// assert!(parent.child_token().is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        let mut inner = self.node.inner.lock();
        if self.node.cancelled.load(Ordering::Relaxed) {
            return CancellationToken {
                node: Arc::new(Node::new(None, true)),
            };
        }
        let child = Arc::new(Node::new(Some(self.node.clone()), false));
        child.slot.store(inner.children.len(), Ordering::Relaxed);
        inner.children.push(child.clone());
        CancellationToken { node: child }
    }

    /// Cancels this token and every token derived from it, waking everything waiting in
    /// [`cancelled`](Self::cancelled). Idempotent.
    pub fn cancel(&self) {
        Node::cancel(&self.node);
    }

    /// Whether this token (or one above it) was cancelled. Lock-free.
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// Waits until the token is cancelled; ready at once if it already is.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::CancellationToken;
    /// use futures::executor::block_on;
    ///
    /// let token = CancellationToken::new();
    /// let waiter = token.clone();
    /// std::thread::spawn(move || token.cancel());
    /// block_on(waiter.cancelled());
    /// assert!(waiter.is_cancelled());
    /// ```
    ///
    /// # Cancel safety
    /// Dropping the future unregisters it; no other waiter loses its wake-up.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            token: self,
            waiter: Waiter { key: None },
        }
    }

    /// [`cancelled`](Self::cancelled) owning a clone of the token (for `'static` tasks).
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        WaitForCancellationFutureOwned {
            token: self,
            waiter: Waiter { key: None },
        }
    }

    /// Runs `fut` until it finishes (`Some(output)`) or the token is cancelled (`None`;
    /// `fut` is dropped). Cancellation is checked first, so a cancelled token never polls
    /// `fut`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::CancellationToken;
    /// use futures::executor::block_on;
    ///
    /// let token = CancellationToken::new();
    /// assert_eq!(block_on(token.run_until_cancelled(async { 7 })), Some(7));
    /// token.cancel();
    /// assert_eq!(block_on(token.run_until_cancelled(async { 7 })), None);
    /// ```
    pub fn run_until_cancelled<F: IntoFuture>(
        &self,
        fut: F,
    ) -> RunUntilCancelled<'_, F::IntoFuture> {
        RunUntilCancelled {
            cancelled: self.cancelled(),
            fut: fut.into_future(),
        }
    }

    /// [`run_until_cancelled`](Self::run_until_cancelled) owning the token.
    pub fn run_until_cancelled_owned<F: IntoFuture>(
        self,
        fut: F,
    ) -> RunUntilCancelledOwned<F::IntoFuture> {
        RunUntilCancelledOwned {
            cancelled: self.cancelled_owned(),
            fut: fut.into_future(),
        }
    }

    /// A guard that cancels the token when dropped (unless
    /// [`disarm`](DropGuard::disarm)ed): ties a token's life to a scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio_sync::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// } // the scope ends: cancelled
    /// assert!(token.is_cancelled());
    ///
    /// let token = CancellationToken::new();
    /// let kept = token.clone().drop_guard().disarm();
    /// assert!(!kept.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        CancellationToken::new()
    }
}

impl Clone for CancellationToken {
    fn clone(&self) -> Self {
        self.node.inner.lock().handles += 1;
        CancellationToken {
            node: self.node.clone(),
        }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        let dead = {
            let mut inner = self.node.inner.lock();
            inner.handles -= 1;
            inner.handles == 0 && inner.children.is_empty()
        };
        if dead {
            Node::detach(&self.node);
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// One registration in a node's waiter slab (rule 5): just the key; the node is the
/// one of the token the future holds (no `Arc` clone per wait).
struct Waiter {
    key: Option<usize>,
}

impl Waiter {
    fn poll(&mut self, node: &Node, cx: &mut Context<'_>) -> Poll<()> {
        if node.is_cancelled() {
            self.key = None;
            return Poll::Ready(());
        }
        let mut inner = node.inner.lock();
        if node.cancelled.load(Ordering::Relaxed) {
            // Rule 5: the slab was taken; the key (if any) is stale.
            self.key = None;
            return Poll::Ready(());
        }
        match self.key {
            None => self.key = Some(inner.waiters.insert(cx.waker().clone())),
            Some(k) => match inner.waiters.slot(k) {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            },
        }
        Poll::Pending
    }

    /// Leaves the slab if registered (the futures' `Drop`).
    #[inline]
    fn release(&mut self, node: &Node) {
        if let Some(k) = self.key.take() {
            Self::unregister(node, k);
        }
    }

    #[inline(never)]
    fn unregister(node: &Node, key: usize) {
        let mut inner = node.inner.lock();
        if !node.cancelled.load(Ordering::Relaxed) {
            inner.waiters.remove(key);
        }
    }
}

/// The future of [`CancellationToken::cancelled`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WaitForCancellationFuture<'a> {
    token: &'a CancellationToken,
    waiter: Waiter,
}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.token.node, cx)
    }
}

impl Drop for WaitForCancellationFuture<'_> {
    #[inline]
    fn drop(&mut self) {
        self.waiter.release(&self.token.node);
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture").finish()
    }
}

/// The future of [`CancellationToken::cancelled_owned`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WaitForCancellationFutureOwned {
    token: CancellationToken,
    waiter: Waiter,
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.token.node, cx)
    }
}

impl Drop for WaitForCancellationFutureOwned {
    #[inline]
    fn drop(&mut self) {
        self.waiter.release(&self.token.node);
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned").finish()
    }
}

/// The poll of [`RunUntilCancelled`] and [`RunUntilCancelledOwned`]: the flag first (a
/// cancelled token never polls `fut`), then `fut`, and only if `fut` has to wait the
/// registration (under the node's lock, which re-checks the flag: a cancel between the
/// two is seen there). A ready `fut` therefore costs one atomic load, no lock.
#[inline]
fn poll_until_cancelled<F: Future>(
    node: &Node,
    waiter: &mut Waiter,
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<Option<F::Output>> {
    if node.is_cancelled() {
        // Rule 5: a key, if any, is stale.
        waiter.key = None;
        return Poll::Ready(None);
    }
    if let Poll::Ready(v) = fut.poll(cx) {
        return Poll::Ready(Some(v));
    }
    match waiter.poll(node, cx) {
        Poll::Ready(()) => Poll::Ready(None),
        Poll::Pending => Poll::Pending,
    }
}

/// The future of [`CancellationToken::run_until_cancelled`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct RunUntilCancelled<'a, F> {
    cancelled: WaitForCancellationFuture<'a>,
    fut: F,
}

impl<F: Future> Future for RunUntilCancelled<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `fut` is structurally pinned (never moved out, no `Drop` impl on this
        // type); `cancelled` is `Unpin` and only used by `&mut`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        let cancelled = &mut this.cancelled;
        poll_until_cancelled(&cancelled.token.node, &mut cancelled.waiter, fut, cx)
    }
}

impl<F> fmt::Debug for RunUntilCancelled<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntilCancelled").finish()
    }
}

/// The future of [`CancellationToken::run_until_cancelled_owned`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct RunUntilCancelledOwned<F> {
    cancelled: WaitForCancellationFutureOwned,
    fut: F,
}

impl<F: Future> Future for RunUntilCancelledOwned<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: as in `RunUntilCancelled::poll`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `fut` is structurally pinned, as above.
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        let cancelled = &mut this.cancelled;
        poll_until_cancelled(&cancelled.token.node, &mut cancelled.waiter, fut, cx)
    }
}

impl<F> fmt::Debug for RunUntilCancelledOwned<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntilCancelledOwned").finish()
    }
}

/// Cancels its token when dropped; see [`CancellationToken::drop_guard`].
#[must_use = "dropping the guard cancels the token at once"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a DropGuard holds its token until dropped")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(t) = self.token.take() {
            t.cancel();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("token", &self.token)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn children(t: &CancellationToken) -> usize {
        t.node.inner.lock().children.len()
    }

    #[test]
    fn dropped_children_leave_the_parent() {
        let root = CancellationToken::new();
        let a = root.child_token();
        let b = root.child_token();
        let c = root.child_token();
        assert_eq!(children(&root), 3);
        drop(a); // swap_remove moves `c` into slot 0
        assert_eq!(children(&root), 2);
        drop(c);
        drop(b);
        assert_eq!(children(&root), 0);
    }

    #[test]
    fn a_dropped_middle_node_stays_while_it_has_children() {
        let root = CancellationToken::new();
        let mid = root.child_token();
        let leaf = mid.child_token();
        drop(mid);
        assert_eq!(
            children(&root),
            1,
            "the leaf still needs the path from the root"
        );
        root.cancel();
        assert!(leaf.is_cancelled());
        let root = CancellationToken::new();
        let mid = root.child_token();
        let leaf = mid.child_token();
        drop(mid);
        drop(leaf);
        assert_eq!(children(&root), 0, "the whole branch is freed");
    }

    #[test]
    fn cancel_lets_go_of_children_and_waiters() {
        let root = CancellationToken::new();
        let kids: Vec<_> = (0..10).map(|_| root.child_token()).collect();
        root.cancel();
        assert_eq!(children(&root), 0);
        assert!(kids.iter().all(CancellationToken::is_cancelled));
        drop(kids); // detaching from a cancelled parent is a no-op
        assert!(Arc::strong_count(&root.node) == 1);
    }
}

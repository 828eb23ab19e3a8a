//! This crate's own thread-locals: the current scheduler's [`Handle`] (the executor's
//! own state, read by `spawn` with no dynamic dispatch; other crates reach the runtime
//! through `corio_core::context`, which `enter` installs alongside) and the "this
//! thread blocks driving a runtime" flag that makes a nested `block_on` a clear panic
//! instead of a deadlock.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

use corio_core::context::EnterGuard;

use crate::Handle;

thread_local! {
    /// The handle of the runtime entered on this thread.
    static CURRENT_HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// Whether this thread blocks driving a runtime (a worker, or inside `block_on`).
    static BLOCKS_ON_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// The message of the nested-runtime panic.
pub(crate) const NESTED_RUNTIME: &str = "Cannot start a runtime from within a runtime. This \
     happens because a function (like `block_on` or `corio::run`) attempted to block the \
     current thread while the thread is being used to drive asynchronous tasks. Use \
     `.await` instead, or move the blocking call into `corio::spawn_blocking`.";

/// Runs `f` with the current handle, if any.
#[inline]
pub(crate) fn with_handle<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    CURRENT_HANDLE.with(|h| f(h.borrow().as_ref()))
}

/// Whether this thread blocks driving a runtime (a worker, or inside `block_on`).
pub(crate) fn is_driving() -> bool {
    BLOCKS_ON_RUNTIME.with(Cell::get)
}

/// Restores the previous thread-local state on drop.
pub(crate) struct ContextGuard {
    prev_handle: Option<Handle>,
    prev_driving: bool,
    _cx: EnterGuard,
    _not_send: PhantomData<*const ()>,
}

/// Installs `handle` (and its runtime context) on this thread. `driving`: this thread
/// will block driving the runtime (worker thread or `block_on`).
///
/// # Panics
/// If `driving` and this thread already drives a runtime (nested `block_on`).
#[track_caller]
pub(crate) fn enter(handle: &Handle, driving: bool) -> ContextGuard {
    let prev_driving = BLOCKS_ON_RUNTIME.with(|d| d.get());
    if driving && prev_driving {
        panic!("{NESTED_RUNTIME}");
    }
    BLOCKS_ON_RUNTIME.with(|d| d.set(prev_driving || driving));
    let cx = handle.common().context.enter();
    let prev_handle = CURRENT_HANDLE.with(|h| h.borrow_mut().replace(handle.clone()));
    ContextGuard {
        prev_handle,
        prev_driving,
        _cx: cx,
        _not_send: PhantomData,
    }
}

/// Marks this thread as blocking on a future outside any runtime (the free `block_on`).
///
/// # Panics
/// If this thread already drives a runtime.
#[track_caller]
pub(crate) fn enter_blocking_region() -> DrivingGuard {
    if BLOCKS_ON_RUNTIME.with(|d| d.replace(true)) {
        panic!("{NESTED_RUNTIME}");
    }
    DrivingGuard(PhantomData)
}

pub(crate) struct DrivingGuard(PhantomData<*const ()>);

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        BLOCKS_ON_RUNTIME.with(|d| d.set(false));
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let prev = self.prev_handle.take();
        // Drop the replaced handle outside the borrow (its drop may run arbitrary code).
        let _old = CURRENT_HANDLE.with(|h| std::mem::replace(&mut *h.borrow_mut(), prev));
        BLOCKS_ON_RUNTIME.with(|d| d.set(self.prev_driving));
    }
}

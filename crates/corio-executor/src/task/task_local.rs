//! [`task_local!`](crate::task_local): tokio's task-local storage, a value put in scope
//! around one future.
//!
//! # Implementation
//! 1. A [`LocalKey`] wraps a thread-local `RefCell<Option<T>>`. [`LocalKey::scope`]
//!    returns a [`TaskLocalFuture`] that owns the value and, around each poll of its
//!    inner future, swaps the value into the thread-local and back out (also if the poll
//!    panics), so the value is visible exactly while that future is being polled, on
//!    whichever thread polls it.
//! 2. Scopes nest: the swap restores whatever the thread-local held before.
//! 3. The value does not reach tasks spawned inside the scope (tokio's semantics); use
//!    [`ContextVar`](super::ContextVar) for values that propagate like asyncio's.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys (tokio's `task_local!`): each is a [`LocalKey`] whose value is
/// set for the duration of a future with [`LocalKey::scope`].
///
/// # Examples
///
/// ```
/// corio_executor::task_local! {
///     static USER: String;
/// }
///
/// let out = corio_executor::block_on(USER.scope("ada".to_owned(), async {
///     USER.with(|u| u.len())
/// }));
/// assert_eq!(out, 3);
/// assert!(USER.try_with(|_| ()).is_err(), "outside the scope");
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __KEY: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(&__KEY)
        };
        $crate::task_local!($($rest)*);
    };
}

/// A task-local key declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    inner: &'static std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(inner: &'static std::thread::LocalKey<RefCell<Option<T>>>) -> Self {
        LocalKey { inner }
    }

    /// Runs `future` with this key set to `value` (rule 1). The value is dropped with
    /// the returned future.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            slot: Some(value),
            future: Some(future),
        }
    }

    /// Runs the closure `f` with this key set to `value`.
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut slot = Some(value);
        let _swap = Swap::enter(self, &mut slot);
        f()
    }

    /// Runs `f` with a reference to the value in scope.
    ///
    /// # Panics
    /// Outside a [`scope`](Self::scope) of this key, or while the key's value is
    /// already mutably borrowed; see [`try_with`](Self::try_with).
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        self.try_with(f).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `f` with a reference to the value in scope.
    ///
    /// # Errors
    /// [`AccessError`] outside a [`scope`](Self::scope) of this key.
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let r = self.inner.try_with(|cell| {
            let v = cell.try_borrow().map_err(|_| AccessError(()))?;
            match &*v {
                Some(v) => Ok(f(v)),
                None => Err(AccessError(())),
            }
        });
        r.unwrap_or(Err(AccessError(())))
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A copy of the value in scope.
    ///
    /// # Panics
    /// Outside a [`scope`](Self::scope) of this key.
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// Swaps a slot's value into the key for one poll (rule 1); swaps back on drop.
struct Swap<'a, T: 'static> {
    key: &'static LocalKey<T>,
    slot: &'a mut Option<T>,
}

impl<'a, T: 'static> Swap<'a, T> {
    fn enter(key: &'static LocalKey<T>, slot: &'a mut Option<T>) -> Self {
        key.inner
            .with(|cell| std::mem::swap(&mut *cell.borrow_mut(), slot));
        Swap { key, slot }
    }
}

impl<T: 'static> Drop for Swap<'_, T> {
    fn drop(&mut self) {
        // Rule 2: the previous value comes back, ours returns to the slot.
        let _ = self
            .key
            .inner
            .try_with(|cell| std::mem::swap(&mut *cell.borrow_mut(), self.slot));
    }
}

/// The future returned by [`LocalKey::scope`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    slot: Option<T>,
    future: Option<F>,
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: never moved out, only dropped in place
        // (`Drop` below); `slot` and `key` are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let _swap = Swap::enter(this.key, &mut this.slot);
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        let poll = future
            .as_pin_mut()
            .expect("`TaskLocalFuture` polled after it completed")
            .poll(cx);
        poll
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        // The inner future's destructor sees the value too, as in tokio.
        if self.future.is_some() && self.key.inner.try_with(|_| ()).is_ok() {
            let _swap = Swap::enter(self.key, &mut self.slot);
            self.future = None;
        }
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture").finish_non_exhaustive()
    }
}

/// [`LocalKey::try_with`] outside a scope of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "task-local value not set: read it inside `KEY.scope(value, future)` (task \
             locals do not reach spawned tasks; use `corio::task::ContextVar` for values \
             that do)",
        )
    }
}

impl std::error::Error for AccessError {}

//! The runtime context: a thread-local handle to the current runtime's services.
//!
//! While a runtime runs (on its worker threads, its blocking-pool threads and inside
//! `block_on`), it installs a [`RuntimeContext`] with [`RuntimeContext::enter`]. Leaf
//! crates reach the runtime through it without depending on the executor or the timer:
//! the [`Clock`], a [`Spawner`] (task groups, `shield`, file I/O) and a [`TimerSource`]
//! (rate limiter, combinator timeouts).
//!
//! Calling a runtime-bound function with no context installed is a clear error: the
//! `try_` functions return [`NoRuntime`] naming the function, the others panic with
//! that message.
//!
//! # Examples
//!
//! ```
//! use corio_core::clock::Clock;
//! use corio_core::context::{self, RuntimeContext};
//!
//! assert!(context::try_current().is_err());
//! let cx = RuntimeContext::new(Clock::new_paused());
//! let _guard = cx.enter();
//! let now = context::now();
//! assert_eq!(context::now(), now); // the paused clock does not move
//! ```

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::clock::Clock;
use crate::error::NoRuntime;
use crate::task::{BoxFuture, Spawner};

/// What a timer implementation offers to crates that do not know it.
pub trait TimerSource: Send + Sync + 'static {
    /// A future that completes at `deadline` on the runtime's clock (at once if it
    /// passed). Dropping it cancels the timer.
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<()>;
}

/// The current runtime's services, as seen by leaf crates.
#[derive(Clone)]
pub struct RuntimeContext {
    clock: Clock,
    spawner: Option<Arc<dyn Spawner>>,
    timer: Option<Arc<dyn TimerSource>>,
    // Typed handles of the wired-in drivers (the reactor's, the timer's own fast path),
    // looked up by type. A handful at most, so a linear scan beats a map.
    extensions: Vec<(TypeId, Arc<dyn Any + Send + Sync>)>,
}

impl RuntimeContext {
    /// A context with a clock and no spawner or timer yet.
    pub fn new(clock: Clock) -> Self {
        RuntimeContext {
            clock,
            spawner: None,
            timer: None,
            extensions: Vec::new(),
        }
    }

    /// Adds (or replaces) a typed handle, e.g. the reactor's, found again with
    /// [`get`](Self::get) or [`context::get`](get).
    pub fn with_extension<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.extensions.retain(|(id, _)| *id != TypeId::of::<T>());
        self.extensions.push((TypeId::of::<T>(), value));
        self
    }

    /// The typed handle of type `T`, if one was added.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.extensions
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, v)| v.clone().downcast::<T>().ok())
    }

    /// Adds the executor's spawner.
    pub fn with_spawner(mut self, spawner: Arc<dyn Spawner>) -> Self {
        self.spawner = Some(spawner);
        self
    }

    /// Adds the timer.
    pub fn with_timer(mut self, timer: Arc<dyn TimerSource>) -> Self {
        self.timer = Some(timer);
        self
    }

    /// The runtime's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The runtime's spawner, if it has one.
    pub fn spawner(&self) -> Option<&Arc<dyn Spawner>> {
        self.spawner.as_ref()
    }

    /// The runtime's timer, if it has one.
    pub fn timer(&self) -> Option<&Arc<dyn TimerSource>> {
        self.timer.as_ref()
    }

    /// Installs this context on the current thread until the guard is dropped; the
    /// previous context (if any) comes back then.
    pub fn enter(&self) -> EnterGuard {
        let prev = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        EnterGuard {
            prev,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl fmt::Debug for RuntimeContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeContext")
            .field("clock", &self.clock)
            .field("spawner", &self.spawner.is_some())
            .field("timer", &self.timer.is_some())
            .field("extensions", &self.extensions.len())
            .finish()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<RuntimeContext>> = const { RefCell::new(None) };
}

/// Restores the previous context when dropped. Not `Send`: it belongs to its thread.
#[must_use = "the context is installed only while the guard lives"]
pub struct EnterGuard {
    prev: Option<RuntimeContext>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// A clone of the current context.
///
/// # Errors
/// [`NoRuntime`] (naming `corio::Handle::current`) when none is installed.
pub fn try_current() -> Result<RuntimeContext, NoRuntime> {
    with_current(|cx| cx.clone()).ok_or(NoRuntime::new("corio::Handle::current"))
}

/// Runs `f` with the current context, or returns `None` when there is none.
pub fn with_current<R>(f: impl FnOnce(&RuntimeContext) -> R) -> Option<R> {
    CURRENT.with(|c| c.borrow().as_ref().map(f))
}

/// The current runtime's typed handle of type `T` (see [`RuntimeContext::with_extension`]).
pub fn get<T: Send + Sync + 'static>() -> Option<Arc<T>> {
    with_current(|cx| cx.get::<T>()).flatten()
}

/// The current runtime's clock, if a runtime is running on this thread.
pub fn clock() -> Option<Clock> {
    with_current(|cx| cx.clock.clone())
}

/// Now, on the current runtime's clock; real time when no runtime is running.
pub fn now() -> Instant {
    with_current(|cx| cx.clock.now()).unwrap_or_else(Instant::now)
}

/// The current runtime's spawner, for `function` (named in the error).
///
/// # Errors
/// [`NoRuntime`] naming `function` when no runtime with a spawner is current.
pub fn spawner(function: &'static str) -> Result<Arc<dyn Spawner>, NoRuntime> {
    with_current(|cx| cx.spawner.clone())
        .flatten()
        .ok_or(NoRuntime::new(function))
}

/// The current runtime's timer, for `function` (named in the error).
///
/// # Errors
/// [`NoRuntime`] naming `function` when no runtime with a timer is current.
pub fn timer(function: &'static str) -> Result<Arc<dyn TimerSource>, NoRuntime> {
    with_current(|cx| cx.timer.clone())
        .flatten()
        .ok_or(NoRuntime::new(function))
}

/// A future completing at `deadline` on the current runtime's timer.
///
/// # Errors
/// [`NoRuntime`] naming `function` outside a runtime that has a timer.
pub fn try_sleep_until(
    function: &'static str,
    deadline: Instant,
) -> Result<BoxFuture<()>, NoRuntime> {
    Ok(timer(function)?.sleep_until(deadline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_nests_and_restores() {
        assert!(clock().is_none());
        let a = RuntimeContext::new(Clock::new());
        let b = RuntimeContext::new(Clock::new());
        let ga = a.enter();
        assert!(clock().unwrap().ptr_eq(a.clock()));
        {
            let _gb = b.enter();
            assert!(clock().unwrap().ptr_eq(b.clock()));
        }
        assert!(clock().unwrap().ptr_eq(a.clock()));
        drop(ga);
        assert!(clock().is_none());
    }

    #[test]
    fn extensions_are_found_by_type() {
        struct Reactor(u32);
        let cx = RuntimeContext::new(Clock::new())
            .with_extension(Arc::new(Reactor(1)))
            .with_extension(Arc::new(Reactor(2)))
            .with_extension(Arc::new(7u8));
        let _g = cx.enter();
        assert_eq!(get::<Reactor>().unwrap().0, 2);
        assert_eq!(*get::<u8>().unwrap(), 7);
        assert!(get::<u16>().is_none());
    }

    #[test]
    fn missing_services_name_the_function() {
        let cx = RuntimeContext::new(Clock::new());
        let _g = cx.enter();
        let e = timer("corio::sync::RateLimiter::acquire").err().unwrap();
        assert_eq!(e.function(), "corio::sync::RateLimiter::acquire");
    }
}

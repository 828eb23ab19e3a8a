//! The cooperative-cancel seam: how a future of a crate that does not know the executor
//! (a task group waiting for its children) takes the cooperative cancel of the task
//! polling it (`JoinHandle::cancel`, asyncio's `Task.cancel()`), as the executor's own
//! cancel handlers (`task::finally`, `task::catch_cancel`) do.
//!
//! An executor offers it through [`Spawner::cancel_handler`]; a future holds a
//! [`CancelHandler`] and calls [`CancelHandler::poll_take`] from its `poll`.
//!
//! # Rules
//! 1. A handler registers with the task polling it on its first `poll_take`: from then
//!    on, until it is dropped or leaves ([`pass_on`](CancelHandler::pass_on),
//!    [`release`](CancelHandler::release)), a cooperative cancel of that task never drops
//!    the task's future; it waits for a handler to take it (the executor's handlers
//!    rule 1). Polled outside a task, or on a runtime without the seam, it is inert:
//!    `poll_take` is always `false` and the cancel drops the future as before.
//! 2. `poll_take` takes a pending request, or keeps `cx`'s waker to be woken by the next
//!    one. Call it after polling what the handler guards (the innermost handler takes a
//!    request first) and only from the same task.
//! 3. A request taken is held by the handler until it passes it on (the task goes on
//!    being cancelled: the next handler out takes it, or the task ends cancelled) or
//!    releases it (consumed, as an `except CancelledError:` that does not re-raise).
//!    Dropped while holding it inside its task's poll, the handler passes it on: a
//!    cancel taken is never lost.

use std::fmt;
use std::task::Context;

use crate::context;
#[cfg(doc)]
use crate::task::Spawner;

/// An executor's cancel-handler registration, type-erased (see the module rules).
pub trait RawCancelHandler: Send + Sync {
    /// Registers on the first call (rule 1); takes a pending cooperative cancel of the
    /// task polling it, or keeps `cx`'s waker for the next request (rule 2).
    fn poll_take(&mut self, cx: &Context<'_>) -> bool;
    /// Sends a taken request on and leaves the task (rule 3).
    fn pass_on(&mut self);
    /// Consumes a taken request and leaves the task (rule 3).
    fn release(&mut self);
}

/// A future's cancel handler through the seam: created lazily on the first
/// [`poll_take`](Self::poll_take), from the current runtime's [`Spawner`].
#[derive(Default)]
pub struct CancelHandler {
    raw: Option<Box<dyn RawCancelHandler>>,
    started: bool,
    taken: bool,
}

impl CancelHandler {
    /// A handler not registered yet (it registers on its first `poll_take`).
    pub const fn new() -> CancelHandler {
        CancelHandler {
            raw: None,
            started: false,
            taken: false,
        }
    }

    /// Takes a pending cooperative cancel of the task polling this (once: `false` on
    /// later calls after one was taken), or keeps `cx`'s waker for the next one (rule 2).
    pub fn poll_take(&mut self, cx: &Context<'_>) -> bool {
        if !self.started {
            self.started = true;
            self.raw = context::spawner("corio cancel handler")
                .ok()
                .and_then(|s| s.cancel_handler());
        }
        if self.taken {
            return false;
        }
        let Some(raw) = self.raw.as_mut() else {
            return false;
        };
        self.taken = raw.poll_take(cx);
        self.taken
    }

    /// Whether this handler took a cancel it still holds.
    pub fn is_taken(&self) -> bool {
        self.taken && self.raw.is_some()
    }

    /// Sends the taken cancel on and leaves the task (rule 3); leaves only if none was
    /// taken.
    pub fn pass_on(&mut self) {
        if let Some(mut raw) = self.raw.take() {
            if self.taken {
                raw.pass_on();
            } else {
                raw.release();
            }
        }
    }

    /// Consumes the taken cancel (if any) and leaves the task (rule 3).
    pub fn release(&mut self) {
        if let Some(mut raw) = self.raw.take() {
            raw.release();
        }
    }
}

impl fmt::Debug for CancelHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandler")
            .field("registered", &self.raw.is_some())
            .field("taken", &self.taken)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::context::RuntimeContext;
    use crate::error::SpawnError;
    use crate::lock::Mutex;
    use crate::task::{AnyOutput, BoxFuture, ErasedJoin, Spawner};
    use std::panic::Location;
    use std::sync::Arc;
    use std::task::Waker;

    /// What the fake handlers were asked, in order.
    type Calls = Arc<Mutex<Vec<&'static str>>>;

    struct FakeSpawner(Calls, bool);
    impl Spawner for FakeSpawner {
        fn spawn(
            &self,
            _: BoxFuture<AnyOutput>,
            _: &'static Location<'static>,
        ) -> Result<ErasedJoin, SpawnError> {
            Err(SpawnError::Shutdown)
        }
        fn spawn_blocking(
            &self,
            _: Box<dyn FnOnce() -> AnyOutput + Send>,
            _: &'static Location<'static>,
        ) -> Result<ErasedJoin, SpawnError> {
            Err(SpawnError::Shutdown)
        }
        fn cancel_handler(&self) -> Option<Box<dyn RawCancelHandler>> {
            self.0.lock().push("created");
            Some(Box::new(FakeHandler(self.0.clone(), self.1)))
        }
    }

    /// Takes a request on its second `poll_take` if `.1`.
    struct FakeHandler(Calls, bool);
    impl RawCancelHandler for FakeHandler {
        fn poll_take(&mut self, _: &Context<'_>) -> bool {
            let mut calls = self.0.lock();
            calls.push("poll_take");
            self.1 && calls.iter().filter(|c| **c == "poll_take").count() == 2
        }
        fn pass_on(&mut self) {
            self.0.lock().push("pass_on");
        }
        fn release(&mut self) {
            self.0.lock().push("release");
        }
    }

    fn run(request: bool, end: impl FnOnce(&mut CancelHandler)) -> Vec<&'static str> {
        let calls = Calls::default();
        let _cx = RuntimeContext::new(Clock::new())
            .with_spawner(Arc::new(FakeSpawner(calls.clone(), request)))
            .enter();
        let cx = Context::from_waker(Waker::noop());
        let mut h = CancelHandler::new();
        assert!(!h.poll_take(&cx));
        assert_eq!(h.poll_take(&cx), request);
        assert!(!h.poll_take(&cx), "a cancel is taken once");
        assert_eq!(h.is_taken(), request);
        end(&mut h);
        assert!(!h.is_taken());
        let out = calls.lock().clone();
        out
    }

    #[test]
    fn a_taken_cancel_is_passed_on_or_released() {
        let poll = ["created", "poll_take", "poll_take"];
        assert_eq!(
            run(true, CancelHandler::pass_on),
            [&poll[..], &["pass_on"]].concat()
        );
        assert_eq!(
            run(true, CancelHandler::release),
            [&poll[..], &["release"]].concat()
        );
        // Nothing taken: `pass_on` only leaves the task.
        assert_eq!(
            run(false, CancelHandler::pass_on),
            [&poll[..], &["poll_take", "release"]].concat()
        );
    }

    #[test]
    fn without_a_runtime_the_handler_is_inert() {
        let mut h = CancelHandler::new();
        assert!(!h.poll_take(&Context::from_waker(Waker::noop())));
        assert!(!h.is_taken());
        h.pass_on();
        h.release();
    }
}

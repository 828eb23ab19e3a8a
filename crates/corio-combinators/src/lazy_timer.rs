//! [`LazyTimer`]: a deadline that reaches the runtime's timer only when first polled.
//!
//! Combinators with a timeout create their futures eagerly but start the clock when they
//! are first polled, like asyncio (a coroutine's timeout starts when it is awaited). That
//! also lets them be built outside the runtime, e.g. as the argument of `block_on`.

use std::fmt;
use std::task::{Context, Poll};
use std::time::Duration;

use corio_core::context;
use corio_core::task::BoxFuture;

pub(crate) struct LazyTimer {
    state: State,
    /// The public function named in the "no runtime" panic.
    function: &'static str,
}

enum State {
    /// Starts `Duration` after the first poll.
    After(Duration),
    Armed(BoxFuture<()>),
    /// No deadline, or it already fired.
    Never,
}

impl LazyTimer {
    /// A timer firing `d` after its first poll; `None` or an overflowing `d` never fires.
    pub(crate) fn after(d: Option<Duration>, function: &'static str) -> Self {
        let state = match d {
            Some(d) if d != Duration::MAX => State::After(d),
            _ => State::Never,
        };
        LazyTimer { state, function }
    }

    /// Polls the timer; `Ready` once, when the deadline has passed.
    ///
    /// # Panics
    /// On the first poll of a finite timer when no corio runtime with a timer is running.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.start();
        match self.state {
            State::Armed(ref mut sleep) => {
                futures::ready!(sleep.as_mut().poll(cx));
                self.state = State::Never;
                Poll::Ready(())
            }
            _ => Poll::Pending,
        }
    }

    /// Fixes the deadline and registers with the runtime's timer, if not done yet.
    ///
    /// # Panics
    /// For a finite timer when no corio runtime with a timer is running.
    pub(crate) fn start(&mut self) {
        let deadline = match self.state {
            State::Never | State::Armed(_) => return,
            State::After(d) => match context::now().checked_add(d) {
                Some(deadline) => deadline,
                None => {
                    self.state = State::Never;
                    return;
                }
            },
        };
        let sleep =
            context::try_sleep_until(self.function, deadline).unwrap_or_else(|e| panic!("{e}"));
        self.state = State::Armed(sleep);
    }

    /// Forgets the deadline (drops the timer registration).
    pub(crate) fn cancel(&mut self) {
        self.state = State::Never;
    }
}

impl fmt::Debug for LazyTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::After(_) => "unstarted",
            State::Armed(_) => "armed",
            State::Never => "never",
        };
        f.debug_struct("LazyTimer").field("state", &state).finish()
    }
}

//! The driver stack and the base runtime context, built in one place.
//!
//! The stack: executor → [`TimerDriver`] → epoll [`Reactor`]. The timer wraps the
//! reactor, the executor parks on the timer, and their handles go into the context that
//! every runtime thread enters (the reactor's as a typed extension, the timer's as both an
//! extension and the context's `TimerSource`).

use std::io;
use std::sync::Arc;

use corio_core::{Clock, Driver, RuntimeContext};
use corio_reactor::Reactor;
use corio_timer::TimerDriver;

use super::builder::Config;

/// Builds the driver the executor parks on and the context every runtime thread sees.
pub(crate) fn build_driver(cfg: &Config) -> io::Result<(Box<dyn Driver>, RuntimeContext)> {
    let clock = if cfg.start_paused {
        Clock::new_paused()
    } else {
        Clock::new()
    };
    let reactor = Reactor::new()?;
    let reactor_handle = Arc::new(reactor.handle());
    // The timer wraps the reactor: it parks epoll no longer than the nearest deadline,
    // fires due timers, and auto-advances a paused clock when the runtime is idle.
    let timer = TimerDriver::new(reactor, clock.clone());
    let context = timer
        .handle()
        .attach(RuntimeContext::new(clock).with_extension(reactor_handle));
    let driver: Box<dyn Driver> = Box::new(timer);
    Ok((driver, context))
}

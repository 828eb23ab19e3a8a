//! The driver stack and the base runtime context, built in one place.
//!
//! Today: the epoll [`Reactor`] and the clock. The reactor (epoll) and the timer layer plug in
//! here: the timer wraps the reactor, the executor parks on the timer, and their handles
//! go into the context (`with_timer`, `with_extension`).

use std::io;

use std::sync::Arc;

use corio_core::{Clock, Driver, RuntimeContext};
use corio_reactor::Reactor;

use super::builder::Config;

/// Builds the driver the executor parks on and the context every runtime thread sees.
pub(crate) fn build_driver(cfg: &Config) -> io::Result<(Box<dyn Driver>, RuntimeContext)> {
    let clock = if cfg.start_paused {
        Clock::new_paused()
    } else {
        Clock::new()
    };
    let reactor = Reactor::new()?;
    let context = RuntimeContext::new(clock).with_extension(Arc::new(reactor.handle()));
    let driver: Box<dyn Driver> = Box::new(reactor);
    Ok((driver, context))
}

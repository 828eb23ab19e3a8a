//! [`Drivers`]: the facade's driver stack, executor → [`TimerDriver`] → epoll
//! [`Reactor`], and the base runtime context it fills.

use std::io;
use std::sync::Arc;

use corio_core::{Clock, Driver, DriverStack, RuntimeContext};
use corio_reactor::Reactor;
use corio_timer::TimerDriver;

/// The driver stack of a corio [`Runtime`](super::Runtime): the timer over the epoll
/// reactor. The executor parks on the timer, which parks epoll no longer than the
/// nearest deadline, fires due timers and auto-advances a paused clock when the runtime
/// is idle. The reactor's and the timer's handles go into the context's reactor and
/// timer slots.
///
/// You rarely name it: `Runtime::builder()` is `Builder::with_stack(Drivers)`.
///
/// # Examples
///
/// ```
/// use corio::runtime::{Builder, Drivers};
///
/// let rt = Builder::with_stack(Drivers).current_thread().build().unwrap();
/// rt.block_on(async { corio::time::sleep(std::time::Duration::from_millis(1)).await });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Drivers;

impl DriverStack for Drivers {
    fn build(self, clock: Clock) -> io::Result<(Box<dyn Driver>, RuntimeContext)> {
        let reactor = Reactor::new()?;
        let context = RuntimeContext::new(clock.clone()).with_reactor(Arc::new(reactor.handle()));
        let timer = TimerDriver::new(reactor, clock);
        let context = timer.handle().attach(context);
        Ok((Box::new(timer), context))
    }
}

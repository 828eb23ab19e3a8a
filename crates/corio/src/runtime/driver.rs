//! [`Drivers`]: the facade's driver stack, executor → [`TimerDriver`] → the I/O driver
//! (the epoll [`Reactor`] or the io_uring [`UringReactor`]), and the base runtime
//! context it fills.

use std::io;
use std::sync::Arc;

use corio_core::{Clock, Driver, DriverStack, IoDriver, RuntimeContext, SelectIo};
use corio_reactor::{Reactor, ReactorHandle, UringReactor};
use corio_timer::TimerDriver;

/// The driver stack of a corio [`Runtime`](super::Runtime): the timer over the I/O
/// driver. The executor parks on the timer, which parks the I/O driver no longer than
/// the nearest deadline, fires due timers and auto-advances a paused clock when the
/// runtime is idle. The I/O driver's and the timer's handles go into the context's
/// reactor and timer slots.
///
/// The I/O driver is epoll unless the builder said `io_uring()` or, when it said
/// nothing, the environment says `CORIO_IO=uring` (`CORIO_IO=epoll` is the default).
/// If the kernel refuses io_uring (`io_uring_setup` fails: no support,
/// `kernel.io_uring_disabled`, seccomp; or an opcode corio needs is missing), the
/// runtime runs on epoll and prints one line to stderr saying why. Sockets, pipes,
/// files and processes keep the same types on both; [`io_driver`] tells which one runs.
///
/// You rarely name it: `Runtime::builder()` is `Builder::with_stack(Drivers::default())`.
///
/// # Examples
///
/// ```
/// use corio::runtime::{io_driver, Builder, Drivers};
///
/// let rt = Builder::with_stack(Drivers::default()).current_thread().build().unwrap();
/// rt.block_on(async { corio::time::sleep(std::time::Duration::from_millis(1)).await });
///
/// // The same program on io_uring (or on epoll, with a notice, where it is refused).
/// let rt = corio::Runtime::builder().current_thread().io_uring().build().unwrap();
/// let name = rt.block_on(async { io_driver() }).unwrap();
/// assert!(name == "io_uring" || name == "epoll");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Drivers {
    io: Option<IoDriver>,
}

impl SelectIo for Drivers {
    fn select_io(&mut self, io: IoDriver) {
        self.io = Some(io);
    }
}

/// The I/O driver chosen by `CORIO_IO` (`uring`/`io_uring` or `epoll`); `None` when
/// unset. An unknown value is reported once and ignored.
fn io_from_env() -> Option<IoDriver> {
    let v = std::env::var("CORIO_IO").ok()?;
    match v.as_str() {
        "uring" | "io_uring" => Some(IoDriver::IoUring),
        "epoll" | "" => Some(IoDriver::Epoll),
        other => {
            eprintln!("corio: CORIO_IO={other:?} is not \"uring\" or \"epoll\"; using epoll");
            Some(IoDriver::Epoll)
        }
    }
}

fn stack<D: Driver + 'static>(
    io: D,
    handle: ReactorHandle,
    clock: Clock,
) -> (Box<dyn Driver>, RuntimeContext) {
    let context = RuntimeContext::new(clock.clone()).with_reactor(Arc::new(handle));
    let timer = TimerDriver::new(io, clock);
    let context = timer.handle().attach(context);
    (Box::new(timer), context)
}

impl DriverStack for Drivers {
    fn build(self, clock: Clock) -> io::Result<(Box<dyn Driver>, RuntimeContext)> {
        if self.io.or_else(io_from_env) == Some(IoDriver::IoUring) {
            match UringReactor::new() {
                Ok(uring) => {
                    let handle = uring.handle();
                    return Ok(stack(uring, handle, clock));
                }
                Err(e) => eprintln!("corio: io_uring unavailable ({e}); falling back to epoll"),
            }
        }
        let reactor = Reactor::new()?;
        let handle = reactor.handle();
        Ok(stack(reactor, handle, clock))
    }
}

/// The I/O driver the current runtime runs on: `"epoll"` or `"io_uring"`.
///
/// # Errors
/// Outside a runtime, [`NoRuntime`](corio_core::NoRuntime) naming this function.
///
/// # Examples
///
/// ```
/// let rt = corio::Runtime::builder().current_thread().epoll().build().unwrap();
/// assert_eq!(rt.block_on(async { corio::runtime::io_driver() }).unwrap(), "epoll");
/// assert!(corio::runtime::io_driver().is_err()); // outside a runtime
/// ```
pub fn io_driver() -> Result<&'static str, corio_core::NoRuntime> {
    corio_core::context::reactor::<ReactorHandle>()
        .map(|h| h.driver_name())
        .ok_or(corio_core::NoRuntime::new("corio::runtime::io_driver"))
}

//! Signals: [`ctrl_c`].
//!
//! # Implementation
//! The first call installs (once per process, `SA_RESTART`) a handler for `SIGINT` that
//! bumps a global counter and then writes to a global eventfd. The handler only does
//! async-signal-safe things: an atomic add and `write(2)` (and it preserves `errno`).
//! The eventfd is never read, so it stays readable, and every write still produces a
//! new edge-triggered event in every epoll instance watching it. Each waiting future
//! registers its own `dup` of the eventfd with its reactor and completes when the
//! counter differs from the value it saw when first polled (readiness is cleared, under
//! the usual tick rule, whenever the counter has not moved, so a signal is never missed
//! and spurious events just re-check the counter).
//!
//! Once installed, the handler stays: `SIGINT` no longer terminates the process (as in
//! tokio and asyncio's `add_signal_handler`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::reactor::async_fd::Async;
use crate::sys;

static SIGINT_COUNT: AtomicU64 = AtomicU64::new(0);
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
static INSTALLED: OnceLock<io::Result<OwnedFd>> = OnceLock::new();

extern "C" fn on_sigint(_: libc::c_int) {
    // SAFETY: `__errno_location` returns this thread's errno slot; reading and
    // restoring it is async-signal-safe.
    let saved = unsafe { *libc::__errno_location() };
    SIGINT_COUNT.fetch_add(1, Ordering::SeqCst);
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        sys::eventfd_signal(fd);
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

fn install() -> io::Result<&'static OwnedFd> {
    let res = INSTALLED.get_or_init(|| {
        let fd = sys::eventfd()?;
        WAKE_FD.store(fd.as_raw_fd(), Ordering::SeqCst);
        // SAFETY: an all-zero sigaction is a valid starting point (empty mask, no flags).
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        act.sa_flags = libc::SA_RESTART;
        // SAFETY: `act.sa_mask` is a valid sigset to initialize.
        unsafe { libc::sigemptyset(&mut act.sa_mask) };
        // SAFETY: `act` is fully initialized; `on_sigint` is async-signal-safe.
        sys::cvt(unsafe { libc::sigaction(libc::SIGINT, &act, std::ptr::null_mut()) })?;
        Ok(fd)
    });
    res.as_ref()
        .map_err(|e| io::Error::new(e.kind(), e.to_string()))
}

/// Completes when the process receives `SIGINT` (Ctrl-C) after this future was first
/// polled.
///
/// # Errors
/// Outside a runtime, the `NoRuntime` error naming `corio::signal::ctrl_c`; the OS
/// error if the handler cannot be installed.
///
/// # Cancel safety
/// Cancel safe; a signal that arrives while no `ctrl_c` future is waiting is not
/// queued for later ones (it still no longer kills the process).
///
/// # Examples
///
/// ```no_run
/// # corio::run(async {
/// corio_reactor::signal::ctrl_c().await?;
/// println!("interrupted, shutting down");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    const NAME: &str = "corio::signal::ctrl_c";
    crate::reactor::ReactorHandle::current(NAME)?;
    let fd = install()?.as_fd().try_clone_to_owned()?;
    let seen = SIGINT_COUNT.load(Ordering::SeqCst);
    let io = Async::new_named(fd, NAME)?;
    io.read_with(|_| {
        if SIGINT_COUNT.load(Ordering::SeqCst) != seen {
            Ok(())
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    })
    .await
}

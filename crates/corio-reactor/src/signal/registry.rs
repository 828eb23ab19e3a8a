//! The process-wide signal table: one delivery counter per signal number, the handler
//! that bumps it, and the listener counts that decide when the handler is installed.
//!
//! # Rules
//! 1. The handler does only async-signal-safe things: an atomic add on the signal's
//!    counter, then `write(2)` to one global eventfd (and it restores `errno`).
//! 2. The eventfd is never read, so it stays readable and every write makes a new
//!    edge-triggered event in every epoll instance watching it. Each listener registers
//!    its own `dup` of it with its reactor, and re-checks its signal's counter on every
//!    event (readiness is cleared, under the usual tick rule, while the counter has not
//!    moved, so a delivery is never missed and spurious events only cost a re-check).
//! 3. A listener snapshots its signal's counter when it is *created* (under the table
//!    lock, after the handler is installed): every delivery after creation is seen, even
//!    one that arrives before the first poll.
//! 4. The handler for signal `n` is installed when its listener count goes 0 → 1 and the
//!    disposition found there is restored when the count goes back to 0. While no one
//!    listens, the signal does what it did before corio (SIGINT/SIGTERM terminate the
//!    process): a signal nobody asked for is never swallowed.
//! 5. Install and restore happen under one mutex, never in the handler.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::OnceLock;

use std::sync::{Mutex, MutexGuard};

use crate::sys;

/// One past the largest signal number Linux has (`SIGRTMAX` is 64).
pub(crate) const NSIG: usize = 65;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
/// Deliveries per signal number (rule 1).
static COUNTS: [AtomicU64; NSIG] = [ZERO; NSIG];
/// The eventfd the handler writes to (-1 until created).
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
static EVENTFD: OnceLock<io::Result<OwnedFd>> = OnceLock::new();

/// Per signal: how many listeners, and the disposition to restore (rules 4, 5).
struct Slot {
    listeners: usize,
    previous: Option<libc::sigaction>,
}

fn table() -> MutexGuard<'static, [Slot; NSIG]> {
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

static TABLE: Mutex<[Slot; NSIG]> = Mutex::new(
    [const {
        Slot {
            listeners: 0,
            previous: None,
        }
    }; NSIG],
);

extern "C" fn on_signal(signum: libc::c_int) {
    // SAFETY: `__errno_location` returns this thread's errno slot; reading and restoring
    // it is async-signal-safe.
    let saved = unsafe { *libc::__errno_location() };
    if let Some(count) = COUNTS.get(signum as usize) {
        count.fetch_add(1, Ordering::SeqCst);
    }
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        sys::eventfd_signal(fd);
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

/// The global eventfd (created once).
pub(crate) fn eventfd() -> io::Result<&'static OwnedFd> {
    let res = EVENTFD.get_or_init(|| {
        let fd = sys::eventfd()?;
        WAKE_FD.store(fd.as_raw_fd(), Ordering::SeqCst);
        Ok(fd)
    });
    res.as_ref()
        .map_err(|e| io::Error::new(e.kind(), e.to_string()))
}

/// The number of deliveries of `signum` so far.
pub(crate) fn count(signum: i32) -> u64 {
    COUNTS[signum as usize].load(Ordering::SeqCst)
}

/// Checks that `signum` can be listened for.
///
/// # Errors
/// `InvalidInput` for a number outside `1..=SIGRTMAX`, for `SIGKILL`/`SIGSTOP` (the OS
/// refuses them) and for the fault signals (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`), where
/// a counting handler would return to the faulting instruction forever.
pub(crate) fn check(signum: i32) -> io::Result<()> {
    let reason = if signum <= 0 || signum as usize >= NSIG || signum > libc::SIGRTMAX() {
        "is out of range"
    } else if signum == libc::SIGKILL || signum == libc::SIGSTOP {
        "cannot be caught (the OS refuses SIGKILL and SIGSTOP handlers)"
    } else if [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE].contains(&signum) {
        "is a fault signal and cannot be listened for"
    } else {
        return Ok(());
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("signal {signum} {reason}"),
    ))
}

/// Adds a listener of `signum`, installing the handler if it is the first (rule 4), and
/// returns the counter value to compare against (rule 3).
///
/// # Errors
/// As for [`check`]; the OS error from `sigaction`.
pub(crate) fn add_listener(signum: i32) -> io::Result<u64> {
    check(signum)?;
    eventfd()?;
    let mut table = table();
    let slot = &mut table[signum as usize];
    if slot.listeners == 0 {
        // SAFETY: an all-zero sigaction is a valid starting point (empty mask, no flags).
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        act.sa_flags = libc::SA_RESTART;
        // SAFETY: `act.sa_mask` is a valid sigset to initialize.
        unsafe { libc::sigemptyset(&mut act.sa_mask) };
        // SAFETY: as above, for the out-parameter.
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: `act` is fully initialized and `on_signal` is async-signal-safe
        // (rule 1); `previous` is a valid out-parameter.
        sys::cvt(unsafe { libc::sigaction(signum, &act, &mut previous) })?;
        slot.previous = Some(previous);
    }
    slot.listeners += 1;
    Ok(count(signum))
}

/// Removes a listener of `signum`; the last one restores the previous disposition.
pub(crate) fn remove_listener(signum: i32) {
    let mut table = table();
    let slot = &mut table[signum as usize];
    slot.listeners -= 1;
    if slot.listeners == 0 {
        if let Some(previous) = slot.previous.take() {
            // SAFETY: `previous` is the disposition `sigaction` reported for this signal.
            unsafe { libc::sigaction(signum, &previous, std::ptr::null_mut()) };
        }
    }
}

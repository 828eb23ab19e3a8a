//! The driver seam: what an executor blocks on when it has nothing to run.
//!
//! An executor that runs out of work calls [`Driver::park`]; anything that makes work
//! (a remote spawn, a waker fired from another thread) calls [`Unparker::unpark`].
//! Drivers stack: the facade builds `executor → timer → reactor`, where the timer layer
//! wraps the reactor and parks it no longer than the nearest deadline. A bare executor
//! uses [`ParkThread`], a condition-variable parker with no event source of its own.
//!
//! # Invariants
//! 1. An `unpark` that happens before or during a `park` makes that `park` return (no
//!    lost wake-up); one `unpark` is consumed by at most one `park`.
//! 2. `park` may return spuriously; callers re-check their queues and park again.
//! 3. `park` reports `true` when it observed anything (an unpark or a delivered event),
//!    `false` only when it returned because the timeout passed with nothing observed.
//!    Layers above use this to tell "idle" from "progress" (virtual-time auto-advance).
//! 4. Auto-advance never jumps over an I/O completion the kernel already owes. Right
//!    before a paused clock jumps, the timer driver asks the driver below with
//!    [`Driver::park_owed`] instead of a zero-timeout `park`: a driver whose events can
//!    be finished in the kernel yet not visible to the parking thread (io_uring: a
//!    completion queued as task work of the thread that submitted it) waits for them,
//!    briefly and in real time, and reports `true`, so the clock goes round instead of
//!    jumping. The default is the zero-timeout `park`: a driver whose events are
//!    visible at once (epoll, [`ParkThread`]) owes nothing hidden.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::{Condvar, Mutex, MutexGuard};

use crate::clock::Clock;
use crate::context::RuntimeContext;
use crate::loom::{AtomicUsize, Ordering};

/// The factory of a runtime's driver stack: given the runtime's clock, it builds the
/// [`Driver`] the executor parks on and the base [`RuntimeContext`] (the clock plus the
/// services the drivers offer: timer, reactor) that every runtime thread enters. The
/// executor adds its spawner and random-number seed to that context.
///
/// The executor's builder is generic over its stack: a bare executor uses
/// [`ParkThread`] (no timer, no I/O); the `corio` facade's runtime uses a stack of the
/// timer over the epoll reactor.
///
/// # Examples
///
/// ```
/// use corio_core::{Clock, Driver, DriverStack, ParkThread};
///
/// let (mut driver, cx) = ParkThread::new().build(Clock::new_paused()).unwrap();
/// assert!(cx.clock().is_paused());
/// driver.unparker().unpark();
/// assert!(driver.park(None));
/// ```
pub trait DriverStack: Send + 'static {
    /// Builds the driver and the base context on `clock`.
    ///
    /// # Errors
    /// The OS error of a driver that cannot be created (e.g. `epoll_create`).
    fn build(self, clock: Clock) -> io::Result<(Box<dyn Driver>, RuntimeContext)>;
}

/// Which I/O driver a stack with I/O runs on (see [`SelectIo`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoDriver {
    /// Readiness with edge-triggered epoll, then the non-blocking syscall.
    Epoll,
    /// Completion I/O through one io_uring instance (Linux >= 5.11); falls back to
    /// epoll with a one-line notice when the kernel refuses it.
    IoUring,
}

/// A driver stack whose I/O driver can be chosen: what the executor builder's
/// `io_uring()` and `epoll()` call (the `corio` facade's stack implements it).
///
/// # Examples
///
/// ```
/// use corio_core::driver::{IoDriver, SelectIo};
///
/// #[derive(Default)]
/// struct MyStack(Option<IoDriver>);
/// impl SelectIo for MyStack {
///     fn select_io(&mut self, io: IoDriver) {
///         self.0 = Some(io);
///     }
/// }
/// let mut s = MyStack::default();
/// s.select_io(IoDriver::IoUring);
/// assert_eq!(s.0, Some(IoDriver::IoUring));
/// ```
pub trait SelectIo {
    /// Uses `io` for the stack's I/O.
    fn select_io(&mut self, io: IoDriver);
}

/// A plain thread parker as a stack: no timer, no I/O; the context holds only the clock.
impl DriverStack for ParkThread {
    fn build(self, clock: Clock) -> io::Result<(Box<dyn Driver>, RuntimeContext)> {
        Ok((Box::new(self), RuntimeContext::new(clock)))
    }
}

/// A given driver as a stack (the context holds only the clock): for tests and
/// embedders that bring their own driver.
impl DriverStack for Box<dyn Driver> {
    fn build(self, clock: Clock) -> io::Result<(Box<dyn Driver>, RuntimeContext)> {
        Ok((self, RuntimeContext::new(clock)))
    }
}

/// Something an executor thread can block on until there is work.
///
/// # Examples
///
/// ```
/// use corio_core::driver::{Driver, ParkThread};
/// use std::time::Duration;
///
/// let mut parker = ParkThread::new();
/// let unparker = parker.unparker();
/// std::thread::spawn(move || unparker.unpark());
/// // Returns once the other thread unparks us (or spuriously; callers loop).
/// parker.park(None);
/// // With nothing pending, a timed park times out and reports `false`.
/// assert!(!parker.park(Some(Duration::from_millis(1))));
/// ```
pub trait Driver: Send {
    /// Blocks the calling thread until unparked, until an event source delivered a
    /// wake-up, or until `timeout` passes (`None` = no limit; `Some(ZERO)` = poll).
    ///
    /// Returns `true` if anything was observed (see the module invariants).
    fn park(&mut self, timeout: Option<Duration>) -> bool;

    /// A zero-timeout [`park`](Self::park) for the moment right before a paused clock
    /// jumps (invariant 4): it also reports `true` when an event is owed, one the source
    /// has finished or is certain to finish on its own but has not delivered yet, after
    /// waiting for it briefly in real time (never a spin, never an unbounded wait). Only
    /// the paused clock's auto-advance calls it; the hot real-time path keeps
    /// `park(Some(ZERO))`.
    ///
    /// The default is `park(Some(Duration::ZERO))`.
    fn park_owed(&mut self) -> bool {
        self.park(Some(Duration::ZERO))
    }

    /// A handle that wakes this driver's `park` from any thread.
    fn unparker(&self) -> Unparker;
}

/// Wakes a parked [`Driver`] from any thread.
pub trait Unpark: Send + Sync + 'static {
    /// Makes the current or next `park` return.
    fn unpark(&self);

    /// Hands the driver, without blocking, the work the calling thread queued for it
    /// since its last call (the io_uring driver: its deferred submissions). A thread that
    /// calls `flush` promises to call it again at the end of every batch of work and
    /// before it sleeps, so a driver may defer that thread's work until then; the
    /// multi-thread executor's workers call it every `event_interval` ticks and before
    /// they look for work elsewhere or park. The default does nothing (a driver that
    /// defers nothing).
    fn flush(&self) {}
}

/// A cloneable, type-erased [`Unpark`] handle.
#[derive(Clone)]
pub struct Unparker(Arc<dyn Unpark>);

impl Unparker {
    /// Wraps an [`Unpark`] implementation.
    pub fn new(inner: Arc<dyn Unpark>) -> Self {
        Unparker(inner)
    }

    /// Makes the driver's current or next `park` return.
    #[inline]
    pub fn unpark(&self) {
        self.0.unpark()
    }

    /// Hands the driver the work this thread queued for it (see [`Unpark::flush`]).
    #[inline]
    pub fn flush(&self) {
        self.0.flush()
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unparker").finish_non_exhaustive()
    }
}

impl Driver for Box<dyn Driver> {
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        (**self).park(timeout)
    }
    fn park_owed(&mut self) -> bool {
        (**self).park_owed()
    }
    fn unparker(&self) -> Unparker {
        (**self).unparker()
    }
}

/// The innermost driver when there is no I/O: a thread parker on a condition variable.
///
/// State machine (one `AtomicUsize`):
/// - `EMPTY`: no one parked, no pending notification.
/// - `PARKED`: a thread is (about to be) waiting on the condvar; only set under the mutex.
/// - `NOTIFIED`: an unpark is pending; the next park consumes it and returns at once.
///
/// `unpark` swaps in `NOTIFIED`; if it replaced `PARKED` it takes the mutex (so the
/// parker is really waiting) and signals the condvar.
#[derive(Debug)]
pub struct ParkThread {
    inner: Arc<ParkInner>,
}

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

#[derive(Debug)]
struct ParkInner {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl ParkThread {
    /// Creates a parker with no pending notification.
    pub fn new() -> Self {
        ParkThread {
            inner: Arc::new(ParkInner {
                state: AtomicUsize::new(EMPTY),
                lock: Mutex::new(()),
                cvar: Condvar::new(),
            }),
        }
    }
}

impl Default for ParkThread {
    fn default() -> Self {
        Self::new()
    }
}

impl ParkInner {
    fn park(&self, timeout: Option<Duration>) -> bool {
        // Fast path: a pending notification.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return true;
        }
        if timeout == Some(Duration::ZERO) {
            return false;
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut guard = self.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, Ordering::Release);
                return true;
            }
            Err(other) => unreachable!("ParkThread parked twice (state {other})"),
        }
        loop {
            let timed_out = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    let (g, res) = self
                        .cvar
                        .wait_timeout(guard, left)
                        .unwrap_or_else(|e| e.into_inner());
                    guard = g;
                    res.timed_out()
                }
                None => {
                    guard = self.cvar.wait(guard).unwrap_or_else(|e| e.into_inner());
                    false
                }
            };
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
            if timed_out {
                // Still PARKED (only unpark moves it, and it would have set NOTIFIED).
                return self.state.swap(EMPTY, Ordering::Acquire) == NOTIFIED;
            }
            // Spurious condvar wake-up: keep waiting.
        }
    }

    fn unpark(&self) {
        match self.state.swap(NOTIFIED, Ordering::Release) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders us after the parker's wait started.
                drop(self.lock());
                self.cvar.notify_one();
            }
            other => unreachable!("invalid ParkThread state {other}"),
        }
    }
}

impl ParkInner {
    // std's mutex (futex-based) rather than parking_lot's: it keeps this crate clean under
    // Miri's strict provenance. Poisoning cannot corrupt `()`, so it is ignored.
    fn lock(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Unpark for ParkInner {
    fn unpark(&self) {
        ParkInner::unpark(self)
    }
}

impl Driver for ParkThread {
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        self.inner.park(timeout)
    }

    fn unparker(&self) -> Unparker {
        Unparker(self.inner.clone())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn unpark_before_park_is_not_lost() {
        let mut p = ParkThread::new();
        p.unparker().unpark();
        assert!(p.park(None));
        assert!(!p.park(Some(Duration::ZERO)));
    }

    #[test]
    fn unpark_from_other_thread_wakes_blocked_park() {
        use std::sync::atomic::AtomicBool;
        let mut p = ParkThread::new();
        let u = p.unparker();
        let done = Arc::new(AtomicBool::new(false));
        let done2 = done.clone();
        // The unparker keeps going until the parker is done, so every park below is
        // ended by an unpark (a lost wake-up would show as a 60 s hang, then a failure).
        let t = std::thread::spawn(move || {
            while !done2.load(std::sync::atomic::Ordering::SeqCst) {
                u.unpark();
                std::thread::yield_now();
            }
        });
        for _ in 0..if cfg!(miri) { 2 } else { 50 } {
            assert!(p.park(Some(Duration::from_secs(60))));
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        t.join().unwrap();
    }

    #[test]
    fn timed_park_times_out_without_notification() {
        let mut p = ParkThread::new();
        assert!(!p.park(Some(Duration::from_micros(50))));
    }
}

//! A worker's parker: sleeps either on the shared driver (if this worker won the
//! try-lock on it) or on its own condition variable, and can be woken either way.
//!
//! # States (one `AtomicUsize`)
//! - `EMPTY`: running, no pending wake-up.
//! - `PARKED_CONDVAR`: sleeping (or about to) on the condvar; set only under the mutex.
//! - `PARKED_DRIVER`: sleeping (or about to) in the driver's `park`.
//! - `NOTIFIED`: a wake-up is pending; the next `park` returns at once.
//!
//! # Rules
//! 1. `unpark` swaps in `NOTIFIED` and then wakes the sleeper the way it sleeps: the
//!    condvar (after taking the mutex, so the sleeper is really waiting) or the
//!    driver's own unparker. A wake-up before or during `park` is never lost.
//! 2. `park` may return spuriously; the worker re-checks its queues.
//! 3. On a paused clock, `unpark` first lends the worker a `Clock::busy()` guard (the
//!    worker drops its own while it sleeps). Without the loan the runtime would look idle
//!    between the wake and the worker running again, and the timer driver could
//!    auto-advance virtual time over a wake-up in flight. The worker returns the loan
//!    ([`Parker::return_loan`]) once it holds its own guard again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::sync::{Condvar, Mutex};
use corio_core::clock::BusyGuard;
use corio_core::{Clock, Driver, Unparker};

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

pub(crate) struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    cvar: Condvar,
    driver_unparker: Unparker,
    clock: Clock,
    /// Rule 3: the busy guard lent by the last `unpark` on a paused clock.
    loan: Mutex<Option<BusyGuard>>,
}

impl Parker {
    pub(crate) fn new(driver_unparker: Unparker, clock: Clock) -> Arc<Self> {
        Arc::new(Parker {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            cvar: Condvar::new(),
            driver_unparker,
            clock,
            loan: Mutex::new(None),
        })
    }

    /// Drops the guard lent by `unpark` (rule 3); call after re-taking one's own guard.
    pub(crate) fn return_loan(&self) {
        if self.clock.is_paused() {
            drop(self.loan.lock().take());
        }
    }

    /// Hands the driver the work this worker queued for it (`Unpark::flush`).
    pub(crate) fn flush_driver(&self) {
        self.driver_unparker.flush();
    }

    /// Sleeps until unparked: on `driver` if it could be locked, else on the condvar.
    pub(crate) fn park(&self, driver: &Mutex<Option<Box<dyn Driver>>>) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
        if let Some(mut guard) = driver.try_lock() {
            if let Some(driver) = guard.as_mut() {
                self.park_driver(driver.as_mut());
                return;
            }
        }
        self.park_condvar();
    }

    fn park_driver(&self, driver: &mut dyn Driver) {
        match self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, Ordering::SeqCst);
                return;
            }
            Err(s) => unreachable!("worker parked twice (state {s})"),
        }
        driver.park(None);
        // Either NOTIFIED (consumed here) or still PARKED_DRIVER (driver event).
        self.state.swap(EMPTY, Ordering::SeqCst);
    }

    fn park_condvar(&self) {
        let mut guard = self.mutex.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, Ordering::SeqCst);
                return;
            }
            Err(s) => unreachable!("worker parked twice (state {s})"),
        }
        loop {
            guard = self.cvar.wait(guard);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious condvar wake-up: keep sleeping.
        }
    }

    /// Wakes the worker (rules 1 and 3).
    pub(crate) fn unpark(&self) {
        if self.clock.is_paused() {
            let loan = self.clock.busy();
            // Replacing an older loan is fine: the new guard is already counted.
            drop(self.loan.lock().replace(loan));
        }
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                drop(self.mutex.lock());
                self.cvar.notify_one();
            }
            PARKED_DRIVER => self.driver_unparker.unpark(),
            s => unreachable!("invalid worker parker state {s}"),
        }
    }
}

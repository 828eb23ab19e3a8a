//! `AtomicWaker`: one slot holding the waker of the single task waiting on a resource,
//! registered by that task and woken from any thread without a lock.
//!
//! # State machine
//! `state` holds two bits:
//! - `REGISTERING`: the consumer is writing the slot. Only the consumer sets it.
//! - `WAKING`: a producer is taking the slot (or asked for a wake while the consumer
//!   was registering).
//!
//! Rules:
//! 1. The slot is written only by whoever moved the state from `WAITING` (0) to
//!    `REGISTERING`, and read/taken only by whoever moved it from `WAITING` to `WAKING`:
//!    the two bits are a lock on the slot that is never waited on.
//! 2. A wake that finds `REGISTERING` set only sets `WAKING`; the registering consumer
//!    sees it when it tries to clear `REGISTERING`, and wakes the waker itself. So a
//!    wake racing a register is never lost.
//! 3. A register that finds `WAKING` set wakes the new waker at once (the producer is
//!    busy with the old one), which makes the task poll again.

use std::fmt;
use std::task::Waker;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

const WAITING: usize = 0;
const REGISTERING: usize = 0b01;
const WAKING: usize = 0b10;

/// A waker slot for one waiting task, safe to wake from any thread.
///
/// # Examples
///
/// ```
/// use corio_core::AtomicWaker;
/// use std::task::Waker;
///
/// let slot = AtomicWaker::new();
/// slot.register(Waker::noop());
/// assert!(slot.take().is_some());
/// assert!(slot.take().is_none());
/// ```
pub struct AtomicWaker {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the slot is only accessed by the party that owns it per the state machine's
// rule 1, so concurrent access from several threads never aliases a `&mut`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above; `Waker` is `Send + Sync`.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    /// An empty slot.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        AtomicWaker {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// An empty slot.
    #[cfg(loom)]
    pub fn new() -> Self {
        AtomicWaker {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` as the one to wake. Must be called by one consumer at a time;
    /// a concurrent second registration wakes its waker instead of storing it.
    pub fn register(&self, waker: &Waker) {
        match self.state.compare_exchange(
            WAITING,
            REGISTERING,
            Ordering::Acquire,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                // SAFETY: we moved WAITING -> REGISTERING, so we own the slot (rule 1).
                let old = self.waker.with_mut(|slot| unsafe {
                    match &mut *slot {
                        Some(w) if w.will_wake(waker) => None,
                        other => other.replace(waker.clone()),
                    }
                });
                match self.state.compare_exchange(
                    REGISTERING,
                    WAITING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => drop(old),
                    Err(_) => {
                        // A wake arrived while we held the slot (rule 2): state is
                        // REGISTERING | WAKING and nobody else touches the slot.
                        // SAFETY: still the owner of the slot until we reset the state.
                        let w = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                        self.state.swap(WAITING, Ordering::AcqRel);
                        drop(old);
                        if let Some(w) = w {
                            w.wake();
                        }
                    }
                }
            }
            Err(WAKING) => {
                // Rule 3: a producer is taking the old waker; make sure we poll again.
                waker.wake_by_ref();
            }
            Err(_) => {
                // Concurrent registration (misuse) or REGISTERING|WAKING: never lose it.
                waker.wake_by_ref();
            }
        }
    }

    /// Wakes the stored waker, if any, and empties the slot.
    pub fn wake(&self) {
        if let Some(w) = self.take() {
            w.wake();
        }
    }

    /// Takes the stored waker out of the slot, if any, without waking it.
    pub fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, Ordering::AcqRel) {
            WAITING => {
                // SAFETY: we moved WAITING -> WAKING, so we own the slot (rule 1).
                let w = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                self.state.fetch_and(!WAKING, Ordering::Release);
                w
            }
            _ => None,
        }
    }
}

impl Default for AtomicWaker {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as StdUsize;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(StdUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wake_calls_registered_waker_once() {
        let c = Arc::new(Count(StdUsize::new(0)));
        let w = Waker::from(c.clone());
        let aw = AtomicWaker::new();
        aw.register(&w);
        aw.wake();
        aw.wake();
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn reregister_replaces_waker() {
        let a = Arc::new(Count(StdUsize::new(0)));
        let b = Arc::new(Count(StdUsize::new(0)));
        let aw = AtomicWaker::new();
        aw.register(&Waker::from(a.clone()));
        aw.register(&Waker::from(b.clone()));
        aw.wake();
        assert_eq!(a.0.load(Ordering::SeqCst), 0);
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn concurrent_wakes_never_lost() {
        for _ in 0..if cfg!(miri) { 10 } else { 200 } {
            let c = Arc::new(Count(StdUsize::new(0)));
            let aw = Arc::new(AtomicWaker::new());
            let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (aw2, flag2) = (aw.clone(), flag.clone());
            let t = std::thread::spawn(move || {
                flag2.store(true, Ordering::SeqCst);
                aw2.wake();
            });
            aw.register(&Waker::from(c.clone()));
            // The consumer's re-check after registering: if it did not see the flag,
            // the producer's wake came after the registration and must reach us.
            let seen = flag.load(Ordering::SeqCst);
            t.join().unwrap();
            assert!(seen || c.0.load(Ordering::SeqCst) == 1, "wake-up lost");
        }
    }
}

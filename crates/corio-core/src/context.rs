//! The runtime context: one thread-local through which every crate reaches the current
//! runtime's services.
//!
//! While a runtime runs (on its worker threads, its blocking-pool threads and inside
//! `block_on`), it installs its [`RuntimeContext`] with [`RuntimeContext::enter`]. The
//! context has one slot per service, so a lookup is a read of the thread-local pointer
//! and of one field — no search, no map, no `RefCell`:
//!
//! - the [`Clock`] ([`now`], [`clock`]);
//! - the executor's [`Spawner`] (task groups, `shield`, file I/O: [`spawner`]);
//! - the timer ([`timer`] through core's [`TimerSource`] seam for crates that do not
//!   know the timer, [`timer_as`] for the timer crate's own concrete handle);
//! - the reactor ([`reactor`], typed by the reactor crate's handle type);
//! - the runtime's random numbers ([`random_below`]), seeded by the runtime's
//!   `rng_seed` so a seed replays `select!`'s choices too.
//!
//! Calling a runtime-bound function with no context installed is a clear error: the
//! `try_` functions return [`NoRuntime`] naming the function, the others panic with
//! that message.
//!
//! # Examples
//!
//! ```
//! use corio_core::clock::Clock;
//! use corio_core::context::{self, RuntimeContext};
//!
//! assert!(context::try_current().is_err());
//! let cx = RuntimeContext::new(Clock::new_paused());
//! let _guard = cx.enter();
//! let now = context::now();
//! assert_eq!(context::now(), now); // the paused clock does not move
//! ```
//!
//! # Implementation
//! Two thread-locals: `CURRENT_SERVICES`, a raw pointer read by every lookup (no
//! destructor, so reading it is a plain thread-local load), and `CURRENT_OWNER`, the
//! `Arc` that keeps what it points to alive. Rules:
//!
//! 1. `CURRENT_SERVICES` is null, or points to the `Services` that `CURRENT_OWNER` holds
//!    on the same thread.
//! 2. Only [`RuntimeContext::enter`] and [`EnterGuard`]'s drop change them, and they
//!    update the pointer while both the old and the new `Arc` are still held: no `Arc`
//!    is dropped (which may run foreign code) while the pair disagrees. The owner's own
//!    destructor, at thread exit, nulls the pointer first.
//! 3. A lookup borrows the `Services` only for a crate-internal expression that runs no
//!    foreign code (a field read, an `Arc` clone, a clock read, a random step), so
//!    nothing can replace the owner while the borrow lives. A service that runs foreign
//!    code (a [`Spawner`], a [`TimerSource`]) is cloned out before it is called.

use std::any::{Any, TypeId};
use std::cell::Cell;
use std::fmt;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::clock::Clock;
use crate::error::NoRuntime;
use crate::rand::FastRand;
use crate::task::{BoxFuture, Spawner};

/// What a timer implementation offers to crates that do not know it.
pub trait TimerSource: Send + Sync + 'static {
    /// A future that completes at `deadline` on the runtime's clock (at once if it
    /// passed). Dropping it cancels the timer.
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<()>;
}

/// The current runtime's services, as seen by every crate; cheap to clone (one `Arc`).
///
/// Built once per runtime with the `with_*` methods, then installed on each runtime
/// thread with [`enter`](Self::enter).
#[derive(Clone)]
pub struct RuntimeContext(Arc<Services>);

/// A service in its slot: the trait object the seam uses, and the concrete type it was
/// made from, so the crate that owns that type gets it back without a dynamic check.
struct Slot<D: ?Sized> {
    service: Arc<D>,
    concrete: TypeId,
}

impl<D: ?Sized> Clone for Slot<D> {
    fn clone(&self) -> Self {
        Slot {
            service: self.service.clone(),
            concrete: self.concrete,
        }
    }
}

impl<D: ?Sized> Slot<D> {
    /// The service as an `Arc<T>`, if it was made from an `Arc<T>`.
    #[inline]
    fn downcast<T: 'static>(&self) -> Option<Arc<T>> {
        if self.concrete != TypeId::of::<T>() {
            return None;
        }
        let raw = Arc::into_raw(self.service.clone()) as *const T;
        // `concrete == TypeId::of::<T>()` means the constructors below built `service` by
        // unsizing an `Arc<T>`, so `raw` is that `Arc<T>`'s data pointer, with `T`'s size
        // and alignment; the clone above gave us the strong count we now own.
        // SAFETY: by the above, `raw` came from `Arc::<T>::into_raw` of a live count.
        Some(unsafe { Arc::from_raw(raw) })
    }
}

#[derive(Clone)]
struct Services {
    clock: Clock,
    spawner: Option<Arc<dyn Spawner>>,
    timer: Option<Slot<dyn TimerSource>>,
    reactor: Option<Slot<dyn Any + Send + Sync>>,
    /// The seeded stream of [`random_below`]; `None` without a seed.
    rng: Option<Arc<AtomicU64>>,
}

impl RuntimeContext {
    /// A context with a clock and no other service yet.
    pub fn new(clock: Clock) -> Self {
        RuntimeContext(Arc::new(Services {
            clock,
            spawner: None,
            timer: None,
            reactor: None,
            rng: None,
        }))
    }

    fn services_mut(&mut self) -> &mut Services {
        Arc::make_mut(&mut self.0)
    }

    /// Sets the executor's spawner.
    pub fn with_spawner<S: Spawner>(mut self, spawner: Arc<S>) -> Self {
        self.services_mut().spawner = Some(spawner);
        self
    }

    /// Sets the timer: reachable as a [`TimerSource`] ([`timer`]) by every crate, and
    /// as `Arc<T>` ([`timer_as::<T>`](timer_as)) by the crate that knows `T`.
    pub fn with_timer<T: TimerSource>(mut self, timer: Arc<T>) -> Self {
        self.services_mut().timer = Some(Slot {
            service: timer,
            concrete: TypeId::of::<T>(),
        });
        self
    }

    /// Sets the reactor's handle, found again with [`reactor::<T>`](reactor).
    pub fn with_reactor<T: Send + Sync + 'static>(mut self, reactor: Arc<T>) -> Self {
        self.services_mut().reactor = Some(Slot {
            service: reactor,
            concrete: TypeId::of::<T>(),
        });
        self
    }

    /// Seeds the runtime's random choices ([`random_below`]): the same seed gives the
    /// same sequence of draws on this runtime.
    pub fn with_rng_seed(mut self, seed: u64) -> Self {
        // A stream of its own, unrelated to the scheduler's (which uses `seed` itself).
        let state = FastRand::new(seed ^ 0x5E1E_C7ED_0000_0000).state();
        self.services_mut().rng = Some(Arc::new(AtomicU64::new(state)));
        self
    }

    /// The runtime's clock.
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// The runtime's spawner, if it has one.
    pub fn spawner(&self) -> Option<&Arc<dyn Spawner>> {
        self.0.spawner.as_ref()
    }

    /// The runtime's timer, if it has one.
    pub fn timer(&self) -> Option<&Arc<dyn TimerSource>> {
        self.0.timer.as_ref().map(|s| &s.service)
    }

    /// The runtime's timer as the concrete type it was set with, if that is `T`.
    pub fn timer_as<T: TimerSource>(&self) -> Option<Arc<T>> {
        self.0.timer.as_ref()?.downcast::<T>()
    }

    /// The runtime's reactor handle, if it has one of type `T`.
    pub fn reactor<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0.reactor.as_ref()?.downcast::<T>()
    }

    /// Installs this context on the current thread until the guard is dropped; the
    /// previous context (if any) comes back then.
    pub fn enter(&self) -> EnterGuard {
        let prev = CURRENT_OWNER.with(|o| o.0.replace(Some(self.0.clone())));
        // Rule 2: `prev` is still held while the pointer moves to the new owner.
        CURRENT_SERVICES.with(|c| c.set(Arc::as_ptr(&self.0)));
        EnterGuard {
            prev,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl fmt::Debug for RuntimeContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeContext")
            .field("clock", &self.0.clock)
            .field("spawner", &self.0.spawner.is_some())
            .field("timer", &self.0.timer.is_some())
            .field("reactor", &self.0.reactor.is_some())
            .field("seeded", &self.0.rng.is_some())
            .finish()
    }
}

/// Owns what `CURRENT_SERVICES` points to; nulls the pointer when the thread exits.
struct Owner(Cell<Option<Arc<Services>>>);

impl Drop for Owner {
    fn drop(&mut self) {
        // Rule 2: the pointer goes first, then (when `self` is dropped) the `Arc`.
        let _ = CURRENT_SERVICES.try_with(|c| c.set(ptr::null()));
    }
}

thread_local! {
    static CURRENT_SERVICES: Cell<*const Services> = const { Cell::new(ptr::null()) };
    static CURRENT_OWNER: Owner = const { Owner(Cell::new(None)) };
    /// The per-thread stream of [`random_below`] for runtimes without a seed
    /// (0 = not seeded from the OS yet).
    static THREAD_RNG: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` on the current services. `f` must run no foreign code (rule 3).
#[inline]
fn with_services<R>(f: impl FnOnce(&Services) -> R) -> Option<R> {
    let p = CURRENT_SERVICES.with(Cell::get);
    if p.is_null() {
        return None;
    }
    // SAFETY: rule 1: `p` points to the `Services` kept alive by `CURRENT_OWNER`, and by
    // rule 3 nothing replaces the owner while `f` (crate-internal code) runs.
    Some(f(unsafe { &*p }))
}

/// Restores the previous context when dropped. Not `Send`: it belongs to its thread.
#[must_use = "the context is installed only while the guard lives"]
pub struct EnterGuard {
    prev: Option<Arc<Services>>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let p = prev.as_ref().map_or(ptr::null(), Arc::as_ptr);
        // Rule 2: the pointer moves back while both `Arc`s are held, then ours drops.
        let _ = CURRENT_SERVICES.try_with(|c| c.set(p));
        let ours = CURRENT_OWNER.try_with(|o| o.0.replace(prev));
        drop(ours);
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// A clone of the current context.
///
/// # Errors
/// [`NoRuntime`] (naming `corio::Handle::current`) when none is installed.
pub fn try_current() -> Result<RuntimeContext, NoRuntime> {
    CURRENT_OWNER
        .with(clone_owner)
        .ok_or(NoRuntime::new("corio::Handle::current"))
}

fn clone_owner(o: &Owner) -> Option<RuntimeContext> {
    let arc = o.0.take();
    let out = arc.clone().map(RuntimeContext);
    o.0.set(arc);
    out
}

/// The current runtime's clock, if a runtime is running on this thread.
#[inline]
pub fn clock() -> Option<Clock> {
    with_services(|s| s.clock.clone())
}

/// Now, on the current runtime's clock; real time when no runtime is running.
#[inline]
pub fn now() -> Instant {
    with_services(|s| s.clock.now()).unwrap_or_else(Instant::now)
}

/// The current runtime's spawner, for `function` (named in the error).
///
/// # Errors
/// [`NoRuntime`] naming `function` when no runtime with a spawner is current.
#[inline]
pub fn spawner(function: &'static str) -> Result<Arc<dyn Spawner>, NoRuntime> {
    with_services(|s| s.spawner.clone())
        .flatten()
        .ok_or(NoRuntime::new(function))
}

/// The current runtime's timer through core's seam, for `function` (named in the error).
///
/// # Errors
/// [`NoRuntime`] naming `function` when no runtime with a timer is current.
#[inline]
pub fn timer(function: &'static str) -> Result<Arc<dyn TimerSource>, NoRuntime> {
    with_services(|s| s.timer.as_ref().map(|t| t.service.clone()))
        .flatten()
        .ok_or(NoRuntime::new(function))
}

/// The current runtime's timer as `Arc<T>`, when it was set as a `T`
/// ([`RuntimeContext::with_timer`]): the timer crate's lookup of its own handle.
#[inline]
pub fn timer_as<T: TimerSource>() -> Option<Arc<T>> {
    with_services(|s| s.timer.as_ref()?.downcast::<T>()).flatten()
}

/// The current runtime's reactor handle, when it was set as a `T`
/// ([`RuntimeContext::with_reactor`]).
#[inline]
pub fn reactor<T: Send + Sync + 'static>() -> Option<Arc<T>> {
    with_services(|s| s.reactor.as_ref()?.downcast::<T>()).flatten()
}

/// A future completing at `deadline` on the current runtime's timer.
///
/// # Errors
/// [`NoRuntime`] naming `function` outside a runtime that has a timer.
pub fn try_sleep_until(
    function: &'static str,
    deadline: Instant,
) -> Result<BoxFuture<()>, NoRuntime> {
    // Rule 3: the timer is cloned out before its (possibly foreign) code runs.
    Ok(timer(function)?.sleep_until(deadline))
}

/// A pseudo-random number in `0..n` (0 when `n` is 0) for scheduling choices such as
/// `select!`'s first branch. Inside a runtime built with a seed it comes from the
/// runtime's seeded stream, so the seed replays the choices (on a current-thread
/// runtime); otherwise from a per-thread generator seeded by the OS. Not cryptographic.
///
/// # Examples
///
/// ```
/// use corio_core::{clock::Clock, context::{self, RuntimeContext}};
///
/// let draws = |seed| {
///     let _cx = RuntimeContext::new(Clock::new()).with_rng_seed(seed).enter();
///     (0..8).map(|_| context::random_below(10)).collect::<Vec<_>>()
/// };
/// assert_eq!(draws(3), draws(3));
/// assert!(context::random_below(4) < 4);
/// ```
#[inline]
pub fn random_below(n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let seeded = with_services(|s| {
        s.rng.as_ref().map(|state| {
            // A load and a store, not a read-modify-write: on a current-thread runtime
            // (the replayable case) there is one drawer; on a multi-thread one a lost
            // step only repeats a draw, which costs nothing but fairness noise.
            let mut rng = FastRand::from_state(state.load(Ordering::Relaxed));
            let v = rng.below(n);
            state.store(rng.state(), Ordering::Relaxed);
            v
        })
    })
    .flatten();
    match seeded {
        Some(v) => v,
        None => THREAD_RNG.with(|cell| {
            let mut rng = match cell.get() {
                0 => FastRand::new(os_seed()),
                s => FastRand::from_state(s),
            };
            let v = rng.below(n);
            cell.set(rng.state());
            v
        }),
    }
}

fn os_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // `RandomState` is seeded randomly per thread: good enough to decorrelate threads.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_nests_and_restores() {
        assert!(clock().is_none());
        let a = RuntimeContext::new(Clock::new());
        let b = RuntimeContext::new(Clock::new());
        let ga = a.enter();
        assert!(clock().unwrap().ptr_eq(a.clock()));
        {
            let _gb = b.enter();
            assert!(clock().unwrap().ptr_eq(b.clock()));
        }
        assert!(clock().unwrap().ptr_eq(a.clock()));
        drop(ga);
        assert!(clock().is_none());
    }

    #[test]
    fn guards_dropped_out_of_order_leave_a_valid_context() {
        let a = RuntimeContext::new(Clock::new());
        let b = RuntimeContext::new(Clock::new());
        let ga = a.enter();
        let gb = b.enter();
        drop(ga); // restores "none"
        assert!(clock().is_none());
        drop(gb); // restores `a`, still alive through the guard's `Arc`
        drop(a);
        assert!(clock().is_some());
        assert!(try_current().is_ok());
    }

    #[test]
    fn services_are_found_by_their_concrete_type() {
        struct Reactor(u32);
        struct Timer;
        impl TimerSource for Timer {
            fn sleep_until(&self, _: Instant) -> BoxFuture<()> {
                Box::pin(std::future::ready(()))
            }
        }
        let cx = RuntimeContext::new(Clock::new())
            .with_reactor(Arc::new(Reactor(1)))
            .with_reactor(Arc::new(Reactor(2)))
            .with_timer(Arc::new(Timer));
        let _g = cx.enter();
        assert_eq!(reactor::<Reactor>().unwrap().0, 2);
        assert!(reactor::<u8>().is_none());
        assert!(timer_as::<Timer>().is_some());
        assert!(timer("f").is_ok());
        assert!(cx.reactor::<Reactor>().is_some());
    }

    #[test]
    fn missing_services_name_the_function() {
        let cx = RuntimeContext::new(Clock::new());
        let _g = cx.enter();
        let e = timer("corio::sync::RateLimiter::acquire").err().unwrap();
        assert_eq!(e.function(), "corio::sync::RateLimiter::acquire");
        assert!(spawner("corio::spawn").is_err());
    }

    #[test]
    fn a_seed_replays_random_choices_and_differs_across_seeds() {
        let draws = |seed| {
            let _g = RuntimeContext::new(Clock::new())
                .with_rng_seed(seed)
                .enter();
            (0..64).map(|_| random_below(7)).collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
        assert!(draws(1).iter().all(|&v| v < 7));
        // Unseeded: in range, and every value shows up.
        let mut seen = [0u32; 5];
        for _ in 0..1000 {
            seen[random_below(5)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 100), "{seen:?}");
        assert_eq!(random_below(0), 0);
        assert_eq!(random_below(1), 0);
    }
}

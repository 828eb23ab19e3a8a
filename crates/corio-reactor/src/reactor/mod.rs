//! The epoll reactor: a [`Driver`] that parks on `epoll_wait` and turns events into
//! task wake-ups.
//!
//! # Registrations and tokens
//! Every registered descriptor gets a slot in a slab holding its [`ScheduledIo`]. The
//! epoll user data is not the fd but a token `generation << 32 | slot index`. When a
//! registration is dropped it is removed from epoll (`EPOLL_CTL_DEL`) and its slot's
//! generation is bumped before the slot can be reused, so an event already fetched for
//! an old registration (or for a closed fd whose number was reused) finds a generation
//! mismatch and is ignored: no stale wake-up ever reaches a new socket.
//!
//! # Unpark
//! An eventfd registered under [`UNPARK_TOKEN`]. `unpark` writes to it only when no
//! notification is already pending (`notified` flag), so a burst of unparks costs one
//! syscall. `park` drains the eventfd *before* clearing the flag (see [`Inner::unpark`]).
//!
//! An unpark made by the very thread that is delivering this reactor's events (a waker
//! run by `park` schedules a task, and the executor notifies the worker that is parked
//! here: itself) writes nothing: that `park` returns as soon as the wakers have run, so
//! the wake-up is already on its way. The thread-local `DISPATCHING` names the reactor a
//! thread is delivering for; it is set only around the wake loop (and reset by a guard
//! if a waker panics). Before this, a worker woke its own `epoll_wait` through the
//! eventfd: one `write`, one extra `epoll_wait` and one `read` per self-notification.
//!
//! # Zero-timeout polls
//! A `park(Some(Duration::ZERO))` with no descriptor registered and no unpark pending
//! (`registered == 0`, `notified == false`) returns `false` without the `epoll_wait`
//! syscall: no event can be waiting. The timer's virtual-time jumps make such a poll
//! before every jump, so a runtime without sockets pays nothing for them. A registration
//! counts itself before its `EPOLL_CTL_ADD`, so a descriptor that can have an event is
//! always seen.
//!
//! # Shutdown
//! Dropping the [`Reactor`] marks every registration `SHUTDOWN` and wakes it: pending
//! and future I/O fails with an error instead of hanging. New registrations fail too.

pub(crate) mod async_fd;
pub(crate) mod interest;
pub(crate) mod loom;
pub(crate) mod registration;
pub(crate) mod scheduled_io;

use std::cell::Cell;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use corio_core::{Driver, Unpark, Unparker};
use parking_lot::Mutex;

use crate::reactor::scheduled_io::{
    ScheduledIo, ERROR, READABLE, READ_CLOSED, SHUTDOWN, WRITABLE, WRITE_CLOSED,
};
use crate::sys;

/// The epoll user data of the unpark eventfd (never a valid slab token: generations
/// stop below `u32::MAX`).
const UNPARK_TOKEN: u64 = u64::MAX;

/// How many events one `epoll_wait` may return.
const EVENTS_CAPACITY: usize = 1024;

thread_local! {
    /// The reactor whose wakers this thread is running inside `park` (see "Unpark").
    static DISPATCHING: Cell<*const Inner> = const { Cell::new(std::ptr::null()) };
}

/// Marks the current thread as delivering `inner`'s events until dropped.
struct Dispatching;

impl Dispatching {
    fn enter(inner: &Inner) -> Dispatching {
        DISPATCHING.with(|d| d.set(inner));
        Dispatching
    }
}

impl Drop for Dispatching {
    fn drop(&mut self) {
        DISPATCHING.with(|d| d.set(std::ptr::null()));
    }
}

/// The epoll reactor: the innermost [`Driver`] of a corio runtime.
///
/// Create it with [`Reactor::new`], hand its [`handle`](Reactor::handle) to the runtime
/// context (`RuntimeContext::with_reactor(Arc::new(reactor.handle()))`) so sockets can
/// find it, and call [`park`](Driver::park) whenever there is nothing to run.
///
/// # Examples
///
/// ```
/// use corio_core::Driver;
/// use corio_reactor::Reactor;
/// use std::time::Duration;
///
/// let mut reactor = Reactor::new()?;
/// // Nothing registered, nothing pending: a short park times out.
/// assert!(!reactor.park(Some(Duration::from_millis(1))));
/// // An unpark from anywhere makes the next park return `true`.
/// reactor.unparker().unpark();
/// assert!(reactor.park(None));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Reactor {
    handle: EpollRef,
    /// The event buffer (always `EVENTS_CAPACITY` long); the first `ready` are valid.
    events: Vec<libc::epoll_event>,
    ready: usize,
    wake: Vec<Waker>,
}

/// A cloneable handle to a [`Reactor`]: what I/O objects register with.
///
/// Install it in the runtime context (`with_reactor`); sockets look it up with
/// `corio_core::context::reactor::<ReactorHandle>()` when they are created.
#[derive(Clone)]
pub struct ReactorHandle {
    backend: Backend,
}

/// The driver a [`ReactorHandle`] registers with.
#[derive(Clone)]
pub(crate) enum Backend {
    Epoll(Arc<Inner>),
    Uring(Arc<crate::uring::Shared>),
}

/// The epoll reactor's own reference to its state.
struct EpollRef {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    epoll: OwnedFd,
    eventfd: OwnedFd,
    notified: AtomicBool,
    shutdown: AtomicBool,
    /// `slab.len`, readable without the lock (see "Zero-timeout polls").
    registered: AtomicUsize,
    slab: Mutex<Slab>,
}

#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
    len: usize,
}

struct Slot {
    generation: u32,
    io: Option<Arc<ScheduledIo>>,
}

impl Reactor {
    /// Creates an epoll instance and its wake-up eventfd.
    ///
    /// # Errors
    /// The OS error if epoll or the eventfd cannot be created (e.g. out of descriptors).
    pub fn new() -> io::Result<Reactor> {
        let epoll = sys::epoll_create()?;
        let eventfd = sys::eventfd()?;
        sys::epoll_ctl(
            epoll.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            eventfd.as_raw_fd(),
            (libc::EPOLLIN | libc::EPOLLET) as u32,
            UNPARK_TOKEN,
        )?;
        Ok(Reactor {
            handle: EpollRef {
                inner: Arc::new(Inner {
                    epoll,
                    eventfd,
                    notified: AtomicBool::new(false),
                    shutdown: AtomicBool::new(false),
                    registered: AtomicUsize::new(0),
                    slab: Mutex::new(Slab::default()),
                }),
            },
            events: vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS_CAPACITY],
            ready: 0,
            wake: Vec::new(),
        })
    }

    /// The handle I/O objects register with.
    pub fn handle(&self) -> ReactorHandle {
        ReactorHandle {
            backend: Backend::Epoll(self.handle.inner.clone()),
        }
    }

    // Translates epoll event bits into readiness bits.
    fn readiness(events: u32) -> usize {
        let ev = events as i32;
        let mut r = 0;
        if ev & (libc::EPOLLIN | libc::EPOLLPRI) != 0 {
            r |= READABLE;
        }
        if ev & libc::EPOLLOUT != 0 {
            r |= WRITABLE;
        }
        if ev & libc::EPOLLRDHUP != 0 {
            r |= READ_CLOSED;
        }
        if ev & libc::EPOLLHUP != 0 {
            r |= READ_CLOSED | WRITE_CLOSED;
        }
        if ev & libc::EPOLLERR != 0 {
            r |= ERROR;
        }
        r
    }
}

impl Reactor {
    /// Delivers the fetched `events`: drains the unpark eventfd, sets readiness on
    /// registrations whose generation matches the token, then wakes the collected
    /// wakers with no lock held.
    fn dispatch(&mut self) {
        let inner = &*self.handle.inner;
        {
            let slab = inner.slab.lock();
            for ev in &self.events[..self.ready] {
                let token = ev.u64;
                if token == UNPARK_TOKEN {
                    // Drain first, then clear the flag: an unpark racing with us either
                    // is drained here (and this park returns true) or writes again.
                    sys::eventfd_drain(inner.eventfd.as_raw_fd());
                    inner.notified.store(false, Ordering::SeqCst);
                    continue;
                }
                let (generation, index) = ((token >> 32) as u32, token as u32 as usize);
                if let Some(Slot {
                    generation: g,
                    io: Some(io),
                }) = slab.slots.get(index)
                {
                    if *g == generation {
                        io.set_readiness(Self::readiness(ev.events), &mut self.wake);
                    }
                }
            }
        }
        if !self.wake.is_empty() {
            let _dispatching = Dispatching::enter(inner);
            for w in self.wake.drain(..) {
                w.wake();
            }
        }
    }
}

impl Driver for Reactor {
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        let inner = &*self.handle.inner;
        if timeout == Some(Duration::ZERO)
            && inner.registered.load(Ordering::SeqCst) == 0
            && !inner.notified.load(Ordering::SeqCst)
        {
            // Nothing registered, no unpark pending: no event can be waiting.
            self.ready = 0;
            return false;
        }
        let n = match sys::epoll_wait(inner.epoll.as_raw_fd(), &mut self.events, timeout) {
            Ok(n) => n,
            // A signal interrupted the wait: report it as a (spurious) wake-up.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return true,
            Err(e) => panic!("epoll_wait failed: {e}"),
        };
        self.ready = n;
        if n == 0 {
            return false;
        }
        self.dispatch();
        true
    }

    fn unparker(&self) -> Unparker {
        Unparker::new(self.handle.inner.clone())
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        let inner = &self.handle.inner;
        inner.shutdown.store(true, Ordering::SeqCst);
        let mut wake = Vec::new();
        {
            let slab = inner.slab.lock();
            for io in slab.slots.iter().filter_map(|s| s.io.as_ref()) {
                io.set_readiness(SHUTDOWN, &mut wake);
            }
        }
        for w in wake {
            w.wake();
        }
    }
}

impl Unpark for Inner {
    fn unpark(&self) {
        if DISPATCHING.with(Cell::get) == std::ptr::from_ref(self) {
            // This thread is inside our `park`, which returns once its wakers have run.
            return;
        }
        if !self.notified.swap(true, Ordering::SeqCst) {
            sys::eventfd_signal(self.eventfd.as_raw_fd());
        }
    }
}

impl ReactorHandle {
    /// The handle of the current runtime, for `function` (named in the error).
    pub(crate) fn current(function: &'static str) -> io::Result<ReactorHandle> {
        match corio_core::context::reactor::<ReactorHandle>() {
            Some(h) => Ok((*h).clone()),
            None => Err(io::Error::other(corio_core::NoRuntime::new(function))),
        }
    }

    pub(crate) fn from_uring(shared: Arc<crate::uring::Shared>) -> ReactorHandle {
        ReactorHandle {
            backend: Backend::Uring(shared),
        }
    }

    /// The io_uring driver's state, when this handle is on one.
    pub(crate) fn uring(&self) -> Option<&Arc<crate::uring::Shared>> {
        match &self.backend {
            Backend::Uring(u) => Some(u),
            Backend::Epoll(_) => None,
        }
    }

    /// Which driver this handle's I/O runs on: `"epoll"` or `"io_uring"`.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = corio_reactor::Reactor::new()?;
    /// assert_eq!(reactor.handle().driver_name(), "epoll");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn driver_name(&self) -> &'static str {
        match &self.backend {
            Backend::Epoll(_) => "epoll",
            Backend::Uring(_) => "io_uring",
        }
    }

    /// Wakes the reactor's `park` (the same as its [`Unparker`]).
    pub fn unpark(&self) {
        match &self.backend {
            Backend::Epoll(inner) => inner.unpark(),
            Backend::Uring(u) => u.unpark(),
        }
    }

    /// How many descriptors (and, on io_uring, operations in flight) are registered
    /// right now.
    pub fn registered(&self) -> usize {
        match &self.backend {
            Backend::Epoll(inner) => inner.registered.load(Ordering::SeqCst),
            Backend::Uring(u) => u.registered(),
        }
    }

    /// Registers `fd` (edge-triggered, both directions); returns its token and state.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<(u64, Arc<ScheduledIo>)> {
        match &self.backend {
            Backend::Epoll(inner) => inner.register(fd),
            Backend::Uring(u) => u.register(fd),
        }
    }

    /// Makes sure readiness events for `token` will be delivered (io_uring arms its
    /// poll lazily, on the first wait; epoll delivers them from registration on).
    pub(crate) fn arm(&self, token: u64) {
        if let Backend::Uring(u) = &self.backend {
            u.arm(token);
        }
    }

    /// Removes `fd` and frees its slot (bumping the generation).
    pub(crate) fn deregister(&self, fd: RawFd, token: u64) {
        match &self.backend {
            Backend::Epoll(inner) => inner.deregister(fd, token),
            Backend::Uring(u) => u.deregister(token),
        }
    }
}

impl Inner {
    fn register(&self, fd: RawFd) -> io::Result<(u64, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::new());
        let token = {
            let mut slab = self.slab.lock();
            // Checked under the lock: `Reactor::drop` sets the flag, then takes the lock
            // to mark every registration, so none can slip in unmarked.
            if self.shutdown.load(Ordering::SeqCst) {
                return Err(shutdown_error());
            }
            let index = match slab.free.pop() {
                Some(i) => i,
                None => {
                    let i = u32::try_from(slab.slots.len())
                        .map_err(|_| io::Error::other("too many registered descriptors"))?;
                    slab.slots.push(Slot {
                        generation: 0,
                        io: None,
                    });
                    i
                }
            };
            let slot = &mut slab.slots[index as usize];
            slot.io = Some(io.clone());
            let token = (u64::from(slot.generation) << 32) | u64::from(index);
            slab.len += 1;
            self.registered.store(slab.len, Ordering::SeqCst);
            token
        };
        let events =
            libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLPRI | libc::EPOLLET;
        if let Err(e) = sys::epoll_ctl(
            self.epoll.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd,
            events as u32,
            token,
        ) {
            self.release(token);
            return Err(e);
        }
        Ok((token, io))
    }

    /// Removes `fd` from epoll and frees its slot (bumping the generation).
    fn deregister(&self, fd: RawFd, token: u64) {
        // Errors are ignored: the fd may already be gone from epoll, and the slot's
        // generation bump below is what guarantees no stale wake-up.
        let _ = sys::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, 0, 0);
        self.release(token);
    }

    fn release(&self, token: u64) {
        let index = token as u32;
        let mut slab = self.slab.lock();
        let slot = &mut slab.slots[index as usize];
        slot.io = None;
        // Generations stay below u32::MAX so a token never equals UNPARK_TOKEN.
        slot.generation = (slot.generation + 1) % (u32::MAX - 1);
        slab.free.push(index);
        slab.len -= 1;
        self.registered.store(slab.len, Ordering::SeqCst);
    }
}

pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the corio reactor has shut down")
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("epoll", &self.handle.inner.epoll.as_raw_fd())
            .field(
                "registered",
                &self.handle.inner.registered.load(Ordering::SeqCst),
            )
            .finish()
    }
}

impl fmt::Debug for ReactorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReactorHandle")
            .field("driver", &self.driver_name())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reactor::scheduled_io::Direction;
    use corio_test_util::count_waker;
    use std::task::{Context, Poll};

    fn clear_read(io: &ScheduledIo) {
        if let Poll::Ready(ev) =
            io.poll_ready(Direction::Read, &mut Context::from_waker(Waker::noop()))
        {
            io.clear_readiness(ev);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)] // epoll and eventfd syscalls
    fn stale_token_of_a_reused_slot_is_ignored() {
        let mut reactor = Reactor::new().unwrap();
        let h = reactor.handle();
        let old_fd = sys::eventfd().unwrap();
        let (old_token, _old_io) = h.register(old_fd.as_raw_fd()).unwrap();
        h.deregister(old_fd.as_raw_fd(), old_token);
        drop(old_fd);
        let new_fd = sys::eventfd().unwrap();
        let (new_token, new_io) = h.register(new_fd.as_raw_fd()).unwrap();
        // Same slot, new generation.
        assert_eq!(old_token as u32, new_token as u32);
        assert_ne!(old_token, new_token);

        let (count, waker) = count_waker();
        // The new eventfd is not readable: drop the optimistic initial readiness (as a
        // WouldBlock would) and register a reader waker.
        let mut cx = Context::from_waker(&waker);
        clear_read(&new_io);
        assert!(new_io.poll_ready(Direction::Read, &mut cx).is_pending());

        // An event fetched for the old registration arrives late.
        reactor.events[0] = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: old_token,
        };
        reactor.ready = 1;
        reactor.dispatch();
        assert_eq!(count.count(), 0, "stale wake-up");
        assert!(new_io.poll_ready(Direction::Read, &mut cx).is_pending());

        // The same event with the current token is delivered.
        reactor.events[0] = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: new_token,
        };
        reactor.dispatch();
        assert_eq!(count.count(), 1);
        assert!(matches!(
            new_io.poll_ready(Direction::Read, &mut cx),
            Poll::Ready(_)
        ));
        h.deregister(new_fd.as_raw_fd(), new_token);
    }

    #[test]
    #[cfg_attr(miri, ignore)] // epoll and eventfd syscalls
    fn unpark_before_park_is_not_lost_and_bursts_coalesce() {
        let mut reactor = Reactor::new().unwrap();
        let u = reactor.unparker();
        for _ in 0..10 {
            u.unpark();
        }
        assert!(reactor.park(Some(Duration::from_secs(5))));
        assert!(!reactor.park(Some(Duration::ZERO)));
        u.unpark();
        assert!(reactor.park(None));
    }

    #[test]
    #[cfg_attr(miri, ignore)] // epoll and eventfd syscalls
    fn unpark_from_another_thread_wakes_a_blocked_park() {
        let mut reactor = Reactor::new().unwrap();
        let u = reactor.unparker();
        let t = std::thread::spawn(move || u.unpark());
        assert!(reactor.park(None));
        t.join().unwrap();
    }

    #[test]
    #[cfg_attr(miri, ignore)] // epoll and eventfd syscalls
    fn dropping_the_reactor_fails_waiters_and_new_registrations() {
        let reactor = Reactor::new().unwrap();
        let h = reactor.handle();
        let fd = sys::eventfd().unwrap();
        let (token, io) = h.register(fd.as_raw_fd()).unwrap();
        let (count, waker) = count_waker();
        clear_read(&io);
        assert!(io
            .poll_ready(Direction::Read, &mut Context::from_waker(&waker))
            .is_pending());
        drop(reactor);
        assert_eq!(count.count(), 1);
        assert!(io
            .poll_ready(Direction::Read, &mut Context::from_waker(&waker))
            .is_ready());
        assert!(h.register(fd.as_raw_fd()).is_err());
        h.deregister(fd.as_raw_fd(), token);
        assert_eq!(h.registered(), 0);
    }
}

//! A registered descriptor: the bridge between an I/O object and the reactor.
//!
//! [`Registration::poll_io`] is the one loop every operation goes through:
//! 1. spend a unit of the task's cooperative budget (`coop::poll_proceed`);
//! 2. wait until the reactor has reported readiness in the operation's direction;
//! 3. try the operation; on `WouldBlock` clear exactly the readiness observed in step 2
//!    (never newer readiness, see `scheduled_io` rule 2) and go back to 2; on anything
//!    else return it unchanged. Stream sockets ([`Registration::poll_io_stream`]) also
//!    clear it after a short transfer, which proves the kernel queue drained (or full)
//!    just as a `WouldBlock` would, saving that extra syscall; TCP reads with `TCP_INQ`
//!    ([`Registration::poll_io_drains`]) clear it whenever the kernel reports nothing left,
//!    a read that filled the whole buffer included.
//!
//! Because the operation is a single non-blocking syscall made inside `poll`, a future
//! that is dropped never has taken data from the socket without returning it, and
//! readiness is never cleared unless the kernel said `WouldBlock`: cancellation loses
//! neither data nor wake-ups.

use std::future::poll_fn;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use corio_core::coop;

use crate::reactor::scheduled_io::{Direction, ReadyEvent, ScheduledIo, SHUTDOWN};
use crate::reactor::{shutdown_error, ReactorHandle};

/// The most bytes Linux moves in one `read`/`write`-family call (`INT_MAX` rounded
/// down to a page).
const MAX_RW_COUNT: usize = 0x7fff_f000;

pub(crate) struct Registration {
    handle: ReactorHandle,
    io: Arc<ScheduledIo>,
    token: u64,
    fd: RawFd,
    /// The driver was asked to deliver readiness events (io_uring arms its poll on the
    /// first wait; see `arm`).
    armed: AtomicBool,
}

impl Registration {
    /// Registers `fd` with the current runtime's reactor; `function` is named in the
    /// error outside a runtime.
    pub(crate) fn new(fd: RawFd, function: &'static str) -> io::Result<Registration> {
        let handle = ReactorHandle::current(function)?;
        Registration::with_handle(fd, handle)
    }

    /// Registers `fd` with `handle`'s reactor.
    pub(crate) fn with_handle(fd: RawFd, handle: ReactorHandle) -> io::Result<Registration> {
        let (token, io) = handle.register(fd)?;
        let armed = AtomicBool::new(handle.uring().is_none());
        Ok(Registration {
            handle,
            io,
            token,
            fd,
            armed,
        })
    }

    /// Called when a wait returned `Pending` (the waker is stored): makes sure the
    /// driver will deliver the next readiness event. A no-op on epoll, which delivers
    /// events from registration on; io_uring arms its multishot poll here, once (the
    /// poll reports the current readiness when armed, so nothing between the failed
    /// check and the arming is missed).
    fn arm(&self) {
        if !self.armed.load(Ordering::Relaxed) {
            self.armed.store(true, Ordering::Relaxed);
            self.handle.arm(self.token);
        }
    }

    /// `ScheduledIo::poll_ready`, arming the driver when it returns `Pending`.
    fn wait(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let p = self.io.poll_ready(dir, cx);
        if p.is_pending() {
            self.arm();
        }
        p
    }

    /// Waits (single-waiter slot) for readiness in `dir`, honouring the coop budget.
    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let coop = ready!(coop::poll_proceed(cx));
        let ev = ready!(self.wait(dir, cx));
        coop.made_progress();
        Poll::Ready(check_shutdown(ev))
    }

    /// Runs `op` when ready in `dir`, retrying on `WouldBlock` (see the module docs).
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.attempt(cx, |cx| self.wait(dir, cx), op, |_| false)
    }

    /// [`poll_io`](Self::poll_io) for a byte-stream transfer (`recv`/`send` on a TCP or
    /// Unix stream socket) of at most `want` bytes. A short transfer (`0 < n < want`)
    /// means the kernel's receive queue is now empty (read) or its send queue full
    /// (write), so the readiness observed before the attempt is cleared too, under the
    /// same tick rule as a `WouldBlock` (`scheduled_io` rule 2): the next operation
    /// waits for the next edge instead of paying for a syscall that would return
    /// `WouldBlock`. Only for stream sockets: a short datagram or file read says
    /// nothing about what is left.
    pub(crate) fn poll_io_stream(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        want: usize,
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        // Linux caps one transfer at MAX_RW_COUNT: a bigger request may come back short
        // with the queue not drained.
        let drained = |&n: &usize| n > 0 && n < want && want <= MAX_RW_COUNT;
        self.attempt(cx, |cx| self.wait(dir, cx), op, drained)
    }

    /// [`poll_io_stream`](Self::poll_io_stream) for a read that reports itself whether
    /// it drained the kernel queue: `op` returns the byte count and `true` when the
    /// kernel said nothing was left after it (a TCP read with `TCP_INQ`, which proves a
    /// read that filled the whole buffer drained the queue, where the byte count alone
    /// cannot). The readiness observed is then cleared as for a `WouldBlock`, under the
    /// same tick rule.
    pub(crate) fn poll_io_drains(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<(usize, bool)>,
    ) -> Poll<io::Result<usize>> {
        let drained = |&(n, left_nothing): &(usize, bool)| n > 0 && left_nothing;
        self.attempt(cx, |cx| self.wait(dir, cx), op, drained)
            .map(|res| res.map(|(n, _)| n))
    }

    /// Steps 1–3 of the module's loop. `wait` reports the readiness observed (from the
    /// single-waiter slot or the waiter list); `drained` says whether a successful
    /// result proves the kernel queue drained, so that readiness is cleared as for a
    /// `WouldBlock`.
    fn attempt<R>(
        &self,
        cx: &mut Context<'_>,
        mut wait: impl FnMut(&mut Context<'_>) -> Poll<ReadyEvent>,
        mut op: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let coop = ready!(coop::poll_proceed(cx));
        loop {
            let ev = ready!(wait(cx));
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if ev.ready & SHUTDOWN != 0 {
                        return Poll::Ready(Err(shutdown_error()));
                    }
                    self.io.clear_readiness(ev);
                }
                res => {
                    if matches!(&res, Ok(v) if drained(v)) {
                        self.io.clear_readiness(ev);
                    }
                    coop.made_progress();
                    return Poll::Ready(res);
                }
            }
        }
    }

    /// Waits (multi-waiter list) for readiness in `dir`.
    pub(crate) async fn ready(&self, dir: Direction) -> io::Result<()> {
        let mut waiter = ListedWaiter {
            io: &self.io,
            id: None,
        };
        poll_fn(|cx| {
            let coop = ready!(coop::poll_proceed(cx));
            let p = self.io.poll_ready_listed(dir, &mut waiter.id, cx);
            if p.is_pending() {
                self.arm();
            }
            let ev = ready!(p);
            coop.made_progress();
            Poll::Ready(check_shutdown(ev))
        })
        .await
    }

    /// Like [`poll_io`](Self::poll_io) as a future, on the multi-waiter list, so any
    /// number of tasks may wait in the same direction at once.
    pub(crate) async fn async_io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        let mut waiter = ListedWaiter {
            io: &self.io,
            id: None,
        };
        poll_fn(|cx| {
            let wait = |cx: &mut Context<'_>| {
                let p = self.io.poll_ready_listed(dir, &mut waiter.id, cx);
                if p.is_pending() {
                    self.arm();
                }
                p
            };
            self.attempt(cx, wait, &mut op, |_| false)
        })
        .await
    }

    /// Runs `op` at once if the reactor has reported readiness in `dir`, else returns
    /// `WouldBlock` without a syscall; a `WouldBlock` from `op` clears the readiness it
    /// observed (step 3 of the module's loop), so the next wait waits for a new event.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(ev) = self.io.ready_in(dir) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        if ev.ready & !SHUTDOWN == 0 {
            return Err(shutdown_error());
        }
        let res = op();
        if matches!(&res, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_readiness(ev);
        }
        res
    }

    /// The readiness bits the reactor has reported and not cleared (both directions).
    pub(crate) fn readiness(&self) -> usize {
        let r = self.io.ready_in(Direction::Read).map_or(0, |e| e.ready);
        let w = self.io.ready_in(Direction::Write).map_or(0, |e| e.ready);
        r | w
    }

    /// The reactor this descriptor is registered with.
    pub(crate) fn handle(&self) -> &ReactorHandle {
        &self.handle
    }
}

fn check_shutdown(ev: ReadyEvent) -> io::Result<()> {
    // Readiness seen before the shutdown still counts; only "nothing but shutdown" fails.
    if ev.ready & !SHUTDOWN == 0 {
        Err(shutdown_error())
    } else {
        Ok(())
    }
}

/// Removes a readiness future's waiter entry when the future completes or is dropped.
struct ListedWaiter<'a> {
    io: &'a ScheduledIo,
    id: Option<u64>,
}

impl Drop for ListedWaiter<'_> {
    fn drop(&mut self) {
        self.io.remove_waiter(&mut self.id);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.handle.deregister(self.fd, self.token);
    }
}

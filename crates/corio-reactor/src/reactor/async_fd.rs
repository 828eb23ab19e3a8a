//! [`Async<T>`]: any file descriptor, driven by the reactor.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

use crate::reactor::interest::{Interest, Ready};
use crate::reactor::registration::Registration;
use crate::reactor::scheduled_io::Direction;
use crate::sys;

/// An I/O object of type `T` (anything with a file descriptor), registered with the
/// current runtime's reactor and switched to non-blocking mode.
///
/// Use [`read_with`](Async::read_with) / [`write_with`](Async::write_with) to run a
/// non-blocking operation that is retried whenever it reports `WouldBlock`, or
/// [`readable`](Async::readable) / [`writable`](Async::writable) to wait for readiness.
/// When `T: Read`/`T: Write`, `Async<T>` implements `futures::io::{AsyncRead, AsyncWrite}`.
///
/// # Examples
///
/// A Unix socket pair, read and written through the reactor (the `block_on` here is the
/// small poll loop shown in the [crate docs](crate)):
///
/// ```
/// # use corio_core::{Driver, RuntimeContext, clock::Clock};
/// # use corio_reactor::{Async, Reactor};
/// # use std::{future::Future, sync::Arc, pin::pin, task::{Context, Poll, Waker}};
/// # fn block_on<F: Future>(f: F) -> F::Output {
/// #     let mut reactor = Reactor::new().unwrap();
/// #     let cx = RuntimeContext::new(Clock::new()).with_reactor(Arc::new(reactor.handle()));
/// #     let _g = cx.enter();
/// #     let mut f = pin!(f);
/// #     loop {
/// #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) { return v; }
/// #         reactor.park(None);
/// #     }
/// # }
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
///
/// block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     let (a, b) = (Async::new(a)?, Async::new(b)?);
///     b.write_with(|s| (&*s).write(b"ping")).await?;
///     let mut buf = [0; 4];
///     let n = a.read_with(|s| (&*s).read(&mut buf)).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Async<T: AsRawFd> {
    // Declared first so that it is dropped (deregistered) before `io` closes the fd.
    reg: Registration,
    io: T,
}

impl<T: AsRawFd> Async<T> {
    /// Puts `io` in non-blocking mode and registers it with the current runtime's
    /// reactor.
    ///
    /// # Errors
    /// Outside a runtime (no reactor in the context), an error carrying
    /// [`NoRuntime`](corio_core::NoRuntime)'s message naming this function; otherwise the
    /// OS error from `fcntl` or `epoll_ctl`.
    pub fn new(io: T) -> io::Result<Async<T>> {
        Self::new_named(io, "corio_reactor::Async::new")
    }

    pub(crate) fn new_named(io: T, function: &'static str) -> io::Result<Async<T>> {
        sys::set_nonblocking(io.as_raw_fd())?;
        let reg = Registration::new(io.as_raw_fd(), function)?;
        Ok(Async { reg, io })
    }

    /// Registers an already non-blocking `io` with the reactor of `handle`.
    pub(crate) fn with_registration(io: T, reg_of: &Registration) -> io::Result<Async<T>> {
        let reg = Registration::with_handle(io.as_raw_fd(), reg_of.handle().clone())?;
        Ok(Async { reg, io })
    }

    /// The inner I/O object.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The inner I/O object, mutably. Do not replace its file descriptor.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Deregisters from the reactor and gives the I/O object back (still non-blocking).
    ///
    /// # Errors
    /// None today; the `Result` leaves room for reactors that can fail to deregister.
    pub fn into_inner(self) -> io::Result<T> {
        let Async { reg, io } = self;
        drop(reg);
        Ok(io)
    }

    /// Waits until the reactor has reported the descriptor readable (or closed, or in
    /// error). Readiness is cleared only when an operation through
    /// [`read_with`](Self::read_with) (or the `AsyncRead` impl) hits `WouldBlock`, so
    /// do the read with those rather than directly, or this resolves again at once.
    ///
    /// # Errors
    /// When the reactor has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: it consumes nothing.
    pub async fn readable(&self) -> io::Result<()> {
        self.reg.ready(Direction::Read).await
    }

    /// Waits until the reactor has reported the descriptor writable. See
    /// [`readable`](Self::readable) for how readiness is cleared.
    ///
    /// # Errors
    /// When the reactor has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: it consumes nothing.
    pub async fn writable(&self) -> io::Result<()> {
        self.reg.ready(Direction::Write).await
    }

    /// Waits until the reactor reports any of `interest` and returns what it reported
    /// (tokio's `ready`).
    ///
    /// # Errors
    /// When the reactor has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: it consumes nothing.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        match (interest.is_readable(), interest.is_writable()) {
            (true, true) => {
                let r = std::pin::pin!(self.reg.ready(Direction::Read));
                let w = std::pin::pin!(self.reg.ready(Direction::Write));
                match futures::future::select(r, w).await {
                    futures::future::Either::Left((res, _))
                    | futures::future::Either::Right((res, _)) => res?,
                }
            }
            (true, false) => self.reg.ready(Direction::Read).await?,
            _ => self.reg.ready(Direction::Write).await?,
        }
        Ok(Ready::from_bits(self.reg.readiness()))
    }

    /// Runs the non-blocking operation `op` once if the reactor has reported readiness
    /// in `interest`'s direction (readable if it includes `READABLE`), else returns
    /// `WouldBlock` without calling it. A `WouldBlock` from `op` clears that readiness,
    /// so a later [`ready`](Self::ready) waits for a new event.
    ///
    /// # Errors
    /// `WouldBlock` when not ready; what `op` returns; a shutdown error.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let dir = if interest.is_readable() {
            Direction::Read
        } else {
            Direction::Write
        };
        self.reg.try_io(dir, || op(&self.io))
    }

    /// The `poll` form of [`readable`](Self::readable), for one task at a time (each
    /// call replaces the waker of the previous one).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.reg.poll_ready(Direction::Read, cx)
    }

    /// The `poll` form of [`writable`](Self::writable), for one task at a time.
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.reg.poll_ready(Direction::Write, cx)
    }

    /// Runs the non-blocking read-side operation `op` until it does not return
    /// `WouldBlock`, waiting for readability in between.
    ///
    /// # Errors
    /// What `op` returns (unchanged), or a shutdown error.
    ///
    /// # Cancel safety
    /// Cancel safe as long as `op` is a single non-blocking call (e.g. one `read`):
    /// `op` runs only inside `poll`, so nothing is taken without being returned.
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.reg.async_io(Direction::Read, || op(&self.io)).await
    }

    /// Runs the non-blocking write-side operation `op` until it does not return
    /// `WouldBlock`, waiting for writability in between.
    ///
    /// # Errors
    /// What `op` returns (unchanged), or a shutdown error.
    ///
    /// # Cancel safety
    /// As for [`read_with`](Self::read_with).
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.reg.async_io(Direction::Write, || op(&self.io)).await
    }

    /// The `poll` form of [`read_with`](Self::read_with), for one task at a time.
    ///
    /// # Errors
    /// What `op` returns (unchanged), or a shutdown error.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.reg.poll_io(Direction::Read, cx, || op(&self.io))
    }

    /// The `poll` form of [`write_with`](Self::write_with), for one task at a time.
    ///
    /// # Errors
    /// What `op` returns (unchanged), or a shutdown error.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.reg.poll_io(Direction::Write, cx, || op(&self.io))
    }

    /// [`poll_read_with`](Self::poll_read_with) for a stream socket read of at most
    /// `want` bytes: a short read also clears the observed readiness
    /// (see `Registration::poll_io_stream`).
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        want: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.reg
            .poll_io_stream(Direction::Read, cx, want, || op(&self.io))
    }

    /// A stream socket read whose `op` reports whether it drained the receive queue
    /// (`Registration::poll_io_drains`).
    pub(crate) fn poll_read_drains(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<(usize, bool)>,
    ) -> Poll<io::Result<usize>> {
        self.reg
            .poll_io_drains(Direction::Read, cx, || op(&self.io))
    }

    /// [`poll_write_with`](Self::poll_write_with) for a stream socket write of at most
    /// `want` bytes: a short write also clears the observed readiness.
    pub(crate) fn poll_write_stream(
        &self,
        cx: &mut Context<'_>,
        want: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.reg
            .poll_io_stream(Direction::Write, cx, want, || op(&self.io))
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.reg
    }
}

impl<T: AsRawFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl<T: AsRawFd + AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl<T: AsRawFd> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async")
            .field("fd", &self.io.as_raw_fd())
            .finish()
    }
}

impl<T: AsRawFd + Read + Unpin> AsyncRead for Async<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.reg.poll_io(Direction::Read, cx, || io.read(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [io::IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.reg
            .poll_io(Direction::Read, cx, || io.read_vectored(bufs))
    }
}

impl<T: AsRawFd + Write + Unpin> AsyncWrite for Async<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.reg.poll_io(Direction::Write, cx, || io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.reg
            .poll_io(Direction::Write, cx, || io.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.io.flush() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let io = &mut this.io;
                this.reg.poll_io(Direction::Write, cx, || io.flush())
            }
            res => Poll::Ready(res),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

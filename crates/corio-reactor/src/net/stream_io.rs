//! The one stream-socket I/O implementation, shared by [`TcpStream`](crate::net::TcpStream),
//! [`UnixStream`](crate::net::UnixStream) and their halves.
//!
//! Each stream type holds a [`StreamIo`] and forwards its `AsyncRead`/`AsyncWrite`
//! methods (for the stream, for `&stream` and, through [`Splittable`](super::Splittable),
//! for the halves) to the methods here.
//!
//! # Rules
//! 1. All I/O goes through `&self`, so a reader and a writer can use one stream from two
//!    tasks: the reactor keeps a reader waker and a writer waker per descriptor.
//! 2. Writes use `send`/`sendmsg` with `MSG_NOSIGNAL`: a write to a closed connection is
//!    `BrokenPipe`, never `SIGPIPE`.
//! 3. With `short_transfer_drains` (TCP), a short `recv`/`send` also clears the readiness
//!    it used (see `Registration::poll_io_stream`): a stream socket that returned fewer
//!    bytes than asked has nothing more right now. Unix streams keep the plain "clear only
//!    on `WouldBlock`" rule, because a read there also stops early at the boundary
//!    between messages carrying different credentials or file descriptors.
//! 4. `poll_close` shuts down the write direction. `ENOTCONN` from `shutdown(2)` (the
//!    peer reset the connection, or it was never connected) counts as success: there is
//!    nothing left to close, and it is not an error worth reporting (as in tokio).

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use crate::reactor::async_fd::Async;
use crate::sys;

/// A connected stream socket on the reactor (see the module rules).
#[allow(unreachable_pub)] // named only through the sealed `Splittable` trait
#[derive(Debug)]
pub struct StreamIo<T: AsRawFd> {
    io: Async<T>,
    short_transfer_drains: bool,
}

impl<T: AsRawFd> StreamIo<T> {
    /// A TCP stream: short transfers drain readiness (rule 3).
    pub(crate) fn tcp(io: Async<T>) -> Self {
        StreamIo {
            io,
            short_transfer_drains: true,
        }
    }

    /// A Unix stream: readiness clears only on `WouldBlock` (rule 3).
    pub(crate) fn unix(io: Async<T>) -> Self {
        StreamIo {
            io,
            short_transfer_drains: false,
        }
    }

    /// The registered socket.
    pub(crate) fn async_fd(&self) -> &Async<T> {
        &self.io
    }

    /// The std socket (non-blocking).
    pub(crate) fn get_ref(&self) -> &T {
        self.io.get_ref()
    }

    /// The byte count that makes a transfer "short" (rule 3); 0 never counts as short.
    fn want(&self, len: usize) -> usize {
        if self.short_transfer_drains {
            len
        } else {
            0
        }
    }

    /// Reads into `buf` (`Ok(0)` at end-of-stream).
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let want = self.want(buf.len());
        self.io.poll_read_stream(cx, want, |s| sys::recv(s, buf, 0))
    }

    /// Like [`poll_read`](Self::poll_read) into possibly uninitialised memory: on
    /// `Ok(n)` the first `n <= buf.len()` bytes of `buf` were written by the kernel.
    pub(crate) fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        let want = self.want(buf.len());
        self.io
            .poll_read_stream(cx, want, |s| sys::recv_uninit(s, buf, 0))
    }

    /// Writes from `buf` (rule 2).
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let want = self.want(buf.len());
        self.io
            .poll_write_stream(cx, want, |s| sys::send(s, buf, 0))
    }

    /// Writes from several buffers with one `sendmsg` (rule 2).
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // Only the slices `sendmsg` is given count (at most UIO_MAXIOV).
        let len = bufs
            .iter()
            .take(libc::UIO_MAXIOV as usize)
            .map(|b| b.len())
            .fold(0usize, usize::saturating_add);
        let want = self.want(len);
        self.io
            .poll_write_stream(cx, want, |s| sys::send_vectored(s, bufs))
    }

    /// One non-blocking `recv` if the reactor reported readability (tokio's `try_read`).
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_io(crate::Interest::READABLE, |s| sys::recv(s, buf, 0))
    }

    /// One non-blocking `send` if the reactor reported writability (rule 2).
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(crate::Interest::WRITABLE, |s| sys::send(s, buf, 0))
    }

    /// `shutdown(2)` with the OS error unchanged (the public `shutdown` methods).
    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        sys::shutdown(self.io.get_ref(), how)
    }

    /// Closes the write direction; `ENOTCONN` is success (rule 4).
    pub(crate) fn poll_close(&self) -> Poll<io::Result<()>> {
        Poll::Ready(match self.shutdown(Shutdown::Write) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
            other => other,
        })
    }
}

impl<T: AsRawFd> AsRawFd for StreamIo<T> {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.as_raw_fd()
    }
}

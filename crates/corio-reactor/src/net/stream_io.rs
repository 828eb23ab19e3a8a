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
//! 5. On the io_uring driver, reads and writes are completion operations
//!    (`crate::uring::stream`, with its own rules): writes are write-behind, so
//!    `poll_flush` waits for the send in flight and `poll_close` flushes before the
//!    shutdown; a `shutdown(Write)` while a send is in flight is deferred to its
//!    completion.
//! 6. A TCP read that fills the whole buffer proves nothing about what is left, and the
//!    next read would pay a `recv` that returns `WouldBlock` (an echo loop or a
//!    `read_exact` of a whole frame does this once per message). The first such read
//!    turns on `TCP_INQ` for the socket (one `setsockopt`; streams whose reads never fill
//!    the buffer never pay it), and the reads rule 7 names are then `recvmsg` calls whose
//!    `TCP_CM_INQ` control message says how many bytes are still queued: none left
//!    clears the readiness used, under the same tick rule as rule 3 (an event that
//!    arrived meanwhile keeps it). A kernel without `TCP_INQ` (before 4.18) keeps the
//!    plain `recv`. After a FIN the kernel reports one byte left, so the reader still
//!    gets its end-of-stream from the next read.
//! 7. `recvmsg` costs more than `recv` (the `msghdr` and its `iovec` are copied in, the
//!    control message out: ~70 ns per read on loopback), and for a short read the
//!    report adds nothing that rule 3 does not already know. So only a read that follows
//!    a full one is a `recvmsg`; after a short read (or end-of-stream) reads are plain
//!    `recv` calls again, until one fills its buffer. An HTTP server whose first read
//!    was a whole 24-byte preface (hyper-util's version sniffing) and whose requests are
//!    then short pays one `recvmsg`, not one per request. The price: a plain `recv` after
//!    a short read that happens to fill its buffer and empty the socket cannot tell, so
//!    the next read (a `recvmsg`) may find nothing (`WouldBlock`), the syscall rule 6
//!    saves; it takes a short read and then an exactly full one in a row.

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use crate::reactor::async_fd::Async;
use crate::sys;
use crate::uring::stream::UringStream;

/// A connected stream socket on the reactor (see the module rules).
#[allow(unreachable_pub)] // named only through the sealed `Splittable` trait
#[derive(Debug)]
pub struct StreamIo<T: AsRawFd> {
    /// Completion I/O when the registration is on the io_uring driver (rule 5).
    uring: Option<Box<UringStream>>,
    io: Async<T>,
    short_transfer_drains: bool,
    /// `TCP_INQ` (rules 6 and 7): `INQ_UNTRIED`, `INQ_ON`, `INQ_IDLE` or `INQ_NEVER`.
    inq: AtomicU8,
}

/// Rule 6: no read has filled its buffer yet; `TCP_INQ` is off, reads are plain `recv`.
const INQ_UNTRIED: u8 = 0;
/// Rules 6 and 7: `TCP_INQ` is on and the last read filled its buffer: the next read is a
/// `recvmsg` that reports what is left.
const INQ_ON: u8 = 1;
/// Rule 6: not a TCP stream, or the kernel refused `TCP_INQ`; reads are plain `recv`.
const INQ_NEVER: u8 = 2;
/// Rule 7: `TCP_INQ` is on but the last read was short: the next read is a plain `recv`
/// (its byte count says enough, rule 3), and one that fills its buffer goes back to
/// `INQ_ON` with no `setsockopt`.
const INQ_IDLE: u8 = 3;

impl<T: AsRawFd> StreamIo<T> {
    /// A TCP stream: short transfers drain readiness (rule 3).
    pub(crate) fn tcp(io: Async<T>) -> Self {
        Self::new(io, true)
    }

    /// A Unix stream: readiness clears only on `WouldBlock` (rule 3).
    pub(crate) fn unix(io: Async<T>) -> Self {
        Self::new(io, false)
    }

    fn new(io: Async<T>, short_transfer_drains: bool) -> Self {
        let uring = io
            .registration()
            .handle()
            .uring()
            .map(|shared| Box::new(UringStream::new(shared.clone(), io.as_raw_fd())));
        // Rule 6 is for TCP on epoll (io_uring reads are completion operations).
        let inq = if short_transfer_drains && uring.is_none() {
            INQ_UNTRIED
        } else {
            INQ_NEVER
        };
        StreamIo {
            uring,
            io,
            short_transfer_drains,
            inq: AtomicU8::new(inq),
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
        if let Some(u) = &self.uring {
            return u.poll_read(cx, buf);
        }
        let len = buf.len();
        if self.inq.load(Ordering::Relaxed) == INQ_ON {
            let res = self.io.poll_read_drains(cx, |s| {
                sys::recv_inq(s, buf).map(|(n, left)| (n, left == Some(0)))
            });
            self.after_inq_read(&res, len);
            return res;
        }
        let want = self.want(len);
        let res = self.io.poll_read_stream(cx, want, |s| sys::recv(s, buf, 0));
        self.after_plain_read(&res, len);
        res
    }

    /// Rules 6 and 7: a plain read that fills its whole buffer makes the next read a
    /// `recvmsg`, turning `TCP_INQ` on the first time.
    fn after_plain_read(&self, res: &Poll<io::Result<usize>>, len: usize) {
        if !matches!(res, Poll::Ready(Ok(n)) if *n > 0 && *n == len) {
            return;
        }
        let next = match self.inq.load(Ordering::Relaxed) {
            INQ_IDLE => INQ_ON,
            INQ_UNTRIED => match sys::set_tcp_inq(self.io.get_ref()) {
                Ok(()) => INQ_ON,
                Err(_) => INQ_NEVER,
            },
            _ => return,
        };
        self.inq.store(next, Ordering::Relaxed);
    }

    /// Rule 7: after a short `recvmsg` (or end-of-stream) reads are plain `recv` again.
    fn after_inq_read(&self, res: &Poll<io::Result<usize>>, len: usize) {
        if matches!(res, Poll::Ready(Ok(n)) if *n < len) {
            self.inq.store(INQ_IDLE, Ordering::Relaxed);
        }
    }

    /// Like [`poll_read`](Self::poll_read) into possibly uninitialised memory: on
    /// `Ok(n)` the first `n <= buf.len()` bytes of `buf` were written by the kernel.
    pub(crate) fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        if let Some(u) = &self.uring {
            return u.poll_read_uninit(cx, buf);
        }
        let len = buf.len();
        if self.inq.load(Ordering::Relaxed) == INQ_ON {
            let res = self.io.poll_read_drains(cx, |s| {
                sys::recv_inq_uninit(s, buf).map(|(n, left)| (n, left == Some(0)))
            });
            self.after_inq_read(&res, len);
            return res;
        }
        let want = self.want(len);
        let res = self
            .io
            .poll_read_stream(cx, want, |s| sys::recv_uninit(s, buf, 0));
        self.after_plain_read(&res, len);
        res
    }

    /// Writes from `buf` (rule 2).
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(u) = &self.uring {
            return u.poll_write(cx, buf);
        }
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
        if let Some(u) = &self.uring {
            return u.poll_write_vectored(cx, bufs);
        }
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
        if let Some(res) = self.uring.as_ref().and_then(|u| u.try_read_buffered(buf)) {
            return res;
        }
        self.io
            .try_io(crate::Interest::READABLE, |s| sys::recv(s, buf, 0))
    }

    /// One non-blocking `send` if the reactor reported writability (rule 2).
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        if self.uring.as_ref().is_some_and(|u| u.send_in_flight()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.io
            .try_io(crate::Interest::WRITABLE, |s| sys::send(s, buf, 0))
    }

    /// `shutdown(2)` with the OS error unchanged (the public `shutdown` methods).
    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if let Some(u) = &self.uring {
            if how != Shutdown::Read && u.defer_shutdown_write()? {
                // The FIN follows the send in flight (rule 5).
                if how == Shutdown::Both {
                    sys::shutdown(self.io.get_ref(), Shutdown::Read)?;
                }
                return Ok(());
            }
        }
        sys::shutdown(self.io.get_ref(), how)
    }

    /// Waits until every byte reported written has been sent (io_uring's write-behind,
    /// rule 5); at once on epoll, where a write is a completed `send`.
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.uring {
            Some(u) => u.poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Closes the write direction; `ENOTCONN` is success (rule 4).
    pub(crate) fn poll_close(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(u) = &self.uring {
            std::task::ready!(u.poll_flush(cx))?;
        }
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

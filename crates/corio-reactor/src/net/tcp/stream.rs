//! [`TcpStream`]: a TCP connection.

use std::fmt;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

use socket2::Socket;

use crate::net::addr::ToSocketAddrs;
use crate::net::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::stream_io::StreamIo;
use crate::reactor::async_fd::Async;

/// A TCP connection (asyncio's `open_connection` reader and writer in one).
///
/// It implements `futures::io::{AsyncRead, AsyncWrite}` (also through `&TcpStream`), so
/// `futures::io::BufReader`, `copy`, `AsyncReadExt` and friends work unchanged. Writes
/// use `send`/`sendmsg` with `MSG_NOSIGNAL`: writing to a closed connection returns
/// `BrokenPipe` and never raises `SIGPIPE`. Reading after the peer closed returns `Ok(0)`.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::net::{TcpListener, TcpStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(listener.local_addr()?).await?;
/// client.set_nodelay(true)?;
/// let (server, _) = listener.accept().await?;
/// let (mut rd, mut wr) = server.into_split();
/// client.write_all(b"echo me").await?;
/// client.close().await?; // half-close: the server reads EOF after the data
/// futures::io::copy(&mut rd, &mut wr).await?;
/// drop(wr); // dropping the owned write half shuts it down: the client reads EOF
/// let mut back = Vec::new();
/// client.read_to_end(&mut back).await?;
/// assert_eq!(back, b"echo me");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct TcpStream {
    pub(crate) io: StreamIo<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr` with Happy Eyeballs (RFC 8305): the resolved addresses are
    /// tried with the families interleaved, the next attempt starting 250 ms after the
    /// previous one (or at once when it fails); the first to connect wins and the others
    /// are cancelled. [`HappyEyeballs`](crate::net::HappyEyeballs) changes the delay
    /// and interleaving. Host names are resolved on the blocking pool, numeric
    /// addresses inline.
    ///
    /// # Errors
    /// The OS error of the last attempt to fail, unchanged (`ConnectionRefused`, ...);
    /// the resolver's error for a name that does not resolve; outside a runtime, the
    /// `NoRuntime` error naming `corio::net::TcpStream::connect`.
    ///
    /// # Cancel safety
    /// Dropping the future closes every socket being connected.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        crate::net::HappyEyeballs::new().connect(addr).await
    }

    /// Wraps a connected std stream (switching it to non-blocking).
    ///
    /// # Errors
    /// Outside a runtime, the `NoRuntime` error naming this function.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let io = Async::new_named(stream, "corio::net::TcpStream::from_std")?;
        Ok(TcpStream::from_async(io))
    }

    pub(crate) fn from_accepted(
        s: Socket,
        listener: &Async<std::net::TcpListener>,
    ) -> io::Result<TcpStream> {
        let io = Async::with_registration(std::net::TcpStream::from(s), listener.registration())?;
        Ok(TcpStream::from_async(io))
    }

    pub(crate) fn from_async(io: Async<std::net::TcpStream>) -> TcpStream {
        TcpStream {
            io: StreamIo::tcp(io),
        }
    }

    /// The local address.
    ///
    /// # Errors
    /// The OS error from `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// The OS error from `getpeername` (`NotConnected` once the peer is gone).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    /// The OS error from `getsockopt`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Shuts down the read, write or both directions (`Shutdown::Write` is a half-close:
    /// the peer reads end-of-file, and can still send to us).
    ///
    /// # Errors
    /// The OS error from `shutdown(2)` (`NotConnected`...).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Receives data without removing it from the socket's queue.
    ///
    /// # Errors
    /// The OS error, unchanged.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_fd()
            .read_with(|s| crate::sys::recv(s, buf, libc::MSG_PEEK))
            .await
    }

    /// Waits until the stream is readable (see [`Async::readable`]).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.async_fd().readable().await
    }

    /// Waits until the stream is writable (see [`Async::writable`]).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.async_fd().writable().await
    }

    /// Waits until the reactor reports any of `interest` (tokio's `ready`); use it with
    /// [`try_read`](Self::try_read) / [`try_write`](Self::try_write).
    ///
    /// # Errors
    /// When the reactor has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe.
    /// # Examples
    ///
    /// ```
    /// # corio::run(async {
    /// use corio_reactor::net::{TcpListener, TcpStream};
    /// use corio_reactor::Interest;
    /// use std::io::ErrorKind;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// client.try_write(b"hi")?;
    /// let mut buf = [0; 8];
    /// loop {
    ///     let ready = server.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     if ready.is_readable() {
    ///         match server.try_read(&mut buf) {
    ///             Ok(n) => { assert_eq!(&buf[..n], b"hi"); break; }
    ///             Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    /// }
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn ready(&self, interest: crate::Interest) -> io::Result<crate::Ready> {
        self.io.async_fd().ready(interest).await
    }

    /// Reads what is available now, without waiting: `WouldBlock` if nothing is (then
    /// [`ready`](Self::ready) waits for more). `Ok(0)` is end-of-stream.
    ///
    /// # Errors
    /// `WouldBlock`; other OS errors unchanged.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// `AsyncRead::poll_read` into possibly uninitialised memory, so a caller with a
    /// fresh `MaybeUninit` buffer (hyper's read buffer) need not zero it first. On
    /// `Ready(Ok(n))` the first `n <= buf.len()` bytes of `buf` are initialised (written by
    /// the kernel); `Ok(0)` is end-of-stream (or an empty `buf`). `Pending` registers `cx`'s
    /// waker for readability, like `poll_read`.
    ///
    /// # Errors
    /// OS errors unchanged (never `WouldBlock`: that is `Pending`).
    pub fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_uninit(cx, buf)
    }

    /// Writes what fits now, without waiting: `WouldBlock` if nothing does.
    ///
    /// # Errors
    /// `WouldBlock`; `BrokenPipe` and other OS errors unchanged.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// Borrowed halves: read in one future while writing in another.
    pub fn split(&mut self) -> (ReadHalf<'_, TcpStream>, WriteHalf<'_, TcpStream>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Owned halves, e.g. to move into two tasks. Dropping the write half shuts down the
    /// write direction; [`OwnedReadHalf::reunite`] puts them back together.
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        split::into_split(self)
    }

    /// The underlying std stream (non-blocking).
    pub fn get_ref(&self) -> &std::net::TcpStream {
        self.io.get_ref()
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsyncRead for &TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_close(cx)
    }
}

impl AsyncWrite for &TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_close(cx)
    }
}

impl split::Splittable for TcpStream {}
impl split::sealed::Sealed for TcpStream {
    type Socket = std::net::TcpStream;
    fn stream_io(&self) -> &StreamIo<std::net::TcpStream> {
        &self.io
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.io.get_ref().as_raw_fd())
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

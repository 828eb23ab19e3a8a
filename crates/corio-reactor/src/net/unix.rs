//! Unix-domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].

use std::fmt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};
use futures::Stream;
use socket2::{Domain, SockAddr, Socket, Type};

use crate::net::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::stream_io::StreamIo;
use crate::reactor::async_fd::Async;

/// A Unix-domain stream server socket.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::net::{UnixListener, UnixStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let path = std::env::temp_dir().join(format!("corio-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let mut client = UnixStream::connect(&path).await?;
/// let (mut server, _) = listener.accept().await?;
/// client.write_all(b"hi").await?;
/// let mut buf = [0; 2];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hi");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct UnixListener {
    io: Async<std_unix::UnixListener>,
}

impl UnixListener {
    /// Binds to the filesystem `path` and listens (backlog 1024).
    ///
    /// # Errors
    /// `AddrInUse` if the path exists; other OS errors unchanged; outside a runtime, the
    /// `NoRuntime` error naming `corio::net::UnixListener::bind`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        const NAME: &str = "corio::net::UnixListener::bind";
        crate::reactor::ReactorHandle::current(NAME)?;
        let s = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        s.bind(&SockAddr::unix(path)?)?;
        s.listen(1024)?;
        let io = Async::new_named(
            std_unix::UnixListener::from(std::os::fd::OwnedFd::from(s)),
            NAME,
        )?;
        Ok(UnixListener { io })
    }

    /// Wraps a std listener (switching it to non-blocking).
    ///
    /// # Errors
    /// Outside a runtime, the `NoRuntime` error naming this function.
    pub fn from_std(listener: std_unix::UnixListener) -> io::Result<UnixListener> {
        let io = Async::new_named(listener, "corio::net::UnixListener::from_std")?;
        Ok(UnixListener { io })
    }

    /// Waits for and accepts a connection.
    ///
    /// # Errors
    /// The OS error unchanged (`EMFILE`, ...).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, a) = self.io.read_with(|l| l.accept()).await?;
        Ok((UnixStream::from_accepted(s, &self.io)?, a))
    }

    /// The `poll` form of [`accept`](Self::accept), for one task at a time.
    ///
    /// # Errors
    /// As for [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.io.poll_read_with(cx, |l| l.accept()).map(|r| {
            let (s, a) = r?;
            Ok((UnixStream::from_accepted(s, &self.io)?, a))
        })
    }

    /// The stream of incoming connections (never ends; errors are items).
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The bound address.
    ///
    /// # Errors
    /// The OS error from `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

/// The stream returned by [`UnixListener::incoming`].
#[must_use = "streams do nothing unless polled"]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|r| Some(r.map(|(s, _)| s)))
    }
}

/// A Unix-domain stream connection; `AsyncRead + AsyncWrite`, splittable like
/// [`TcpStream`](crate::net::TcpStream). Writes never raise `SIGPIPE`.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::net::UnixStream;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"abc").await?;
/// drop(a);
/// let mut s = String::new();
/// b.read_to_string(&mut s).await?;
/// assert_eq!(s, "abc");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct UnixStream {
    io: StreamIo<std_unix::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    /// `NotFound`, `ConnectionRefused`, `WouldBlock` (the listener's backlog is full) and
    /// other OS errors unchanged; outside a runtime, the `NoRuntime` error naming
    /// `corio::net::UnixStream::connect`.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        const NAME: &str = "corio::net::UnixStream::connect";
        crate::reactor::ReactorHandle::current(NAME)?;
        let s = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        match s.connect(&SockAddr::unix(path)?) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let io = Async::new_named(
            std_unix::UnixStream::from(std::os::fd::OwnedFd::from(s)),
            NAME,
        )?;
        io.write_with(|s| crate::net::tcp::connect_result(s.take_error(), s.peer_addr().map(drop)))
            .await?;
        Ok(UnixStream::from_async(io))
    }

    /// A connected pair of streams.
    ///
    /// # Errors
    /// OS errors; outside a runtime, the `NoRuntime` error naming this function.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        const NAME: &str = "corio::net::UnixStream::pair";
        let (a, b) = std_unix::UnixStream::pair()?;
        Ok((
            UnixStream::from_async(Async::new_named(a, NAME)?),
            UnixStream::from_async(Async::new_named(b, NAME)?),
        ))
    }

    /// Wraps a std stream (switching it to non-blocking).
    ///
    /// # Errors
    /// Outside a runtime, the `NoRuntime` error naming this function.
    pub fn from_std(stream: std_unix::UnixStream) -> io::Result<UnixStream> {
        let io = Async::new_named(stream, "corio::net::UnixStream::from_std")?;
        Ok(UnixStream::from_async(io))
    }

    fn from_async(io: Async<std_unix::UnixStream>) -> UnixStream {
        UnixStream {
            io: StreamIo::unix(io),
        }
    }

    fn from_accepted(
        s: std_unix::UnixStream,
        l: &Async<std_unix::UnixListener>,
    ) -> io::Result<UnixStream> {
        s.set_nonblocking(true)?;
        Ok(UnixStream::from_async(Async::with_registration(
            s,
            l.registration(),
        )?))
    }

    /// Shuts down the read, write or both directions.
    ///
    /// # Errors
    /// The OS error from `shutdown(2)`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
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
    /// The OS error from `getpeername`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Waits until the reactor reports any of `interest` (tokio's `ready`); use it with
    /// [`try_read`](Self::try_read) / [`try_write`](Self::try_write).
    ///
    /// # Errors
    /// When the reactor has shut down.
    ///
    /// # Cancel safety
    /// Cancel safe.
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
    pub fn split(&mut self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Owned halves; dropping the write half shuts down the write direction.
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split::into_split(self)
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsyncRead for &UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsyncWrite for UnixStream {
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

impl AsyncWrite for &UnixStream {
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

impl split::Splittable for UnixStream {}
impl split::sealed::Sealed for UnixStream {
    type Socket = std_unix::UnixStream;
    fn stream_io(&self) -> &StreamIo<std_unix::UnixStream> {
        &self.io
    }
}

/// A Unix-domain datagram socket.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::net::UnixDatagram;
///
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"one").await?;
/// let mut buf = [0; 8];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"one");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct UnixDatagram {
    io: Async<std_unix::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to the filesystem `path`.
    ///
    /// # Errors
    /// `AddrInUse` if the path exists; outside a runtime, the `NoRuntime` error.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let s = std_unix::UnixDatagram::bind(path)?;
        Self::wrap(s, "corio::net::UnixDatagram::bind")
    }

    /// A socket bound to no address (it can still `send_to`).
    ///
    /// # Errors
    /// OS errors; outside a runtime, the `NoRuntime` error.
    pub fn unbound() -> io::Result<UnixDatagram> {
        Self::wrap(
            std_unix::UnixDatagram::unbound()?,
            "corio::net::UnixDatagram::unbound",
        )
    }

    /// A connected pair.
    ///
    /// # Errors
    /// OS errors; outside a runtime, the `NoRuntime` error.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        const NAME: &str = "corio::net::UnixDatagram::pair";
        let (a, b) = std_unix::UnixDatagram::pair()?;
        Ok((Self::wrap(a, NAME)?, Self::wrap(b, NAME)?))
    }

    fn wrap(s: std_unix::UnixDatagram, name: &'static str) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Async::new_named(s, name)?,
        })
    }

    /// Sets the default peer.
    ///
    /// # Errors
    /// OS errors unchanged.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends a datagram to `path`.
    ///
    /// # Errors
    /// OS errors unchanged.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|s| s.send_to(buf, path)).await
    }

    /// Receives a datagram and its sender's address.
    ///
    /// # Errors
    /// OS errors unchanged.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.recv_from(buf)).await
    }

    /// Sends to the connected peer.
    ///
    /// # Errors
    /// OS errors unchanged (`NotConnected`...).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|s| crate::sys::send(s, buf, 0)).await
    }

    /// Receives from the connected peer.
    ///
    /// # Errors
    /// OS errors unchanged.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|s| s.recv(buf)).await
    }

    /// The local address.
    ///
    /// # Errors
    /// The OS error from `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

macro_rules! fd_and_debug {
    ($($t:ident),*) => {$(
        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> RawFd {
                self.io.as_raw_fd()
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t)).field("fd", &self.io.as_raw_fd()).finish()
            }
        }
    )*};
}
fd_and_debug!(UnixListener, UnixStream, UnixDatagram);

impl fmt::Debug for UnixIncoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixIncoming")
            .field("listener", self.listener)
            .finish()
    }
}

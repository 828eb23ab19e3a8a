//! [`TcpSocket`]: a TCP socket configured before it connects or listens.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::net::{TcpListener, TcpStream};
use crate::reactor::async_fd::Async;

/// The default `listen` backlog of [`TcpListener::bind`].
pub(crate) const DEFAULT_BACKLOG: u32 = 1024;

/// A TCP socket not yet connected or listening: set options (address/port reuse, buffer
/// sizes, no-delay), `bind`, then [`connect`](TcpSocket::connect) or
/// [`listen`](TcpSocket::listen).
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::net::TcpSocket;
///
/// let socket = TcpSocket::new_v4()?;
/// socket.set_reuseaddr(true)?;
/// socket.set_recv_buffer_size(256 * 1024)?;
/// socket.bind("127.0.0.1:0".parse().unwrap())?;
/// let listener = socket.listen(128)?;
/// let stream = TcpSocket::new_v4()?.connect(listener.local_addr()?).await?;
/// let (_server_side, peer) = listener.accept().await?;
/// assert_eq!(peer, stream.local_addr()?);
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (non-blocking, close-on-exec).
    ///
    /// # Errors
    /// The OS error from `socket(2)` (e.g. `EMFILE`).
    pub fn new_v4() -> io::Result<TcpSocket> {
        Self::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket (non-blocking, close-on-exec).
    ///
    /// # Errors
    /// The OS error from `socket(2)`.
    pub fn new_v6() -> io::Result<TcpSocket> {
        Self::new(Domain::IPV6)
    }

    pub(crate) fn new_for(addr: &SocketAddr) -> io::Result<TcpSocket> {
        Self::new(Domain::for_address(*addr))
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        let inner = Socket::new(domain, Type::STREAM.nonblocking(), Some(Protocol::TCP))?;
        Ok(TcpSocket { inner })
    }

    /// Allows binding an address in `TIME_WAIT` (`SO_REUSEADDR`).
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_reuseaddr(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuse)
    }

    /// Lets several sockets bind the same address and port (`SO_REUSEPORT`).
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_reuseport(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuse)
    }

    /// Sets `SO_SNDBUF` (the kernel may double or clamp it).
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// The current `SO_SNDBUF`.
    ///
    /// # Errors
    /// The OS error from `getsockopt`.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner.send_buffer_size().map(|n| n as u32)
    }

    /// Sets `SO_RCVBUF` (the kernel may double or clamp it).
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// The current `SO_RCVBUF`.
    ///
    /// # Errors
    /// The OS error from `getsockopt`.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner.recv_buffer_size().map(|n| n as u32)
    }

    /// Disables Nagle's algorithm on the future connection (`TCP_NODELAY`).
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Binds to `addr`.
    ///
    /// # Errors
    /// `AddrInUse` when the address is taken, `AddrNotAvailable`, `PermissionDenied`...
    /// as the OS reports them.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&SockAddr::from(addr))
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    /// The OS error from `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sock_addr(self.inner.local_addr()?)
    }

    /// Connects to `addr` and waits until the connection is established.
    ///
    /// # Errors
    /// The OS error unchanged: `ConnectionRefused`, `TimedOut`, `NetworkUnreachable`...;
    /// outside a runtime, the `NoRuntime` error naming `corio::net::TcpSocket::connect`.
    ///
    /// # Cancel safety
    /// Dropping the future closes the half-open socket.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        match self.inner.connect(&SockAddr::from(addr)) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let io = Async::new_named(
            std::net::TcpStream::from(self.inner),
            "corio::net::TcpSocket::connect",
        )?;
        // Writable means the handshake finished, successfully or not.
        io.write_with(|s| connect_result(s.take_error(), s.peer_addr().map(drop)))
            .await?;
        Ok(TcpStream::from_async(io))
    }

    /// Starts listening with the given `backlog` of pending connections.
    ///
    /// # Errors
    /// The OS error from `listen(2)`; outside a runtime, the `NoRuntime` error naming
    /// `corio::net::TcpSocket::listen`.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.inner.listen(backlog.min(i32::MAX as u32) as i32)?;
        TcpListener::from_socket(self.inner, "corio::net::TcpSocket::listen")
    }
}

/// The outcome of a non-blocking connect: `SO_ERROR` if set, `WouldBlock` while the
/// handshake is in progress (`getpeername` says `NotConnected`), `Ok` once connected.
pub(crate) fn connect_result(
    so_error: io::Result<Option<io::Error>>,
    peer: io::Result<()>,
) -> io::Result<()> {
    if let Some(e) = so_error? {
        return Err(e);
    }
    match peer {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
        other => other,
    }
}

pub(crate) fn sock_addr(a: SockAddr) -> io::Result<SocketAddr> {
    a.as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not an IP socket address"))
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("fd", &self.inner.as_raw_fd())
            .finish()
    }
}

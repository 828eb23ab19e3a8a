//! [`TcpListener`]: accepts TCP connections.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use socket2::Socket;

use crate::net::addr::{each_addr, resolve, ToSocketAddrs};
use crate::net::tcp::socket::{sock_addr, TcpSocket, DEFAULT_BACKLOG};
use crate::net::TcpStream;
use crate::reactor::async_fd::Async;
use crate::uring::accept::UringAccept;

/// A TCP server socket (asyncio's `start_server`).
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
/// let (mut server, _peer) = listener.accept().await?;
/// client.write_all(b"hello").await?;
/// let mut buf = [0; 5];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hello");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct TcpListener {
    /// Multishot accept when the listener is on the io_uring driver.
    uring: Option<Box<UringAccept>>,
    io: Async<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (with `SO_REUSEADDR`, backlog 1024) and starts listening. Host
    /// names are resolved on the blocking pool; every resolved address is tried in turn.
    ///
    /// # Errors
    /// `AddrInUse` when the port is taken (the OS error, unchanged); resolution errors;
    /// outside a runtime, the `NoRuntime` error naming `corio::net::TcpListener::bind`.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        const NAME: &str = "corio::net::TcpListener::bind";
        crate::reactor::ReactorHandle::current(NAME)?;
        let addrs = resolve(&addr, NAME).await?;
        each_addr(addrs, |a| async move {
            let s = TcpSocket::new_for(&a)?;
            s.set_reuseaddr(true)?;
            s.bind(a)?;
            s.listen(DEFAULT_BACKLOG)
        })
        .await
    }

    pub(crate) fn from_socket(s: Socket, function: &'static str) -> io::Result<TcpListener> {
        let io = Async::new_named(std::net::TcpListener::from(s), function)?;
        Ok(TcpListener::from_async(io))
    }

    /// Wraps a listening std socket (switching it to non-blocking).
    ///
    /// # Errors
    /// Outside a runtime, the `NoRuntime` error naming this function.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let io = Async::new_named(listener, "corio::net::TcpListener::from_std")?;
        Ok(TcpListener::from_async(io))
    }

    /// Waits for and accepts a connection.
    ///
    /// # Errors
    /// The OS error unchanged, e.g. `EMFILE` when the process is out of descriptors (the
    /// pending connection stays queued: accept again once descriptors are free).
    ///
    /// # Cancel safety
    /// Cancel safe: a connection is taken from the kernel only inside a poll that then
    /// returns it.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        if self.uring.is_some() {
            return std::future::poll_fn(|cx| self.poll_accept(cx)).await;
        }
        let (s, addr) = self.io.read_with(accept).await?;
        Ok((TcpStream::from_accepted(s, &self.io)?, addr))
    }

    /// The `poll` form of [`accept`](Self::accept), for one task at a time.
    ///
    /// # Errors
    /// As for [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        if let Some(u) = &self.uring {
            return u.poll_accept(cx).map(|r| {
                let (s, addr) = r?;
                let addr = sock_addr(addr)?;
                Ok((TcpStream::from_accepted(s, &self.io)?, addr))
            });
        }
        self.io.poll_read_with(cx, accept).map(|r| {
            let (s, addr) = r?;
            Ok((TcpStream::from_accepted(s, &self.io)?, addr))
        })
    }

    /// The stream of incoming connections (never ends; errors are items).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// The OS error from `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of accepted connections.
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }
}

impl TcpListener {
    fn from_async(io: Async<std::net::TcpListener>) -> TcpListener {
        let uring = io.registration().handle().uring().map(|shared| {
            let ipv6 = io.get_ref().local_addr().is_ok_and(|a| a.is_ipv6());
            Box::new(UringAccept::new(shared.clone(), io.as_raw_fd(), ipv6))
        });
        TcpListener { uring, io }
    }
}

fn accept(l: &std::net::TcpListener) -> io::Result<(Socket, SocketAddr)> {
    let sock = socket2::SockRef::from(l);
    let (s, addr) = sock.accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)?;
    Ok((s, sock_addr(addr)?))
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.io.as_raw_fd())
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}

/// The stream returned by [`TcpListener::incoming`].
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|r| Some(r.map(|(s, _)| s)))
    }
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", self.listener)
            .finish()
    }
}

//! [`UdpSocket`]: datagrams over UDP.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::net::addr::{each_addr, resolve, ToSocketAddrs};
use crate::reactor::async_fd::Async;

/// A UDP socket. All operations take `&self` and any number of tasks may wait on the
/// same socket at once (e.g. share it in an `Arc`).
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"hi", b.local_addr()?).await?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct UdpSocket {
    io: Async<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (each resolved address tried in turn).
    ///
    /// # Errors
    /// `AddrInUse` and other OS errors unchanged; outside a runtime, the `NoRuntime`
    /// error naming `corio::net::UdpSocket::bind`.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        const NAME: &str = "corio::net::UdpSocket::bind";
        crate::reactor::ReactorHandle::current(NAME)?;
        let addrs = resolve(&addr, NAME).await?;
        each_addr(addrs, |a| async move {
            let s = Socket::new(
                Domain::for_address(a),
                Type::DGRAM.nonblocking(),
                Some(Protocol::UDP),
            )?;
            s.bind(&SockAddr::from(a))?;
            let io = Async::new_named(std::net::UdpSocket::from(s), NAME)?;
            Ok(UdpSocket { io })
        })
        .await
    }

    /// Wraps a std socket (switching it to non-blocking).
    ///
    /// # Errors
    /// Outside a runtime, the `NoRuntime` error naming this function.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let io = Async::new_named(socket, "corio::net::UdpSocket::from_std")?;
        Ok(UdpSocket { io })
    }

    /// Sets the default peer for [`send`](Self::send)/[`recv`](Self::recv) and filters
    /// incoming datagrams to that peer.
    ///
    /// # Errors
    /// Resolution and OS errors.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let addrs = resolve(&addr, "corio::net::UdpSocket::connect").await?;
        each_addr(addrs, |a| async move { self.io.get_ref().connect(a) }).await
    }

    /// Sends `buf` to `target`; returns the bytes sent.
    ///
    /// # Errors
    /// The OS error unchanged (e.g. `ConnectionRefused` reported from an earlier ICMP
    /// message on a connected socket).
    ///
    /// # Cancel safety
    /// Cancel safe: the datagram is either sent by a poll that returns or not at all.
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let addrs = resolve(&target, "corio::net::UdpSocket::send_to").await?;
        let addr = addrs[0];
        self.io.write_with(|s| s.send_to(buf, addr)).await
    }

    /// Receives one datagram into `buf` (excess bytes of a longer datagram are
    /// discarded); returns its length and sender.
    ///
    /// # Errors
    /// The OS error unchanged.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.recv_from(buf)).await
    }

    /// Like [`recv_from`](Self::recv_from) without removing the datagram.
    ///
    /// # Errors
    /// The OS error unchanged.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.peek_from(buf)).await
    }

    /// Sends `buf` to the connected peer.
    ///
    /// # Errors
    /// `NotConnected` if [`connect`](Self::connect) was not called; OS errors unchanged.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|s| s.send(buf)).await
    }

    /// Receives a datagram from the connected peer.
    ///
    /// # Errors
    /// OS errors unchanged (`ConnectionRefused` after an ICMP port-unreachable).
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

    /// The connected peer's address.
    ///
    /// # Errors
    /// `NotConnected` if not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    /// The OS error from `setsockopt`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// The underlying std socket (non-blocking).
    pub fn get_ref(&self) -> &std::net::UdpSocket {
        self.io.get_ref()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.io.as_raw_fd())
            .field("local", &self.local_addr().ok())
            .finish()
    }
}

//! [`UdpSocket`]: datagrams over UDP.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
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

    /// Joins the IPv4 multicast group `group` on the interface with address
    /// `interface` (`Ipv4Addr::UNSPECIFIED`: the kernel picks).
    ///
    /// # Errors
    /// `InvalidInput` (`EINVAL`) if `group` is not a multicast address; other OS errors
    /// unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// # corio::run(async {
    /// use corio_reactor::net::UdpSocket;
    /// use std::net::Ipv4Addr;
    ///
    /// let group = Ipv4Addr::new(239, 255, 0, 77);
    /// let rx = UdpSocket::bind("0.0.0.0:0").await?;
    /// rx.join_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.set_multicast_if_v4(Ipv4Addr::LOCALHOST)?;
    /// tx.send_to(b"hello group", (group, rx.local_addr()?.port())).await?;
    /// let mut buf = [0; 32];
    /// let n = rx.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"hello group");
    /// rx.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group joined with [`join_multicast_v4`](Self::join_multicast_v4).
    ///
    /// # Errors
    /// `EADDRNOTAVAIL` if the group was not joined; other OS errors unchanged.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&group, &interface)
    }

    /// Joins the IPv6 multicast group `group` on interface index `interface` (0: any).
    ///
    /// # Errors
    /// OS errors unchanged.
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(group, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    /// OS errors unchanged.
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(group, interface)
    }

    /// Sets the interface outgoing IPv4 multicast datagrams leave through
    /// (`IP_MULTICAST_IF`).
    ///
    /// # Errors
    /// OS errors unchanged.
    pub fn set_multicast_if_v4(&self, interface: Ipv4Addr) -> io::Result<()> {
        socket2::SockRef::from(self.io.get_ref()).set_multicast_if_v4(&interface)
    }

    /// Whether this host's own multicast datagrams loop back to it (`IP_MULTICAST_LOOP`,
    /// on by default).
    ///
    /// # Errors
    /// OS errors unchanged.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// Sets the TTL of outgoing IPv4 multicast datagrams (1 by default: this network).
    ///
    /// # Errors
    /// OS errors unchanged.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// Waits until the reactor reports any of `interest` (tokio's `ready`).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn ready(&self, interest: crate::Interest) -> io::Result<crate::Ready> {
        self.io.ready(interest).await
    }

    /// Receives one datagram if one is queued now, else `WouldBlock`.
    ///
    /// # Errors
    /// `WouldBlock`; OS errors unchanged.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .try_io(crate::Interest::READABLE, |s| s.recv_from(buf))
    }

    /// Sends one datagram to `target` if it fits now, else `WouldBlock`.
    ///
    /// # Errors
    /// `WouldBlock`; OS errors unchanged.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .try_io(crate::Interest::WRITABLE, |s| s.send_to(buf, target))
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

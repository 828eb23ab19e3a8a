//! Socket address conversion and host-name resolution.
//!
//! Numeric addresses (`"127.0.0.1:8080"`, `SocketAddr`, `(IpAddr, u16)`) are converted
//! inline. Host names (`"localhost:8080"`, `("example.com", 80)`) are resolved with the
//! system resolver (`getaddrinfo`, which blocks) on the runtime's blocking pool.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::blocking;

/// Something that names one or more socket addresses: a `SocketAddr`, an `(ip, port)`
/// pair, a `"host:port"` string, a `(host, port)` pair, or a slice of `SocketAddr`s.
///
/// # Examples
///
/// ```
/// # fn f() -> impl corio_reactor::net::ToSocketAddrs { "127.0.0.1:8080" }
/// use corio_reactor::net::ToSocketAddrs;
/// fn takes(_: impl ToSocketAddrs) {}
/// takes("127.0.0.1:8080");
/// takes(("localhost", 8080));
/// takes(std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

#[allow(unreachable_pub)]
mod sealed {
    use super::Resolve;
    /// Private half of `ToSocketAddrs`.
    pub trait Sealed {
        /// Converts numeric forms inline; names a host otherwise.
        fn resolve(&self) -> Resolve;
    }
}

/// The result of an inline conversion (reachable only through the sealed trait).
#[allow(unreachable_pub)]
#[derive(Debug)]
pub enum Resolve {
    /// Already numeric.
    Ready(Vec<SocketAddr>),
    /// A host name to resolve on the blocking pool (`"host:port"`), or an error.
    Host(String),
    /// A malformed input.
    Invalid(&'static str),
}

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl sealed::Sealed for $t {
            fn resolve(&self) -> Resolve {
                Resolve::Ready(vec![SocketAddr::from(*self)])
            }
        }
    )*};
}
numeric!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
    ([u8; 4], u16),
    ([u16; 8], u16)
);

impl ToSocketAddrs for str {}
impl sealed::Sealed for str {
    fn resolve(&self) -> Resolve {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Resolve::Ready(vec![addr]);
        }
        match self.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() => Resolve::Host(self.to_owned()),
            _ => Resolve::Invalid("invalid socket address: expected \"host:port\""),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn resolve(&self) -> Resolve {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn resolve(&self) -> Resolve {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => Resolve::Ready(vec![SocketAddr::new(ip, port)]),
            Err(_) => Resolve::Host(format!("{host}:{port}")),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn resolve(&self) -> Resolve {
        (self.0.as_str(), self.1).resolve()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Sealed for [SocketAddr] {
    fn resolve(&self) -> Resolve {
        Resolve::Ready(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn resolve(&self) -> Resolve {
        (**self).resolve()
    }
}

/// Resolves `addr`: inline when numeric, on the blocking pool for host names.
///
/// # Errors
/// `InvalidInput` for a malformed address or a name with no addresses; the resolver's
/// error; or, for a host name outside a runtime, the `NoRuntime` error naming `function`.
pub(crate) async fn resolve<A: ToSocketAddrs + ?Sized>(
    addr: &A,
    function: &'static str,
) -> io::Result<Vec<SocketAddr>> {
    let addrs = match addr.resolve() {
        Resolve::Ready(v) => v,
        Resolve::Invalid(msg) => return Err(io::Error::new(io::ErrorKind::InvalidInput, msg)),
        Resolve::Host(host) => {
            blocking::run(function, move || {
                std::net::ToSocketAddrs::to_socket_addrs(&host).map(|it| it.collect::<Vec<_>>())
            })
            .await?
        }
    };
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        ));
    }
    Ok(addrs)
}

/// Tries `f` on each address in turn; returns the first success or the last error.
pub(crate) async fn each_addr<T, F, Fut>(addrs: Vec<SocketAddr>, mut f: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addrs {
        match f(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

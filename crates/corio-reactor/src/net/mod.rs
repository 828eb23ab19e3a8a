//! Networking: TCP, UDP and Unix-domain sockets on the reactor.
//!
//! Every type registers with the current runtime's reactor when it is created (found in
//! the runtime context); outside a runtime, constructors fail with an `io::Error`
//! carrying [`corio_core::NoRuntime`]'s message naming the function. OS errors
//! (`ConnectionRefused`, `ConnectionReset`, `BrokenPipe`, `AddrInUse`, ...) are returned
//! unchanged.

mod addr;
mod happy_eyeballs;
pub(crate) mod split;
mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::ToSocketAddrs;
pub use happy_eyeballs::{lookup_host, HappyEyeballs, DEFAULT_DELAY};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, Splittable, WriteHalf};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

//! TCP: [`TcpListener`], [`TcpStream`] and the [`TcpSocket`] builder.

mod listener;
mod socket;
mod stream;

pub use listener::{Incoming, TcpListener};
pub(crate) use socket::connect_result;
pub use socket::TcpSocket;
pub use stream::TcpStream;

/// The owned reading half of a [`TcpStream`].
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<TcpStream>;
/// The owned writing half of a [`TcpStream`].
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<TcpStream>;
/// The borrowed reading half of a [`TcpStream`].
pub type ReadHalf<'a> = crate::net::split::ReadHalf<'a, TcpStream>;
/// The borrowed writing half of a [`TcpStream`].
pub type WriteHalf<'a> = crate::net::split::WriteHalf<'a, TcpStream>;

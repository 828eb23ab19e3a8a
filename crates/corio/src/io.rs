//! Network, file, signal and subprocess I/O (re-exported from `corio-reactor`), on the
//! runtime's epoll reactor, and the I/O utilities: [`copy_bidirectional`], [`duplex`],
//! [`codec`] (lines and length-delimited framing), `ready`'s [`Interest`]/[`Ready`]. The modules are also at the crate root: [`crate::net`],
//! [`crate::fs`], [`crate::signal`], [`crate::process`].
//!
//! Streams implement `futures::io::{AsyncRead, AsyncWrite}`, so `futures`'
//! `AsyncReadExt`, `AsyncWriteExt`, `BufReader` and `copy` work on them unchanged.
//!
//! # Examples
//!
//! ```
//! use corio::net::{TcpListener, TcpStream};
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//!
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = corio::spawn(async move {
//!         let (mut conn, _) = listener.accept().await.unwrap();
//!         let mut buf = [0; 5];
//!         conn.read_exact(&mut buf).await.unwrap();
//!         conn.write_all(&buf).await.unwrap();
//!     });
//!     let mut client = TcpStream::connect(addr).await.unwrap();
//!     client.write_all(b"hello").await.unwrap();
//!     let mut echo = [0; 5];
//!     client.read_exact(&mut echo).await.unwrap();
//!     assert_eq!(&echo, b"hello");
//!     server.await.unwrap();
//! });
//! ```

pub use corio_reactor::io::{codec, copy_bidirectional, duplex, DuplexStream};
pub use corio_reactor::{Async, Interest, Ready};
pub use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};

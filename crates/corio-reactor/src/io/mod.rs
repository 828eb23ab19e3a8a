//! I/O utilities every protocol reaches for: [`copy_bidirectional`] (a proxy's loop),
//! [`duplex`] (an in-memory pipe), and [`codec`] (lines and length-delimited framing as
//! `Stream`/`Sink`), plus [`Interest`](crate::Interest)/[`Ready`](crate::Ready) for
//! `ready()` on sockets.
//!
//! They work on any `futures::io::{AsyncRead, AsyncWrite}`, so on every corio socket,
//! pipe and file. For `read_line`, `lines` and `read_until`, use `futures`'
//! `AsyncBufReadExt` on a `BufReader` (re-exported by `corio::prelude`).

pub mod codec;
mod copy_bidirectional;
mod duplex;

pub use copy_bidirectional::copy_bidirectional;
pub use duplex::{duplex, DuplexStream};

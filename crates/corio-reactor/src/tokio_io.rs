//! tokio's I/O traits for corio's streams (the `tokio-io` feature).
//!
//! Many crates (tokio-postgres, tokio-tungstenite, tokio-rustls, h2, ...) are written
//! against `tokio::io::{AsyncRead, AsyncWrite}`, not against `futures-io`. Under this
//! feature corio's streams implement both trait families, so those crates run on corio
//! unchanged. tokio is used as a library of traits only: no tokio runtime, reactor or
//! timer is built or started (tokio with `default-features = false`).
//!
//! | corio type | tokio `AsyncRead` | tokio `AsyncWrite` |
//! |---|---|---|
//! | [`net::TcpStream`](crate::net::TcpStream), [`net::UnixStream`](crate::net::UnixStream) | yes | yes (vectored) |
//! | [`net::ReadHalf`](crate::net::ReadHalf), [`net::OwnedReadHalf`](crate::net::OwnedReadHalf) | yes | |
//! | [`net::WriteHalf`](crate::net::WriteHalf), [`net::OwnedWriteHalf`](crate::net::OwnedWriteHalf) | | yes (vectored) |
//! | [`fs::File`](crate::fs::File) | yes | yes |
//! | [`process::ChildStdout`](crate::process::ChildStdout), [`process::ChildStderr`](crate::process::ChildStderr) | yes | |
//! | [`process::ChildStdin`](crate::process::ChildStdin) | | yes |
//!
//! # Examples
//!
//! tokio's extension traits work on a corio `TcpStream` (here with tokio's `io-util`
//! feature, which the doc test enables):
//!
//! ```
//! use corio_reactor::net::{TcpListener, TcpStream};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
//!     let (mut server, _) = listener.accept().await.unwrap();
//!     AsyncWriteExt::write_all(&mut client, b"ping").await.unwrap();
//!     let mut buf = [0u8; 4];
//!     AsyncReadExt::read_exact(&mut server, &mut buf).await.unwrap();
//!     assert_eq!(&buf, b"ping");
//! });
//! ```
//!
//! # Implementation
//! Each impl forwards to the type's `futures-io` impl. tokio reads into a `ReadBuf` that
//! may be uninitialised; `ReadBuf::initialize_unfilled` zeroes the unfilled part once
//! (the buffer remembers what is initialised), so no `unsafe` is needed. `poll_shutdown`
//! is `poll_close`: a write-side `shutdown(2)` for sockets, a flush for files and pipes.
//! `ENOTCONN` from shutting down a socket whose peer already reset it counts as success,
//! as in tokio.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures::io::{AsyncRead as FRead, AsyncWrite as FWrite};

/// tokio's `poll_read` through a `futures-io` `poll_read`.
fn read_via<R: FRead + ?Sized>(
    r: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let dst = buf.initialize_unfilled();
    let n = ready!(r.poll_read(cx, dst))?;
    // `advance` panics past the initialised part: a reader claiming more bytes than it
    // was given is a bug in that reader, reported as an error instead.
    if n > buf.remaining() {
        return Poll::Ready(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "poll_read reported more bytes than the buffer holds",
        )));
    }
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// `poll_close` with `ENOTCONN` as success.
fn close_via<W: FWrite + ?Sized>(w: Pin<&mut W>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    match ready!(w.poll_close(cx)) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
        other => Poll::Ready(other),
    }
}

macro_rules! tokio_read {
    ($($t:ty $(, <$lt:lifetime>)? $(, [$g:ident: $b:path])?);* $(;)?) => {$(
        impl<$($lt,)? $($g: $b)?> tokio::io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                read_via(self, cx, buf)
            }
        }
    )*};
}

macro_rules! tokio_write {
    ($vectored:literal; $($t:ty $(, <$lt:lifetime>)? $(, [$g:ident: $b:path])?);* $(;)?) => {$(
        impl<$($lt,)? $($g: $b)?> tokio::io::AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                FWrite::poll_write(self, cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                FWrite::poll_write_vectored(self, cx, bufs)
            }
            fn is_write_vectored(&self) -> bool {
                $vectored
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                FWrite::poll_flush(self, cx)
            }
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                close_via(self, cx)
            }
        }
    )*};
}

use crate::net::{
    OwnedReadHalf, OwnedWriteHalf, ReadHalf, Splittable, TcpStream, UnixStream, WriteHalf,
};

tokio_read! {
    TcpStream;
    UnixStream;
    ReadHalf<'a, S>, <'a>, [S: Splittable];
    OwnedReadHalf<S>, [S: Splittable];
    crate::fs::File;
    crate::process::ChildStdout;
    crate::process::ChildStderr;
}

tokio_write! { true;
    TcpStream;
    UnixStream;
    WriteHalf<'a, S>, <'a>, [S: Splittable];
    OwnedWriteHalf<S>, [S: Splittable];
}

tokio_write! { false;
    crate::fs::File;
    crate::process::ChildStdin;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that claims one byte more than it was given.
    struct Liar;
    impl FRead for Liar {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            b: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(b.len() + 1))
        }
    }

    #[test]
    fn a_lying_reader_is_an_error_not_a_panic() {
        let mut backing = [0u8; 4];
        let mut buf = tokio::io::ReadBuf::new(&mut backing);
        let waker = futures::task::noop_waker();
        let res = read_via(
            Pin::new(&mut Liar),
            &mut Context::from_waker(&waker),
            &mut buf,
        );
        assert!(matches!(res, Poll::Ready(Err(ref e)) if e.kind() == io::ErrorKind::InvalidData));
        assert!(buf.filled().is_empty());
    }
}

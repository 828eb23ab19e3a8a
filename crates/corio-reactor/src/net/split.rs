//! Read and write halves of a stream (TCP or Unix), borrowed or owned.
//!
//! The reactor keeps separate reader and writer wakers per descriptor, so one task can
//! read while another writes. Dropping an [`OwnedWriteHalf`] shuts the write side down
//! (the peer reads EOF), like closing a Python `StreamWriter`.

use std::fmt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

/// A stream whose I/O works through `&self` ([`TcpStream`](crate::net::TcpStream),
/// [`UnixStream`](crate::net::UnixStream)), so it can be split into halves.
pub trait Splittable: sealed::Sealed {}

#[allow(unreachable_pub)]
pub(crate) mod sealed {
    use std::os::fd::AsRawFd;

    use crate::net::stream_io::StreamIo;

    /// Private access to the stream's I/O core.
    pub trait Sealed {
        /// The std socket type inside.
        type Socket: AsRawFd;
        /// The one stream-I/O implementation the halves forward to.
        fn stream_io(&self) -> &StreamIo<Self::Socket>;
    }
}

/// The reading half of a stream, borrowed from it by `split`.
pub struct ReadHalf<'a, S: Splittable>(pub(crate) &'a S);

/// The writing half of a stream, borrowed from it by `split`. `close` shuts down the
/// write direction.
pub struct WriteHalf<'a, S: Splittable>(pub(crate) &'a S);

/// The reading half of a stream, owned (from `into_split`).
pub struct OwnedReadHalf<S: Splittable>(pub(crate) Arc<S>);

/// The writing half of a stream, owned (from `into_split`). Dropping it (or `close`)
/// shuts down the write direction: the peer reads end-of-file.
pub struct OwnedWriteHalf<S: Splittable> {
    stream: Arc<S>,
    shutdown_on_drop: bool,
}

/// The two halves given to `reunite` came from different streams; both are handed back.
pub struct ReuniteError<S: Splittable>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: Splittable> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReuniteError").finish_non_exhaustive()
    }
}
impl<S: Splittable> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}
impl<S: Splittable> std::error::Error for ReuniteError<S> {}

pub(crate) fn into_split<S: Splittable>(s: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let a = Arc::new(s);
    (
        OwnedReadHalf(a.clone()),
        OwnedWriteHalf {
            stream: a,
            shutdown_on_drop: true,
        },
    )
}

impl<S: Splittable> OwnedReadHalf<S> {
    /// Puts the stream back together.
    ///
    /// # Errors
    /// [`ReuniteError`] (holding both halves) if they belong to different streams.
    pub fn reunite(self, mut other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.0, &other.stream) {
            return Err(ReuniteError(self, other));
        }
        other.shutdown_on_drop = false;
        drop(other);
        Ok(Arc::try_unwrap(self.0).unwrap_or_else(|_| unreachable!("the write half was dropped")))
    }

    /// The stream both halves share.
    pub fn stream(&self) -> &S {
        &self.0
    }
}

impl<S: Splittable> OwnedWriteHalf<S> {
    /// Puts the stream back together (see [`OwnedReadHalf::reunite`]).
    ///
    /// # Errors
    /// [`ReuniteError`] if the halves belong to different streams.
    pub fn reunite(self, other: OwnedReadHalf<S>) -> Result<S, ReuniteError<S>> {
        other.reunite(self)
    }

    /// The stream both halves share.
    pub fn stream(&self) -> &S {
        &self.stream
    }
}

impl<S: Splittable> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may already be gone (ENOTCONN): nothing to report from a drop.
            let _ = self.stream.stream_io().shutdown(Shutdown::Write);
        }
    }
}

macro_rules! debug_impl {
    ($name:ident $(<$lt:lifetime>)?) => {
        impl<$($lt,)? S: Splittable> fmt::Debug for $name<$($lt,)? S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}
debug_impl!(ReadHalf<'a>);
debug_impl!(WriteHalf<'a>);
debug_impl!(OwnedReadHalf);
debug_impl!(OwnedWriteHalf);

impl<S: Splittable> AsyncRead for ReadHalf<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.stream_io().poll_read(cx, buf)
    }
}

impl<S: Splittable> AsyncRead for OwnedReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.stream_io().poll_read(cx, buf)
    }
}

impl<S: Splittable> AsyncWrite for WriteHalf<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.stream_io().poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.stream_io().poll_write_vectored(cx, bufs)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.stream_io().poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.stream_io().poll_close(cx)
    }
}

impl<S: Splittable> AsyncWrite for OwnedWriteHalf<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.stream.stream_io().poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream.stream_io().poll_write_vectored(cx, bufs)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.stream_io().poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.stream_io().poll_close(cx)
    }
}

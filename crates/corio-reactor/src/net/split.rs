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
    use super::*;
    /// Private I/O through a shared reference.
    pub trait Sealed {
        fn poll_read_ref(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
        fn poll_write_ref(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
        fn poll_write_vectored_ref(
            &self,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>>;
        fn shutdown_ref(&self, how: Shutdown) -> io::Result<()>;
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
            let _ = self.stream.shutdown_ref(Shutdown::Write);
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
        self.0.poll_read_ref(cx, buf)
    }
}

impl<S: Splittable> AsyncRead for OwnedReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read_ref(cx, buf)
    }
}

macro_rules! write_impl {
    ($name:ident $(<$lt:lifetime>)?, $field:tt) => {
        impl<$($lt,)? S: Splittable> AsyncWrite for $name<$($lt,)? S> {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.$field.poll_write_ref(cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.$field.poll_write_vectored_ref(cx, bufs)
            }
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.$field.shutdown_ref(Shutdown::Write))
            }
        }
    };
}
write_impl!(WriteHalf<'a>, 0);
write_impl!(OwnedWriteHalf, stream);

/// Implements `AsyncRead`/`AsyncWrite` for a `Splittable` stream and for `&stream`.
macro_rules! stream_io_impls {
    ($t:ty) => {
        impl futures::io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::split::sealed::Sealed::poll_read_ref(&*self, cx, buf)
            }
        }
        impl futures::io::AsyncRead for &$t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::split::sealed::Sealed::poll_read_ref(&**self, cx, buf)
            }
        }
        impl futures::io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::split::sealed::Sealed::poll_write_ref(&*self, cx, buf)
            }
            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::split::sealed::Sealed::poll_write_vectored_ref(&*self, cx, bufs)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(crate::net::split::sealed::Sealed::shutdown_ref(
                    &*self,
                    std::net::Shutdown::Write,
                ))
            }
        }
        impl futures::io::AsyncWrite for &$t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::split::sealed::Sealed::poll_write_ref(&**self, cx, buf)
            }
            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::split::sealed::Sealed::poll_write_vectored_ref(&**self, cx, bufs)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(crate::net::split::sealed::Sealed::shutdown_ref(
                    &**self,
                    std::net::Shutdown::Write,
                ))
            }
        }
    };
}
pub(crate) use stream_io_impls;

/// Implements the private `&self` I/O of a stream wrapping `Async<std::...Stream>` in a
/// field named `io`, with `send`/`sendmsg` + `MSG_NOSIGNAL` for writes (never SIGPIPE).
///
/// `short_transfer_drains = true` (TCP) lets a short `recv`/`send` clear the readiness
/// it used (`Registration::poll_io_stream`); `false` (Unix streams, where a read also
/// stops early at a boundary between messages carrying different credentials or file
/// descriptors) keeps the plain "clear only on `WouldBlock`" rule (`want` = 0 never
/// counts as short).
macro_rules! sealed_stream_impl {
    ($t:ty, short_transfer_drains = $drains:expr) => {
        impl crate::net::split::Splittable for $t {}
        impl crate::net::split::sealed::Sealed for $t {
            fn poll_read_ref(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let want = if $drains { buf.len() } else { 0 };
                self.io
                    .poll_read_stream(cx, want, |s| crate::sys::recv(s, buf, 0))
            }
            fn poll_write_ref(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let want = if $drains { buf.len() } else { 0 };
                self.io
                    .poll_write_stream(cx, want, |s| crate::sys::send(s, buf, 0))
            }
            fn poll_write_vectored_ref(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                // Only the slices `sendmsg` is given count (at most UIO_MAXIOV).
                let want = if $drains {
                    bufs.iter()
                        .take(libc::UIO_MAXIOV as usize)
                        .map(|b| b.len())
                        .fold(0usize, usize::saturating_add)
                } else {
                    0
                };
                self.io
                    .poll_write_stream(cx, want, |s| crate::sys::send_vectored(s, bufs))
            }
            fn shutdown_ref(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.io.get_ref().shutdown(how)
            }
        }
        crate::net::split::stream_io_impls!($t);
    };
}
pub(crate) use sealed_stream_impl;

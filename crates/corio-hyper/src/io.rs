//! [`CorioIo`]: hyper's I/O traits over `futures-io` streams, and back.
//!
//! # Implementation
//! hyper reads into a buffer that may be uninitialised, while `futures_io::AsyncRead`
//! takes an initialised `&mut [u8]`. The adapter lets hyper's `ReadBufCursor` zero the
//! unfilled part (it remembers what is already initialised, so a region is zeroed at most
//! once per buffer), capped at [`READ_CHUNK`] bytes so a large adaptive read buffer is not
//! cleared in full on every read.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

/// The most bytes one `poll_read` asks the inner stream for (and zeroes beforehand).
const READ_CHUNK: usize = 64 * 1024;

pin_project! {
    /// Adapts an I/O stream between the `futures-io` traits (which corio's `TcpStream`,
    /// `UnixStream` and the split halves implement) and hyper's `hyper::rt::{Read, Write}`.
    ///
    /// Both directions, like hyper-util's `TokioIo`:
    /// - `T: futures_io::AsyncRead + AsyncWrite` → `CorioIo<T>` is `hyper::rt::Read +
    ///   Write`: hand it to `hyper::server::conn::*::serve_connection` or
    ///   `hyper::client::conn::*::handshake`.
    /// - `T: hyper::rt::Read + Write` (e.g. `hyper::upgrade::Upgraded`) →
    ///   `CorioIo<T>` is `futures_io::AsyncRead + AsyncWrite`, usable with
    ///   `futures::io::copy` and friends.
    ///
    /// `futures-io` cannot tell whether a stream's vectored writes are efficient, so
    /// hyper's `is_write_vectored` is `false` unless [`CorioIo::with_vectored_writes`]
    /// says otherwise. With `false` hyper copies small bodies into its header buffer and
    /// sends both with one `write`; with `true` it hands header and body buffers to
    /// `poll_write_vectored` (corio's `TcpStream` does one `sendmsg` for them).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    /// use corio_hyper::CorioIo;
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let io = CorioIo::new(stream);
    ///     println!("{io:?}");
    ///     let stream: TcpStream = io.into_inner();
    /// #   drop(stream);
    /// });
    /// ```
    pub struct CorioIo<T> {
        #[pin]
        inner: T,
        vectored: bool,
    }
}

impl<T> CorioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> CorioIo<T> {
        CorioIo {
            inner,
            vectored: false,
        }
    }

    /// Sets what hyper's `is_write_vectored` reports (default `false`); `true` only pays
    /// off for a stream with a real `poll_write_vectored` (corio's `TcpStream` has one).
    #[must_use = "with_vectored_writes returns the adapter; it does not change it in place"]
    pub fn with_vectored_writes(mut self, vectored: bool) -> CorioIo<T> {
        self.vectored = vectored;
        self
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> fmt::Debug for CorioIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorioIo")
            .field("inner", &std::any::type_name::<T>())
            .field("vectored", &self.vectored)
            .finish()
    }
}

// futures-io stream -> hyper.

impl<T: AsyncRead> hyper::rt::Read for CorioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let want = buf.remaining().min(READ_CHUNK);
        let dst = buf.initialize_unfilled_to(want);
        let n = ready!(self.project().inner.poll_read(cx, dst))?;
        if n > want {
            // A broken `AsyncRead` must not make us claim bytes beyond the buffer.
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "AsyncRead::poll_read reported more bytes than the buffer holds",
            )));
        }
        // SAFETY: `initialize_unfilled_to(want)` initialised the first `want` bytes of the
        // unfilled part, and `n <= want` was checked just above.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for CorioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    /// `ENOTCONN` from the close counts as success: the peer already reset the
    /// connection, so there is nothing left to shut down (tokio does the same).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(self.project().inner.poll_close(cx)) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            other => Poll::Ready(other),
        }
    }
}

// hyper stream -> futures-io.

impl<T: hyper::rt::Read> AsyncRead for CorioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut rb = hyper::rt::ReadBuf::new(buf);
        ready!(self.project().inner.poll_read(cx, rb.unfilled()))?;
        Poll::Ready(Ok(rb.filled().len()))
    }
}

impl<T: hyper::rt::Write> AsyncWrite for CorioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write(self.project().inner, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write_vectored(self.project().inner, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_flush(self.project().inner, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_shutdown(self.project().inner, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::{AsyncReadExt, AsyncWriteExt, Cursor};

    /// futures-io -> hyper -> futures-io round trip through both adapters.
    #[test]
    fn both_directions_round_trip() {
        futures::executor::block_on(async {
            let mut io = CorioIo::new(CorioIo::new(Cursor::new(b"hello".to_vec())));
            let mut out = String::new();
            io.read_to_string(&mut out).await.unwrap();
            assert_eq!(out, "hello");
            io.write_all(b" world").await.unwrap();
            io.flush().await.unwrap();
            io.close().await.unwrap();
            assert_eq!(io.into_inner().into_inner().into_inner(), b"hello world");
        });
    }

    #[test]
    fn lying_reader_is_an_error_not_ub() {
        struct Liar;
        impl AsyncRead for Liar {
            fn poll_read(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(Ok(buf.len() + 1))
            }
        }
        let mut io = CorioIo::new(Liar);
        let mut backing = [0u8; 8];
        let mut rb = hyper::rt::ReadBuf::new(&mut backing);
        let waker = futures::task::noop_waker();
        let res = hyper::rt::Read::poll_read(
            Pin::new(&mut io),
            &mut Context::from_waker(&waker),
            rb.unfilled(),
        );
        let err = match res {
            Poll::Ready(Err(e)) => e,
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(rb.filled().is_empty());
    }

    #[test]
    fn reads_are_capped_and_vectored_flag_is_reported() {
        let data = vec![7u8; READ_CHUNK * 2];
        let mut io = CorioIo::new(Cursor::new(data));
        assert!(!hyper::rt::Write::is_write_vectored(&io));
        let mut backing = vec![0u8; READ_CHUNK * 2];
        let mut rb = hyper::rt::ReadBuf::new(&mut backing);
        let waker = futures::task::noop_waker();
        let res = hyper::rt::Read::poll_read(
            Pin::new(&mut io),
            &mut Context::from_waker(&waker),
            rb.unfilled(),
        );
        assert!(matches!(res, Poll::Ready(Ok(()))));
        assert_eq!(rb.filled().len(), READ_CHUNK);
        let io = io.with_vectored_writes(true);
        assert!(hyper::rt::Write::is_write_vectored(&io));
    }
}

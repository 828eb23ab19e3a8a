//! [`CorioIo`]: hyper's I/O traits over `futures-io` streams, and back.
//!
//! # Implementation
//! hyper reads into a buffer that may be uninitialised, while `futures_io::AsyncRead`
//! takes an initialised `&mut [u8]`. The adapter lets hyper's `ReadBufCursor` zero the
//! unfilled part (it remembers what is already initialised, so a region is zeroed at most
//! once per buffer), capped at [`READ_CHUNK`] bytes so a large adaptive read buffer is not
//! cleared in full on every read.
//!
//! hyper hands a fresh, uninitialised buffer to every read (keep-alive reads included), so
//! that zeroing is paid per read. A stream that can read into uninitialised memory
//! ([`ReadUninit`], implemented for corio's `TcpStream` and `UnixStream`) skips it:
//! [`CorioIo::with_uninit_reads`] (which [`serve`](crate::serve) uses) makes `poll_read`
//! pass the unfilled part of hyper's buffer straight to `recv(2)`.
//!
//! Invariants:
//! 1. `poll_read` advances hyper's cursor by `n` only after the inner read reported `n`
//!    bytes *and* `n` is at most the slice it was given; a larger `n` is `InvalidData`.
//! 2. The uninitialised path never writes to hyper's buffer itself, so bytes hyper already
//!    considers initialised stay initialised (the contract of `ReadBufCursor::as_mut`).

use std::fmt;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

/// The most bytes one `poll_read` asks the inner stream for (and zeroes beforehand).
const READ_CHUNK: usize = 64 * 1024;

/// A stream that can read into uninitialised memory, so [`CorioIo`] need not zero hyper's
/// read buffer first (see [`CorioIo::with_uninit_reads`]).
///
/// # Safety
/// An implementation that returns `Poll::Ready(Ok(n))` must have initialised (written) the
/// first `n` bytes of `buf`, and must never de-initialise (write `MaybeUninit::uninit()`
/// to) any byte of it. [`CorioIo`] also checks `n <= buf.len()` itself.
///
/// # Examples
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
/// use corio_hyper::{CorioIo, ReadUninit};
///
/// fn assert_read_uninit<T: ReadUninit>() {}
/// assert_read_uninit::<TcpStream>();
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     // hyper's reads now go straight into its (uninitialised) buffer.
///     let io = CorioIo::new(stream).with_uninit_reads();
/// #   drop(io);
/// });
/// ```
pub unsafe trait ReadUninit: AsyncRead {
    /// Reads into `buf`; on `Ready(Ok(n))` the first `n` bytes of `buf` are initialised.
    fn poll_read_uninit(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>>;
}

// SAFETY: `TcpStream::poll_read_uninit` hands `buf` to `recv(2)`, which only writes to it,
// and reports the `n` bytes the kernel wrote, so those `n` bytes are initialised.
unsafe impl ReadUninit for corio::net::TcpStream {
    fn poll_read_uninit(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        corio::net::TcpStream::poll_read_uninit(&self, cx, buf)
    }
}

// SAFETY: as for `TcpStream`: `recv(2)` writes the `n` bytes it reports.
unsafe impl ReadUninit for corio::net::UnixStream {
    fn poll_read_uninit(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        corio::net::UnixStream::poll_read_uninit(&self, cx, buf)
    }
}

/// The inner stream's [`ReadUninit::poll_read_uninit`], when [`CorioIo::with_uninit_reads`]
/// enabled it.
type ReadUninitFn<T> =
    fn(Pin<&mut T>, &mut Context<'_>, &mut [MaybeUninit<u8>]) -> Poll<io::Result<usize>>;

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
        read_uninit: Option<ReadUninitFn<T>>,
    }
}

impl<T> CorioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> CorioIo<T> {
        CorioIo {
            inner,
            vectored: false,
            read_uninit: None,
        }
    }

    /// Sets what hyper's `is_write_vectored` reports (default `false`); `true` only pays
    /// off for a stream with a real `poll_write_vectored` (corio's `TcpStream` has one).
    #[must_use = "with_vectored_writes returns the adapter; it does not change it in place"]
    pub fn with_vectored_writes(mut self, vectored: bool) -> CorioIo<T> {
        self.vectored = vectored;
        self
    }

    /// Makes hyper's reads go straight into its uninitialised buffer (no zero-fill per
    /// read), for a stream that can do that ([`ReadUninit`]: corio's `TcpStream` and
    /// `UnixStream`). [`serve`](crate::serve) does this for every accepted connection.
    #[must_use = "with_uninit_reads returns the adapter; it does not change it in place"]
    pub fn with_uninit_reads(mut self) -> CorioIo<T>
    where
        T: ReadUninit,
    {
        self.read_uninit = Some(T::poll_read_uninit);
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
            .field("uninit_reads", &self.read_uninit.is_some())
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
        let this = self.project();
        if let Some(read_uninit) = *this.read_uninit {
            // SAFETY: `as_mut` requires that we never de-initialise bytes of the unfilled
            // part; `ReadUninit`'s contract says the inner read only writes to it
            // (invariant 2).
            let dst = unsafe { buf.as_mut() };
            let len = dst.len();
            let n = ready!(read_uninit(this.inner, cx, dst))?;
            if n > len {
                return Poll::Ready(Err(too_many_bytes()));
            }
            // `ReadUninit`'s contract: `Ready(Ok(n))` means the inner read initialised
            // the first `n` bytes of `dst`, which starts at hyper's filled cursor.
            // SAFETY: those `n` bytes are initialised, and `n <= dst.len()` (=
            // `remaining()`) was checked just above (invariant 1).
            unsafe { buf.advance(n) };
            return Poll::Ready(Ok(()));
        }
        let want = buf.remaining().min(READ_CHUNK);
        let dst = buf.initialize_unfilled_to(want);
        let n = ready!(this.inner.poll_read(cx, dst))?;
        if n > want {
            // A broken `AsyncRead` must not make us claim bytes beyond the buffer.
            return Poll::Ready(Err(too_many_bytes()));
        }
        // SAFETY: `initialize_unfilled_to(want)` initialised the first `want` bytes of the
        // unfilled part, and `n <= want` was checked just above (invariant 1).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

/// The error for an inner read that reports more bytes than it was given.
fn too_many_bytes() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "AsyncRead::poll_read reported more bytes than the buffer holds",
    )
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

    /// A `ReadUninit` test stream: writes `data` (or claims `claim` bytes) into the
    /// uninitialised buffer, touching nothing beyond what it reports.
    struct Uninit {
        data: Vec<u8>,
        claim: Option<usize>,
    }
    impl AsyncRead for Uninit {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            panic!("with_uninit_reads must not use the initialised path");
        }
    }
    // SAFETY: writes the `n` bytes it reports (the `claim` case is the checked lie).
    unsafe impl ReadUninit for Uninit {
        fn poll_read_uninit(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [MaybeUninit<u8>],
        ) -> Poll<io::Result<usize>> {
            if let Some(n) = self.claim {
                return Poll::Ready(Ok(n));
            }
            let n = self.data.len().min(buf.len());
            for (d, s) in buf.iter_mut().zip(&self.data[..n]) {
                d.write(*s);
            }
            self.get_mut().data.drain(..n);
            Poll::Ready(Ok(n))
        }
    }

    fn poll_into(
        io: &mut CorioIo<Uninit>,
        rb: &mut hyper::rt::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let waker = futures::task::noop_waker();
        hyper::rt::Read::poll_read(
            Pin::new(io),
            &mut Context::from_waker(&waker),
            rb.unfilled(),
        )
    }

    /// The uninitialised path fills hyper's `MaybeUninit` buffer without zeroing it, in
    /// several reads, and the filled bytes are exactly the stream's (Miri checks that no
    /// uninitialised byte is ever read).
    #[test]
    fn uninit_reads_fill_an_uninitialised_buffer() {
        let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let mut io = CorioIo::new(Uninit {
            data: data.clone(),
            claim: None,
        })
        .with_uninit_reads();
        assert!(format!("{io:?}").contains("uninit_reads: true"));
        let mut backing = [MaybeUninit::<u8>::uninit(); 200];
        let mut rb = hyper::rt::ReadBuf::uninit(&mut backing);
        assert!(matches!(poll_into(&mut io, &mut rb), Poll::Ready(Ok(()))));
        assert_eq!(rb.filled(), &data[..200]);
        // Full buffer: a zero-length read, nothing claimed.
        assert!(matches!(poll_into(&mut io, &mut rb), Poll::Ready(Ok(()))));
        assert_eq!(rb.filled().len(), 200);
        let mut backing = [MaybeUninit::<u8>::uninit(); 200];
        let mut rb = hyper::rt::ReadBuf::uninit(&mut backing);
        assert!(matches!(poll_into(&mut io, &mut rb), Poll::Ready(Ok(()))));
        assert_eq!(rb.filled(), &data[200..]);
        // End of stream: nothing more filled.
        assert!(matches!(poll_into(&mut io, &mut rb), Poll::Ready(Ok(()))));
        assert_eq!(rb.filled(), &data[200..]);
    }

    #[test]
    fn uninit_reader_claiming_too_much_is_an_error_not_ub() {
        let mut io = CorioIo::new(Uninit {
            data: Vec::new(),
            claim: Some(9),
        })
        .with_uninit_reads();
        let mut backing = [MaybeUninit::<u8>::uninit(); 8];
        let mut rb = hyper::rt::ReadBuf::uninit(&mut backing);
        match poll_into(&mut io, &mut rb) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
            other => panic!("expected an error, got {other:?}"),
        }
        assert!(rb.filled().is_empty());
    }

    /// A real socket through the uninitialised path: bytes arrive intact, `Pending` until
    /// they are sent, end-of-stream after the peer closes.
    #[cfg(not(miri))]
    #[test]
    fn tcp_stream_reads_into_hyper_buffer_without_zeroing() {
        use corio::net::{TcpListener, TcpStream};
        corio::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut io = CorioIo::new(server).with_uninit_reads();
            let mut backing = vec![MaybeUninit::<u8>::uninit(); 64 * 1024];
            let mut rb = hyper::rt::ReadBuf::uninit(&mut backing);
            let waker = futures::task::noop_waker();
            let pending = hyper::rt::Read::poll_read(
                Pin::new(&mut io),
                &mut Context::from_waker(&waker),
                rb.unfilled(),
            );
            assert!(pending.is_pending());
            client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
            client.close().await.unwrap();
            loop {
                let before = rb.filled().len();
                std::future::poll_fn(|cx| {
                    hyper::rt::Read::poll_read(Pin::new(&mut io), cx, rb.unfilled())
                })
                .await
                .unwrap();
                if rb.filled().len() == before {
                    break; // end of stream
                }
            }
            assert_eq!(rb.filled(), b"GET / HTTP/1.1\r\n\r\n");
        });
    }
}

//! [`TlsStream`]: an established TLS connection over any `futures-io` stream.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::CertificateDer;
use rustls::{CommonState, ProtocolVersion};

/// An established TLS connection (client or server side) over the stream `IO`, usually
/// a `corio::net::TcpStream` or `UnixStream`.
///
/// It is a `futures_io::AsyncRead + AsyncWrite` stream: read and write plaintext with
/// `futures::io::{AsyncReadExt, AsyncWriteExt}`. For hyper, wrap it in
/// `corio_hyper::CorioIo` (which gives hyper's `Read`/`Write`). `poll_close` sends the
/// TLS `close_notify` alert, then closes the inner stream.
///
/// Made by [`TlsConnector::connect`](crate::TlsConnector::connect) and
/// [`TlsAcceptor::accept`](crate::TlsAcceptor::accept).
///
/// # Errors
/// Reads and writes fail with an [`io::Error`]; a TLS cause (a fatal alert from the peer,
/// a protocol violation) is inside it: [`TlsError::from_io`](crate::TlsError::from_io)
/// recovers it.
pub struct TlsStream<IO> {
    inner: futures_rustls::TlsStream<IO>,
}

impl<IO> TlsStream<IO> {
    pub(crate) fn new(inner: impl Into<futures_rustls::TlsStream<IO>>) -> TlsStream<IO> {
        TlsStream {
            inner: inner.into(),
        }
    }

    fn state(&self) -> &CommonState {
        self.inner.get_ref().1
    }

    /// The application protocol agreed by ALPN (`b"h2"`, `b"http/1.1"`), if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.state().alpn_protocol()
    }

    /// The TLS version in use (`TLSv1_3` or `TLSv1_2`).
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.state().protocol_version()
    }

    /// The peer's certificate chain, leaf first: the server's on a client stream; the
    /// client's on a server stream when it presented one.
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.state().peer_certificates()
    }

    /// On a server stream, the host name the client asked for with SNI.
    pub fn server_name(&self) -> Option<&str> {
        match &self.inner {
            futures_rustls::TlsStream::Server(s) => s.get_ref().1.server_name(),
            futures_rustls::TlsStream::Client(_) => None,
        }
    }

    /// Whether this is the client side of the connection.
    pub fn is_client(&self) -> bool {
        matches!(self.inner, futures_rustls::TlsStream::Client(_))
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &IO {
        self.inner.get_ref().0
    }

    /// The underlying stream, mutably (reading or writing it directly corrupts the TLS
    /// session).
    pub fn get_mut(&mut self) -> &mut IO {
        self.inner.get_mut().0
    }

    /// Unwraps the underlying stream, dropping the TLS session without `close_notify`.
    pub fn into_inner(self) -> IO {
        match self.inner {
            futures_rustls::TlsStream::Client(s) => s.into_inner().0,
            futures_rustls::TlsStream::Server(s) => s.into_inner().0,
        }
    }
}

impl<IO> fmt::Debug for TlsStream<IO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("client", &self.is_client())
            .field("version", &self.protocol_version())
            .field("alpn", &self.alpn_protocol().map(String::from_utf8_lossy))
            .field("io", &std::any::type_name::<IO>())
            .finish()
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

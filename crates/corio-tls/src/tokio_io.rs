//! tokio's I/O traits for [`TlsStream`] (the `tokio-io` feature), next to corio's own
//! sockets under the facade's `tokio-io` feature: crates written against
//! `tokio::io::{AsyncRead, AsyncWrite}` (tokio-postgres, tokio-tungstenite,
//! tokio-util's codecs) then run over TLS on corio. tokio is a trait library here: no
//! tokio runtime is involved.
//!
//! # Implementation
//! Each method forwards to the `futures-io` impl. tokio's `ReadBuf` may be
//! uninitialised: `initialize_unfilled` zeroes the unfilled part once (the buffer
//! remembers it), so no `unsafe` is needed. `poll_shutdown` is `poll_close`: TLS
//! `close_notify`, then the inner stream's close.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::TlsStream;

impl<IO: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncRead for TlsStream<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let dst = buf.initialize_unfilled();
        let n = ready!(AsyncRead::poll_read(self, cx, dst))?;
        buf.advance(n); // rustls never reports more than it was given
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncWrite for TlsStream<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(self, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write_vectored(self, cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_flush(self, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_close(self, cx)
    }
}

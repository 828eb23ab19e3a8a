//! The child's piped stdin, stdout and stderr: async pipe ends on the reactor.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

use crate::reactor::async_fd::Async;

/// The child's stdin: `AsyncWrite`; drop it to send end-of-file.
pub struct ChildStdin {
    io: Async<std::process::ChildStdin>,
}

/// The child's stdout: `AsyncRead`.
pub struct ChildStdout {
    io: Async<std::process::ChildStdout>,
}

/// The child's stderr: `AsyncRead`.
pub struct ChildStderr {
    io: Async<std::process::ChildStderr>,
}

impl ChildStdin {
    pub(crate) fn new(io: Async<std::process::ChildStdin>) -> Self {
        ChildStdin { io }
    }
}
impl ChildStdout {
    pub(crate) fn new(io: Async<std::process::ChildStdout>) -> Self {
        ChildStdout { io }
    }
}
impl ChildStderr {
    pub(crate) fn new(io: Async<std::process::ChildStderr>) -> Self {
        ChildStderr { io }
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no half-close: closing means closing the fd, which happens on drop.
        Pin::new(&mut self.io).poll_flush(cx)
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsRawFd for ChildStdin {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
impl AsRawFd for ChildStdout {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
impl AsRawFd for ChildStderr {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdin")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
impl fmt::Debug for ChildStdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdout")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
impl fmt::Debug for ChildStderr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStderr")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

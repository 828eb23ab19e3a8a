//! [`duplex`]: an in-memory, bidirectional byte pipe (two connected streams), for tests
//! and for joining two protocol layers without a socket.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::io::{AsyncRead, AsyncWrite};
use parking_lot::Mutex;

/// Two connected in-memory streams: what one writes, the other reads. Each direction
/// buffers at most `max_buf_size` bytes; a writer waits while its direction is full.
///
/// Closing a stream (`close`) or dropping it ends the stream the other side reads
/// (`Ok(0)`); writing to a stream whose peer was dropped is `BrokenPipe`.
///
/// # Panics
/// If `max_buf_size` is 0 (no byte could ever pass).
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let (mut client, mut server) = corio_reactor::io::duplex(64);
/// client.write_all(b"ping").await?;
/// let mut buf = [0; 4];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// drop(client);
/// assert_eq!(server.read(&mut buf).await?, 0); // end of stream
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    assert!(max_buf_size > 0, "duplex: max_buf_size must be at least 1");
    let one = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let two = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

/// One end of a [`duplex`] pipe: `AsyncRead` + `AsyncWrite`.
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
}

/// One direction.
///
/// Rules: 1. `buf.len() <= max`. 2. A reader finding it empty and not `write_closed`
/// stores its waker; every write and the close wake it. 3. A writer finding it full
/// stores its waker; every read and the reader's drop wake it. 4. `write_closed` and
/// `read_closed` only ever go from false to true.
struct Pipe {
    buf: VecDeque<u8>,
    max: usize,
    write_closed: bool,
    read_closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl Pipe {
    fn new(max: usize) -> Pipe {
        Pipe {
            buf: VecDeque::new(),
            max,
            write_closed: false,
            read_closed: false,
            reader: None,
            writer: None,
        }
    }

    fn close_write(&mut self) {
        self.write_closed = true;
        if let Some(w) = self.reader.take() {
            w.wake();
        }
    }

    fn close_read(&mut self) {
        self.read_closed = true;
        self.buf.clear();
        if let Some(w) = self.writer.take() {
            w.wake();
        }
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut p = self.read.lock();
        if p.buf.is_empty() {
            if p.write_closed || buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            p.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(p.buf.len());
        let (a, b) = p.buf.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        p.buf.drain(..n);
        if let Some(w) = p.writer.take() {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut p = self.write.lock();
        if p.read_closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the other end of the duplex pipe was dropped",
            )));
        }
        if p.write_closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after close on a duplex pipe",
            )));
        }
        let room = p.max - p.buf.len();
        if room == 0 {
            p.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        p.buf.extend(&buf[..n]);
        if let Some(w) = p.reader.take() {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.write.lock().close_write();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        self.write.lock().close_write();
        self.read.lock().close_read();
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuplexStream").finish_non_exhaustive()
    }
}

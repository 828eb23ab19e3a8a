//! [`copy_bidirectional`]: a proxy's inner loop.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

/// Bytes per direction held between a read and its write.
const BUF_SIZE: usize = 64 * 1024;

/// Copies `a`'s reads to `b` and `b`'s reads to `a` at the same time, until both
/// directions reached end-of-stream; each direction closes its writer (a half-close,
/// for sockets) when its reader ends. Returns the bytes copied `(a → b, b → a)`.
///
/// # Errors
/// The first read or write error of either direction (the other direction stops too).
///
/// # Cancel safety
/// Not cancel safe: bytes read but not yet written are lost when the future is dropped.
///
/// # Examples
///
/// A TCP proxy connection between a client and an upstream server:
///
/// ```
/// # corio::run(async {
/// use corio_reactor::io::copy_bidirectional;
/// use corio_reactor::net::{TcpListener, TcpStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let upstream = TcpListener::bind("127.0.0.1:0").await?;
/// let front = TcpListener::bind("127.0.0.1:0").await?;
/// let (up_addr, front_addr) = (upstream.local_addr()?, front.local_addr()?);
/// let echo = corio::spawn(async move {
///     let (conn, _) = upstream.accept().await?;
///     let (mut rd, mut wr) = conn.into_split();
///     futures::io::copy(&mut rd, &mut wr).await
/// });
/// let proxy = corio::spawn(async move {
///     let (mut client, _) = front.accept().await?;
///     let mut server = TcpStream::connect(up_addr).await?;
///     copy_bidirectional(&mut client, &mut server).await
/// });
/// let mut client = TcpStream::connect(front_addr).await?;
/// client.write_all(b"through the proxy").await?;
/// client.close().await?;
/// let mut back = String::new();
/// client.read_to_string(&mut back).await?;
/// assert_eq!(back, "through the proxy");
/// assert_eq!(proxy.await.unwrap()?, (17, 17));
/// # echo.await.unwrap()?;
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    CopyBidirectional {
        a,
        b,
        a_to_b: Direction::new(),
        b_to_a: Direction::new(),
    }
    .await
}

/// One direction's state.
///
/// Rules: 1. `buf[pos..cap]` is read but not yet written. 2. A read happens only when
/// that range is empty. 3. After the reader's end-of-stream and the last write, the
/// writer is flushed and closed once (`Closed`), then the direction is `Done`.
struct Direction {
    buf: Box<[u8]>,
    pos: usize,
    cap: usize,
    amt: u64,
    state: State,
    needs_flush: bool,
}

#[derive(PartialEq, Eq)]
enum State {
    Copying,
    Closing,
    Done,
}

impl Direction {
    fn new() -> Self {
        Direction {
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            cap: 0,
            amt: 0,
            state: State::Copying,
            needs_flush: false,
        }
    }

    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            match self.state {
                State::Done => return Poll::Ready(Ok(self.amt)),
                State::Closing => {
                    ready!(writer.as_mut().poll_flush(cx))?;
                    ready!(writer.as_mut().poll_close(cx))?;
                    self.state = State::Done;
                }
                State::Copying => {
                    if self.pos == self.cap {
                        match reader.as_mut().poll_read(cx, &mut self.buf) {
                            Poll::Ready(Ok(0)) => {
                                self.state = State::Closing;
                                continue;
                            }
                            Poll::Ready(Ok(n)) => {
                                self.pos = 0;
                                self.cap = n;
                            }
                            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                            Poll::Pending => {
                                // Nothing more to read now: push out what was written.
                                if self.needs_flush {
                                    ready!(writer.as_mut().poll_flush(cx))?;
                                    self.needs_flush = false;
                                }
                                return Poll::Pending;
                            }
                        }
                    }
                    while self.pos < self.cap {
                        let n = ready!(writer
                            .as_mut()
                            .poll_write(cx, &self.buf[self.pos..self.cap]))?;
                        if n == 0 {
                            return Poll::Ready(Err(io::Error::new(
                                io::ErrorKind::WriteZero,
                                "copy_bidirectional: the writer accepted zero bytes",
                            )));
                        }
                        self.pos += n;
                        self.amt += n as u64;
                        self.needs_flush = true;
                    }
                }
            }
        }
    }
}

struct CopyBidirectional<'a, A: ?Sized, B: ?Sized> {
    a: &'a mut A,
    b: &'a mut B,
    a_to_b: Direction,
    b_to_a: Direction,
}

impl<A, B> Future for CopyBidirectional<'_, A, B>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    type Output = io::Result<(u64, u64)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let ab = this
            .a_to_b
            .poll_copy(cx, Pin::new(&mut *this.a), Pin::new(&mut *this.b))?;
        let ba = this
            .b_to_a
            .poll_copy(cx, Pin::new(&mut *this.b), Pin::new(&mut *this.a))?;
        match (ab, ba) {
            (Poll::Ready(ab), Poll::Ready(ba)) => Poll::Ready(Ok((ab, ba))),
            _ => Poll::Pending,
        }
    }
}

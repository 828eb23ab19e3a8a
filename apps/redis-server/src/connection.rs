//! One client connection: read requests, run them, write the replies.
//!
//! # Protocol
//! 1. Every complete request already buffered runs before the connection waits again,
//!    and the replies go out in one write: pipelined requests (`redis-benchmark -P`) cost
//!    one read and one write per batch, not per request.
//! 2. While the connection waits it watches three things: more bytes from the client, a
//!    message on a subscribed channel (subscribe mode), and the server's stop signal. All
//!    three waits are cancel-safe, so whichever wins, nothing is lost from the others.
//! 3. A malformed request gets `-ERR Protocol error: ...` and the connection closes (the
//!    byte stream cannot be resynchronised). A command error (arity, options, types) gets
//!    its error reply and the connection carries on.
//! 4. A client that closes mid-request leaves its partial bytes unread; nothing it sent
//!    had any effect, because a command runs only once it has fully arrived.
//! 5. On stop, requests already received finish and their replies are sent, then the
//!    connection closes.
//! 6. Received bytes move into the connection's [`RequestParser`] as they arrive, so the
//!    read buffer holds at most one partial line (a header or an inline command, bounded
//!    by `MAX_INLINE_LEN`) and never grows with a request's size; a request that breaks
//!    a [`Limits`](crate::Limits) bound is a protocol error (rule 3).
//! 7. Fairness: after every `READ_QUOTA` bytes read the connection yields. The
//!    cooperative budget alone would let it read 128 times per poll, and the scheduler
//!    polls the event driver only every few dozen polls, so one client uploading a large
//!    value could hold a worker for hundreds of megabytes before another client's
//!    request was even seen.

use std::io;
use std::sync::Arc;

use corio::net::TcpStream;
use corio::sync::Event;
use futures::io::{AsyncReadExt, AsyncWriteExt};

use super::cmd::{apply, Command, Flow, Session};
use super::request::RequestParser;
use super::resp::{put_array_len, put_bulk, put_error};

/// Read chunk size, and the output size at which a long pipeline flushes early.
const CHUNK: usize = 16 * 1024;

/// Bytes a connection reads before it yields to the other tasks (rule 6).
const READ_QUOTA: usize = 64 * 1024;

/// The bytes read from the client and not yet parsed: `buf[start..end]`.
///
/// `buf` stays initialised (zeroed once when it grows), so reading into its spare tail
/// needs no re-zeroing. By rule 6 it holds at most a partial line besides the last read,
/// so it stays below `MAX_INLINE_LEN` plus two chunks.
struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    fn new() -> Self {
        ReadBuf {
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
        }
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Room for the next read: moves the unparsed bytes to the front, or grows.
    fn spare(&mut self) -> &mut [u8] {
        if self.buf.len() - self.end < CHUNK / 4 {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.buf.len() - self.end < CHUNK / 4 {
                let len = self.buf.len();
                self.buf.resize(len * 2, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Reads once from `stream`; returns the byte count (0: the client closed).
    ///
    /// # Cancel safety
    /// Cancel-safe: bytes are taken from the socket only in the poll that records them.
    async fn fill(&mut self, stream: &mut TcpStream) -> io::Result<usize> {
        let n = stream.read(self.spare()).await?;
        self.end += n;
        Ok(n)
    }
}

/// Serves one client until it closes, sends `QUIT`, breaks the protocol, or `stop` is set.
///
/// # Errors
/// The I/O error that ended the connection (reset by the client, ...).
pub(crate) async fn handle(
    mut stream: TcpStream,
    mut session: Session,
    stop: Arc<Event>,
) -> io::Result<()> {
    stream.set_nodelay(true).ok();
    let mut input = ReadBuf::new();
    let mut parser = RequestParser::new(session.limits);
    let mut read_since_yield = 0;
    let mut out = Vec::with_capacity(CHUNK);
    loop {
        // Rule 1: run everything that has fully arrived.
        loop {
            match parser.parse(input.data()) {
                Ok((used, Some(args))) => {
                    input.consume(used);
                    if run(args, &mut session, &mut out) == Flow::Close {
                        return flush(&mut stream, &mut out, &stop).await;
                    }
                    if out.len() >= CHUNK {
                        flush(&mut stream, &mut out, &stop).await?;
                    }
                }
                Ok((used, None)) => {
                    // Rule 6: the parser took what it could; a partial line stays.
                    input.consume(used);
                    break;
                }
                Err(e) => {
                    // Rule 3.
                    put_error(&mut out, &format!("ERR {e}"));
                    return flush(&mut stream, &mut out, &stop).await;
                }
            }
        }
        flush(&mut stream, &mut out, &stop).await?;
        if stop.is_set() {
            return Ok(()); // rule 5
        }
        // Rule 2.
        corio::select! {
            _ = stop.wait() => return Ok(()),
            n = input.fill(&mut stream) => {
                let n = n?;
                if n == 0 {
                    return Ok(()); // rule 4
                }
                // Rule 7: a turn for the others after every `READ_QUOTA` bytes.
                read_since_yield += n;
                if read_since_yield >= READ_QUOTA {
                    read_since_yield = 0;
                    corio::yield_now().await;
                }
            }
            (channel, payload) = session.subs.next() => {
                put_array_len(&mut out, 3);
                put_bulk(&mut out, b"message");
                put_bulk(&mut out, &channel);
                put_bulk(&mut out, &payload);
            }
        }
    }
}

/// Parses and applies one request, appending its reply to `out`.
fn run(args: Vec<Vec<u8>>, session: &mut Session, out: &mut Vec<u8>) -> Flow {
    let Some(name) = args.first() else {
        return Flow::Continue; // an empty request (`*0`, a blank line): no reply
    };
    let name = (!session.subs.is_empty()).then(|| String::from_utf8_lossy(name).to_lowercase());
    match Command::parse(args) {
        Err(msg) => put_error(out, &msg),
        Ok(cmd) if !cmd.allowed_in_subscribe_mode() && name.is_some() => put_error(
            out,
            &format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT \
                 / RESET are allowed in this context",
                name.unwrap_or_default()
            ),
        ),
        Ok(cmd) => return apply(cmd, session, out),
    }
    Flow::Continue
}

/// Writes and clears `out`.
///
/// # Errors
/// The write's error; or, when `stop` is set while the client is not reading, an error of
/// kind `Interrupted`, so a stuck client cannot hold up shutdown.
async fn flush(stream: &mut TcpStream, out: &mut Vec<u8>, stop: &Event) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    corio::select! {
        biased;
        written = stream.write_all(out) => written?,
        _ = stop.wait() => {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "server stopped while the client was not reading",
            ));
        }
    }
    out.clear();
    Ok(())
}

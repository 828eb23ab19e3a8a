//! RESP2 requests: an incremental parser with the limits that keep a hostile client's
//! cost in proportion to what it sends.
//!
//! Clients send either a *multibulk* request (`*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n`, what
//! `redis-cli` and `redis-benchmark` send) or an *inline* command (`GET key\r\n`, what a
//! person types into `nc`). A [`RequestParser`] belongs to one connection: each call to
//! [`RequestParser::parse`] takes the bytes the connection has buffered, consumes what it
//! can, and returns a request once one is complete. The parts of a request that have
//! arrived live in the parser, not in the connection's buffer, so a request trickled a
//! few bytes at a time is parsed once, not once per read.
//!
//! # Invariants
//! 1. Between calls the caller drops exactly the `used` bytes the last call reported and
//!    passes what remains, followed by newly read bytes. What remains is at most one
//!    incomplete line (a `*N`/`$N` header, an inline command, or the `\r\n` after a bulk
//!    string), never a bulk string's body: bodies move into the parser as they arrive.
//! 2. Linear cost: a byte is examined once, except the bytes of an incomplete line, whose
//!    search for its end resumes where the last call stopped (`scanned`). A line longer
//!    than [`MAX_INLINE_LEN`] is an error, so what the caller keeps stays small.
//! 3. Memory follows the bytes received: a bulk string's buffer is reserved at the
//!    announced length once its header is accepted (no doubling, no zero fill), and every
//!    claim is checked against [`Limits`] before anything is reserved for it: `*N` against
//!    `max_args`, `$N` against `max_bulk_len` and what would then be held against
//!    `max_query_buffer`. The argument list grows with the arguments that arrived, not
//!    with the count the client announced.
//! 4. A request runs only once complete: a client that stops or closes mid-request has
//!    had no effect.
//! 5. After an error the connection must be closed; the parser's state is unspecified.

use std::fmt;
use std::mem;

use super::inline::split_inline;

/// The longest inline command, and the longest `*N` / `$N` header line, a client may send.
pub const MAX_INLINE_LEN: usize = 64 * 1024;

/// How much one client may make the server hold; the server's configuration.
///
/// # Examples
///
/// ```
/// use redis_server::request::Limits;
///
/// let limits = Limits { max_bulk_len: 1 << 20, ..Limits::default() };
/// assert_eq!(limits.max_args, 1024 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most arguments a multibulk request may announce (`*N`); more is `invalid
    /// multibulk length`. Default: 1 048 576 (Redis' limit before 7.0).
    pub max_args: usize,
    /// The longest bulk string (`$N`), Redis' `proto-max-bulk-len`; longer is `invalid
    /// bulk length`. Default: 512 MiB.
    pub max_bulk_len: usize,
    /// The most bytes one client may make the server hold for a request (its arguments so
    /// far, 24 bytes of bookkeeping each, and its unparsed input), Redis'
    /// `client-query-buffer-limit`. Default: 1 GiB.
    pub max_query_buffer: usize,
}

impl Default for Limits {
    /// Redis' defaults.
    fn default() -> Self {
        Limits {
            max_args: 1024 * 1024,
            max_bulk_len: 512 * 1024 * 1024,
            max_query_buffer: 1024 * 1024 * 1024,
        }
    }
}

/// The bytes on the connection are not RESP, or break a [`Limits`] bound: the server
/// answers with this error and closes the connection (the stream cannot be
/// resynchronised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(String);

impl ProtocolError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        ProtocolError(msg.into())
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// What one [`RequestParser::parse`] call did: the bytes it used, and the request they
/// completed, if any.
pub type Step = (usize, Option<Request>);

/// A request's arguments, the command name first.
pub type Request = Vec<Vec<u8>>;

/// What a request holds per argument besides its bytes (the `Vec` header), counted
/// against [`Limits::max_query_buffer`].
const ARG_OVERHEAD: usize = mem::size_of::<Vec<u8>>();

/// The most argument slots reserved before the arguments arrive.
const PREALLOC_ARGS: usize = 1024;

/// Where the parser is within a request.
#[derive(Debug, Default)]
enum State {
    /// Between requests: the next byte starts a request (`*` or an inline command).
    #[default]
    Idle,
    /// In a multibulk request; the next line is the `$len` header of one of the `left`
    /// arguments still to come.
    Header { left: usize },
    /// In an argument's body: `arg` fills up to `len` bytes, then `\r\n` follows;
    /// `left` arguments come after this one.
    Body {
        left: usize,
        len: usize,
        arg: Vec<u8>,
    },
}

/// One connection's incremental request parser (see the module docs).
///
/// # Examples
///
/// A request split across reads; the caller drops the bytes each call used.
///
/// ```
/// use redis_server::request::{Limits, RequestParser};
///
/// let mut parser = RequestParser::new(Limits::default());
/// let mut buffered = b"*2\r\n$4\r\nECHO\r\n$5\r\nhe".to_vec();
/// let (used, request) = parser.parse(&buffered).unwrap();
/// assert_eq!((used, request), (buffered.len(), None)); // the body so far moved in
/// buffered.drain(..used);
/// buffered.extend_from_slice(b"llo\r\nPING\r\n");
/// let (used, request) = parser.parse(&buffered).unwrap();
/// assert_eq!(request.unwrap(), [b"ECHO".to_vec(), b"hello".to_vec()]);
/// buffered.drain(..used);
/// assert_eq!(buffered, b"PING\r\n"); // the next request, for the next call
/// ```
#[derive(Debug)]
pub struct RequestParser {
    limits: Limits,
    state: State,
    /// The current multibulk request's complete arguments.
    args: Vec<Vec<u8>>,
    /// What the current request holds, as counted against `max_query_buffer`.
    held: usize,
    /// How many bytes of the incomplete line at the input's start were searched for its
    /// end already (invariant 2).
    scanned: usize,
}

impl RequestParser {
    /// A parser between requests.
    pub fn new(limits: Limits) -> Self {
        RequestParser {
            limits,
            state: State::Idle,
            args: Vec::new(),
            held: 0,
            scanned: 0,
        }
    }

    /// Whether part of a request has been received (and not yet completed).
    pub fn in_request(&self) -> bool {
        !matches!(self.state, State::Idle)
    }

    /// Consumes what it can of `input` and returns how many bytes it used, with the
    /// request they completed, if any (an empty request, `*0` or a blank line, is
    /// `Some(vec![])`: skip it). After a request, bytes of the next one are left unused
    /// for the next call.
    ///
    /// `input` must follow invariant 1 of the module docs: the unused bytes of the last
    /// call first.
    ///
    /// # Errors
    /// [`ProtocolError`] when the input is not a request or breaks a limit; the connection
    /// must then close.
    pub fn parse(&mut self, input: &[u8]) -> Result<Step, ProtocolError> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match mem::take(&mut self.state) {
                State::Idle => match rest.first() {
                    None => break,
                    Some(b'*') => {
                        let Some(end) = find_crlf(rest, &mut self.scanned, "mbulk")? else {
                            break;
                        };
                        let count = match parse_len(&rest[1..end]) {
                            Some(n) if n <= self.limits.max_args as i64 => n,
                            _ => return Err(ProtocolError::new("invalid multibulk length")),
                        };
                        pos += end + 2;
                        if count <= 0 {
                            // `*0` and `*-1` are empty requests; Redis skips them too.
                            return Ok((pos, Some(Vec::new())));
                        }
                        let count = count as usize;
                        self.args = Vec::with_capacity(count.min(PREALLOC_ARGS));
                        self.state = State::Header { left: count };
                    }
                    Some(_) => {
                        let Some(nl) = find_newline(rest, &mut self.scanned)? else {
                            break;
                        };
                        let line = &rest[..nl];
                        let args = split_inline(line.strip_suffix(b"\r").unwrap_or(line))?;
                        return Ok((pos + nl + 1, Some(args)));
                    }
                },
                State::Header { left } => {
                    self.state = State::Header { left };
                    match rest.first() {
                        None => break,
                        Some(b'$') => {}
                        Some(&other) => {
                            return Err(ProtocolError::new(format!(
                                "expected '$', got '{}'",
                                char::from(other).escape_default()
                            )))
                        }
                    }
                    let Some(end) = find_crlf(rest, &mut self.scanned, "bulk")? else {
                        break;
                    };
                    let len = match parse_len(&rest[1..end]) {
                        Some(n) if (0..=self.limits.max_bulk_len as i64).contains(&n) => n as usize,
                        _ => return Err(ProtocolError::new("invalid bulk length")),
                    };
                    pos += end + 2;
                    // Rule 3: the claim is checked before it is reserved.
                    self.held += ARG_OVERHEAD;
                    if self.held.saturating_add(len) > self.limits.max_query_buffer {
                        return Err(self.over_limit());
                    }
                    self.state = State::Body {
                        left: left - 1,
                        len,
                        arg: reserve(len),
                    };
                }
                State::Body { left, len, mut arg } => {
                    let take = (len - arg.len()).min(rest.len());
                    arg.extend_from_slice(&rest[..take]);
                    self.held += take;
                    pos += take;
                    let rest = &rest[take..];
                    if arg.len() < len || rest.len() < 2 {
                        self.state = State::Body { left, len, arg };
                        break;
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(ProtocolError::new("expected '\\r\\n' after bulk string"));
                    }
                    pos += 2;
                    self.args.push(arg);
                    if left == 0 {
                        self.held = 0;
                        return Ok((pos, Some(mem::take(&mut self.args))));
                    }
                    self.state = State::Header { left };
                }
            }
        }
        // Rule 1: what is left is part of a line, kept by the caller.
        if self.held.saturating_add(input.len() - pos) > self.limits.max_query_buffer {
            return Err(self.over_limit());
        }
        Ok((pos, None))
    }

    fn over_limit(&self) -> ProtocolError {
        ProtocolError::new(format!(
            "client query buffer limit of {} bytes reached",
            self.limits.max_query_buffer
        ))
    }
}

/// A buffer for a bulk string of `len` bytes: reserved at once, not zero-filled, so only
/// the bytes written become resident. If the allocator refuses the whole claim, the
/// buffer grows with the bytes instead.
fn reserve(len: usize) -> Vec<u8> {
    let mut arg = Vec::new();
    if arg.try_reserve_exact(len).is_err() {
        arg.reserve(len.min(64 * 1024));
    }
    arg
}

/// Finds the `\r\n` ending the line at `rest`'s start, resuming the search at `scanned`
/// (invariant 2); returns the index of its `\r`.
fn find_crlf(rest: &[u8], scanned: &mut usize, what: &str) -> Result<Option<usize>, ProtocolError> {
    let from = (*scanned).min(rest.len());
    let found = rest[from..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| from + i);
    match found {
        Some(end) if end <= MAX_INLINE_LEN => {
            *scanned = 0;
            Ok(Some(end))
        }
        // The last byte may be the `\r`: search it again next time.
        None if rest.len() <= MAX_INLINE_LEN => {
            *scanned = rest.len().saturating_sub(1);
            Ok(None)
        }
        _ => Err(ProtocolError::new(format!("too big {what} count string"))),
    }
}

/// Finds the `\n` ending the inline command at `rest`'s start, resuming at `scanned`.
fn find_newline(rest: &[u8], scanned: &mut usize) -> Result<Option<usize>, ProtocolError> {
    let from = (*scanned).min(rest.len());
    match rest[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| from + i)
    {
        Some(nl) if nl <= MAX_INLINE_LEN => {
            *scanned = 0;
            Ok(Some(nl))
        }
        None if rest.len() <= MAX_INLINE_LEN => {
            *scanned = rest.len();
            Ok(None)
        }
        _ => Err(ProtocolError::new("too big inline request")),
    }
}

/// Parses a decimal length header (`-1`, `0`, `42`); `None` if it is not one.
fn parse_len(digits: &[u8]) -> Option<i64> {
    let (neg, digits) = match digits {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    Some(if neg { -n } else { n })
}

/// One parsed request: its arguments (the command name first) and the bytes it used.
pub type Parsed = (Vec<Vec<u8>>, usize);

/// Parses the first request in `buf` with the default [`Limits`]: a one-shot
/// [`RequestParser`], for a buffer that holds whole requests.
///
/// Returns `Ok(Some((args, used)))` for a complete request (`args` may be empty: a blank
/// inline line or `*0`), `Ok(None)` when `buf` holds only part of one.
///
/// # Errors
/// [`ProtocolError`] when `buf` does not start with a valid request.
///
/// # Examples
///
/// ```
/// use redis_server::request::parse_command;
///
/// let (args, used) = parse_command(b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n").unwrap().unwrap();
/// assert_eq!(args, [b"ECHO".to_vec(), b"hi".to_vec()]);
/// assert_eq!(used, 22);
/// assert_eq!(parse_command(b"*2\r\n$4\r\nECHO\r\n$2\r\nh").unwrap(), None);
/// let (args, _) = parse_command(b"set k \"a b\"\r\n").unwrap().unwrap();
/// assert_eq!(args, [b"set".to_vec(), b"k".to_vec(), b"a b".to_vec()]);
/// assert!(parse_command(b"*1\r\n+PING\r\n").is_err());
/// ```
pub fn parse_command(buf: &[u8]) -> Result<Option<Parsed>, ProtocolError> {
    let mut parser = RequestParser::new(Limits::default());
    Ok(match parser.parse(buf)? {
        (used, Some(args)) => Some((args, used)),
        (_, None) => None,
    })
}

#[cfg(test)]
mod tests;

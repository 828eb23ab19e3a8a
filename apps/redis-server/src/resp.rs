//! RESP2, the Redis serialization protocol: an incremental request parser and the reply
//! encoders.
//!
//! Clients send either a *multibulk* request (`*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n`, what
//! `redis-cli` and `redis-benchmark` send) or an *inline* command (`GET key\r\n`, what a
//! person types into `nc`). [`parse_command`] takes whatever the connection has buffered
//! and returns the first complete request and how many bytes it used, `None` while the
//! request is still incomplete, or a [`ProtocolError`] when the bytes cannot be a request.
//!
//! # Invariants
//! 1. The parser never consumes a partial request: it returns `Ok(None)` and the caller
//!    keeps the bytes, so a request split across any number of reads parses the same as
//!    one read in a single piece.
//! 2. Memory is bounded by the limits below before anything is allocated: an oversized
//!    length header is an error, not an allocation.
//! 3. Every request is parsed from the start of the buffer again when more bytes arrive;
//!    the work per read is the header scan only (bulk payloads are never scanned), so the
//!    cost of re-parsing is linear in the number of arguments.

use std::fmt;

/// The longest inline command, and the longest `*N` / `$N` header line, a client may send.
pub const MAX_INLINE_LEN: usize = 64 * 1024;
/// The most arguments one multibulk request may carry.
pub const MAX_ARGS: usize = 1024 * 1024;
/// The longest bulk string a request may carry (Redis' `proto-max-bulk-len`).
pub const MAX_BULK_LEN: usize = 512 * 1024 * 1024;

/// The bytes on the connection are not RESP: the server answers with this error and
/// closes the connection (the stream cannot be resynchronised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(String);

impl ProtocolError {
    fn new(msg: impl Into<String>) -> Self {
        ProtocolError(msg.into())
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// One parsed request: its arguments (the command name first) and the bytes it used.
pub type Parsed = (Vec<Vec<u8>>, usize);

/// Parses the first request in `buf`.
///
/// Returns `Ok(Some((args, used)))` for a complete request (`args` may be empty: a blank
/// inline line or `*0`, which the caller skips), `Ok(None)` when `buf` holds only part of
/// one.
///
/// # Errors
/// [`ProtocolError`] when `buf` does not start with a valid request.
///
/// # Examples
///
/// ```
/// use redis_server::resp::parse_command;
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
    match buf.first() {
        None => Ok(None),
        Some(b'*') => parse_multibulk(buf),
        Some(_) => parse_inline(buf),
    }
}

/// Finds the `\r\n` ending the header line that starts at `from`; `Ok(None)` if it has not
/// arrived yet.
fn header_line(buf: &[u8], from: usize, what: &str) -> Result<Option<usize>, ProtocolError> {
    let window = &buf[from..buf.len().min(from + MAX_INLINE_LEN)];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(i) => Ok(Some(from + i)),
        None if window.len() == MAX_INLINE_LEN => {
            Err(ProtocolError::new(format!("too big {what} count string")))
        }
        None => Ok(None),
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

fn parse_multibulk(buf: &[u8]) -> Result<Option<Parsed>, ProtocolError> {
    let Some(end) = header_line(buf, 1, "mbulk")? else {
        return Ok(None);
    };
    let count = match parse_len(&buf[1..end]) {
        Some(n) if n <= MAX_ARGS as i64 => n,
        _ => return Err(ProtocolError::new("invalid multibulk length")),
    };
    let mut pos = end + 2;
    if count <= 0 {
        // `*0` and `*-1` are empty requests; Redis skips them too.
        return Ok(Some((Vec::new(), pos)));
    }
    // Cap the up-front reservation: `count` is the client's claim, not yet backed by bytes.
    let mut args = Vec::with_capacity((count as usize).min(64));
    for _ in 0..count {
        match buf.get(pos) {
            None => return Ok(None),
            Some(b'$') => {}
            Some(&other) => {
                return Err(ProtocolError::new(format!(
                    "expected '$', got '{}'",
                    char::from(other).escape_default()
                )))
            }
        }
        let Some(end) = header_line(buf, pos + 1, "bulk")? else {
            return Ok(None);
        };
        let len = match parse_len(&buf[pos + 1..end]) {
            Some(n) if (0..=MAX_BULK_LEN as i64).contains(&n) => n as usize,
            _ => return Err(ProtocolError::new("invalid bulk length")),
        };
        let start = end + 2;
        let Some(body_end) = start.checked_add(len) else {
            return Err(ProtocolError::new("invalid bulk length"));
        };
        if buf.len() < body_end + 2 {
            return Ok(None);
        }
        if &buf[body_end..body_end + 2] != b"\r\n" {
            return Err(ProtocolError::new("expected '\\r\\n' after bulk string"));
        }
        args.push(buf[start..body_end].to_vec());
        pos = body_end + 2;
    }
    Ok(Some((args, pos)))
}

fn parse_inline(buf: &[u8]) -> Result<Option<Parsed>, ProtocolError> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        return if buf.len() > MAX_INLINE_LEN {
            Err(ProtocolError::new("too big inline request"))
        } else {
            Ok(None)
        };
    };
    if nl > MAX_INLINE_LEN {
        return Err(ProtocolError::new("too big inline request"));
    }
    let line = buf[..nl].strip_suffix(b"\r").unwrap_or(&buf[..nl]);
    let args = split_inline(line)?;
    Ok(Some((args, nl + 1)))
}

/// Splits an inline command line into arguments: blanks separate them, and `"..."` or
/// `'...'` group them (`\"`, `\\`, `\n`, `\r`, `\t` escapes inside double quotes, `\'`
/// inside single quotes).
fn split_inline(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
    let unbalanced = || ProtocolError::new("unbalanced quotes in request");
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(|b| b" \t".contains(b)) {
            i += 1;
        }
        let Some(&first) = line.get(i) else {
            return Ok(args);
        };
        let mut arg = Vec::new();
        if first == b'"' || first == b'\'' {
            i += 1;
            loop {
                let &b = line.get(i).ok_or_else(unbalanced)?;
                i += 1;
                if b == first {
                    break;
                }
                if b == b'\\' && i < line.len() {
                    let e = line[i];
                    i += 1;
                    match (first, e) {
                        (b'"', b'n') => arg.push(b'\n'),
                        (b'"', b'r') => arg.push(b'\r'),
                        (b'"', b't') => arg.push(b'\t'),
                        (b'"', b'"' | b'\\') | (b'\'', b'\'') => arg.push(e),
                        // Not an escape: keep the backslash.
                        _ => arg.extend_from_slice(&[b'\\', e]),
                    }
                } else {
                    arg.push(b);
                }
            }
            // A closing quote must end the argument.
            if line.get(i).is_some_and(|b| !b" \t".contains(b)) {
                return Err(unbalanced());
            }
        } else {
            while let Some(&b) = line.get(i).filter(|b| !b" \t".contains(b)) {
                arg.push(b);
                i += 1;
            }
        }
        args.push(arg);
    }
}

/// Appends a simple string reply: `+OK\r\n`.
pub fn put_simple(out: &mut Vec<u8>, s: &str) {
    out.push(b'+');
    out.extend_from_slice(s.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends an error reply: `-ERR ...\r\n`. Line breaks in `msg` become spaces (an error
/// is one line).
pub fn put_error(out: &mut Vec<u8>, msg: &str) {
    out.push(b'-');
    out.extend(
        msg.bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

/// Appends an integer reply: `:42\r\n`.
pub fn put_int(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a bulk string reply: `$3\r\nbar\r\n`.
pub fn put_bulk(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(data.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the null bulk reply `$-1\r\n` (a missing key).
pub fn put_null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"$-1\r\n");
}

/// Appends an array header `*n\r\n`; the `n` elements follow.
pub fn put_array_len(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn every_split_point_parses_the_same() {
        let req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nxy\r\n";
        for cut in 0..req.len() {
            assert_eq!(parse_command(&req[..cut]).unwrap(), None, "cut at {cut}");
        }
        let (got, used) = parse_command(req).unwrap().unwrap();
        assert_eq!(got, args(&["SET", "k", "v\r\nxy"]));
        assert_eq!(used, req.len());
    }

    #[test]
    fn inline_quotes_and_blanks() {
        let req = b"  set  'it\\'s' \"a\\tb\"\r\nrest";
        let (got, used) = parse_command(req).unwrap().unwrap();
        assert_eq!(used, req.len() - 4);
        assert_eq!(got, args(&["set", "it's", "a\tb"]));
        assert_eq!(parse_command(b"\r\n").unwrap().unwrap(), (vec![], 2));
        assert!(parse_command(b"set \"k v\r\n").is_err());
        assert!(parse_command(b"set \"k\"v\r\n").is_err());
    }

    #[test]
    fn bad_headers_are_errors() {
        for bad in [
            &b"*x\r\n"[..],
            b"*2\r\n:1\r\n",
            b"*1\r\n$-2\r\n",
            b"*1\r\n$1\r\nab\r\n",
            b"*99999999999\r\n",
        ] {
            assert!(
                parse_command(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = vec![b'a'; MAX_INLINE_LEN + 1];
        assert!(parse_command(&long).is_err());
    }
}

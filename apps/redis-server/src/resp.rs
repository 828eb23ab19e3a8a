//! RESP2 reply encoders: what the server writes back.
//!
//! Each function appends one reply to an output buffer, so a pipeline of requests is
//! answered with one write. The request side of the protocol is [`crate::request`].
//!
//! # Examples
//!
//! ```
//! use redis_server::resp::{put_array_len, put_bulk, put_int};
//!
//! let mut out = Vec::new();
//! put_array_len(&mut out, 2);
//! put_bulk(&mut out, b"hi");
//! put_int(&mut out, 42);
//! assert_eq!(out, b"*2\r\n$2\r\nhi\r\n:42\r\n");
//! ```

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

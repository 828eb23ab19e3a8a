//! [`LinesCodec`]: newline-terminated UTF-8 lines.

use std::io;

use bytes::{Buf, BufMut, BytesMut};

use super::{Decoder, Encoder};

/// Lines of UTF-8 text ended by `\n` (a `\r` before it is dropped too); frames are
/// `String`s without the line ending. Encoding appends `\n`.
///
/// A line longer than the limit ([`new_with_max_length`](Self::new_with_max_length),
/// unlimited by default) or one that is not UTF-8 is an `InvalidData` error, which ends
/// the stream (rule 2 of [`codec`](super)). A last line without `\n` at end-of-stream
/// is returned as it is.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::io::codec::{FramedRead, LinesCodec};
/// use futures::TryStreamExt;
///
/// let input: &[u8] = b"one\r\ntwo\nthree";
/// let lines: Vec<String> = FramedRead::new(input, LinesCodec::new()).try_collect().await?;
/// assert_eq!(lines, ["one", "two", "three"]);
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct LinesCodec {
    /// Bytes at the front of the buffer already searched for `\n`.
    searched: usize,
    max_length: usize,
}

impl LinesCodec {
    /// Lines of any length.
    pub fn new() -> Self {
        LinesCodec {
            searched: 0,
            max_length: usize::MAX,
        }
    }

    /// Lines of at most `max_length` bytes (without the line ending).
    pub fn new_with_max_length(max_length: usize) -> Self {
        LinesCodec {
            searched: 0,
            max_length,
        }
    }

    /// The line length limit.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    fn take_line(&self, src: &mut BytesMut, end: usize, consumed: usize) -> io::Result<String> {
        let mut line = &src[..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.len() > self.max_length {
            return Err(too_long(self.max_length));
        }
        let text = std::str::from_utf8(line)
            .map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("line is not UTF-8: {e}"),
                )
            })?
            .to_owned();
        src.advance(consumed);
        Ok(text)
    }
}

impl Default for LinesCodec {
    fn default() -> Self {
        LinesCodec::new()
    }
}

fn too_long(max: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("line longer than the limit of {max} bytes"),
    )
}

impl Decoder for LinesCodec {
    type Item = String;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<String>> {
        match memchr::memchr(b'\n', &src[self.searched..]) {
            Some(i) => {
                let end = self.searched + i;
                self.searched = 0;
                self.take_line(src, end, end + 1).map(Some)
            }
            None => {
                self.searched = src.len();
                // `+ 1`: a `\r` may still be followed by the `\n`.
                if src.len() > self.max_length.saturating_add(1) {
                    return Err(too_long(self.max_length));
                }
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<String>> {
        if let Some(line) = self.decode(src)? {
            return Ok(Some(line));
        }
        self.searched = 0;
        if src.is_empty() {
            return Ok(None);
        }
        let len = src.len();
        self.take_line(src, len, len).map(Some)
    }
}

impl<T: AsRef<str>> Encoder<T> for LinesCodec {
    type Error = io::Error;

    fn encode(&mut self, line: T, dst: &mut BytesMut) -> io::Result<()> {
        let line = line.as_ref();
        dst.reserve(line.len() + 1);
        dst.put_slice(line.as_bytes());
        dst.put_u8(b'\n');
        Ok(())
    }
}

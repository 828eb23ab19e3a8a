//! [`LengthDelimitedCodec`]: frames prefixed by their length.

use std::io;

use bytes::{Buf, BufMut, BytesMut};

use super::{Decoder, Encoder};

/// The default frame size limit: 8 MiB.
const DEFAULT_MAX: usize = 8 * 1024 * 1024;
const HEADER: usize = 4;

/// Frames prefixed by their length as a 4-byte big-endian unsigned integer (the framing
/// of many binary protocols). Decoded frames are `BytesMut`; anything `AsRef<[u8]>`
/// encodes.
///
/// A frame announced larger than the limit (8 MiB by default,
/// [`with_max_frame_length`](Self::with_max_frame_length)) is an `InvalidData` error
/// before any of it is buffered; it ends only the stream it arrived on (rule 2 of
/// [`codec`](super)). Encoding a frame over the limit is an `InvalidInput` error.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::io::codec::{Framed, LengthDelimitedCodec};
/// use futures::{SinkExt, StreamExt};
///
/// let (a, b) = corio_reactor::io::duplex(1024);
/// let mut a = Framed::new(a, LengthDelimitedCodec::new());
/// let mut b = Framed::new(b, LengthDelimitedCodec::new());
/// a.send(&b"binary\0frame"[..]).await?;
/// assert_eq!(&b.next().await.unwrap()?[..], b"binary\0frame");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct LengthDelimitedCodec {
    max_frame_length: usize,
}

impl LengthDelimitedCodec {
    /// Frames of at most 8 MiB.
    pub fn new() -> Self {
        LengthDelimitedCodec {
            max_frame_length: DEFAULT_MAX,
        }
    }

    /// Frames of at most `max` bytes (capped at `u32::MAX`, what the header can say).
    pub fn with_max_frame_length(max: usize) -> Self {
        LengthDelimitedCodec {
            max_frame_length: max.min(u32::MAX as usize),
        }
    }

    /// The frame size limit.
    pub fn max_frame_length(&self) -> usize {
        self.max_frame_length
    }
}

impl Default for LengthDelimitedCodec {
    fn default() -> Self {
        LengthDelimitedCodec::new()
    }
}

impl Decoder for LengthDelimitedCodec {
    type Item = BytesMut;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<BytesMut>> {
        if src.len() < HEADER {
            return Ok(None);
        }
        let len = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
        if len > self.max_frame_length {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "frame of {len} bytes exceeds the limit of {} bytes",
                    self.max_frame_length
                ),
            ));
        }
        if src.len() < HEADER + len {
            src.reserve(HEADER + len - src.len());
            return Ok(None);
        }
        src.advance(HEADER);
        Ok(Some(src.split_to(len)))
    }
}

impl<T: AsRef<[u8]>> Encoder<T> for LengthDelimitedCodec {
    type Error = io::Error;

    fn encode(&mut self, frame: T, dst: &mut BytesMut) -> io::Result<()> {
        let frame = frame.as_ref();
        if frame.len() > self.max_frame_length {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "frame of {} bytes exceeds the limit of {} bytes",
                    frame.len(),
                    self.max_frame_length
                ),
            ));
        }
        dst.reserve(HEADER + frame.len());
        dst.put_u32(frame.len() as u32);
        dst.put_slice(frame);
        Ok(())
    }
}

//! corio's framing decoders (`crates/corio-reactor/src/io/codec/`): `LinesCodec` (with its
//! SSE2 scan and the `unsafe` ASCII fast path) and `LengthDelimitedCodec`, differentially.
//! The input is a byte stream plus the read sizes it arrives in and a length limit; the
//! frames (or the error that ends the stream) must be the same whether the stream is
//! decoded whole or read by read, directly or through `FramedRead` (its own read buffer,
//! and `LinesCodec`'s in-place fast path), and the same as a byte-by-byte reference;
//! every line handed out must be valid UTF-8; nothing panics.
//!
//! Layout: byte 0 picks the codec (even: lines, odd: length-delimited), byte 1 the limit
//! (0: none / the default 8 MiB, else that many bytes), bytes 2-5 the read sizes (0 is
//! read as 1), the rest is the stream.

#![no_main]

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use corio_reactor::io::codec::{Decoder, FramedRead, LengthDelimitedCodec, LinesCodec};
use futures::StreamExt;
use libfuzzer_sys::fuzz_target;

/// What a stream decodes to: its frames, then the kind of error that ended it (if any).
#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<Vec<u8>>,
    error: Option<&'static str>,
}

/// The error's class, from its kind and message (the messages are the API's promise).
fn class(e: &std::io::Error) -> &'static str {
    let msg = e.to_string();
    match e.kind() {
        std::io::ErrorKind::InvalidData if msg.contains("longer than the limit") => "too long",
        std::io::ErrorKind::InvalidData if msg.contains("not UTF-8") => "not utf-8",
        std::io::ErrorKind::InvalidData if msg.contains("exceeds the limit") => "too large",
        std::io::ErrorKind::UnexpectedEof => "eof",
        _ => panic!("unexpected error {e:?}"),
    }
}

/// Decodes `stream` arriving in reads of the sizes `chunks` cycles through, as
/// `FramedRead` does: decode after every read until it has no whole frame, then
/// `decode_eof` at the end; the first error ends the stream.
fn decode<D, F>(mut codec: D, stream: &[u8], chunks: &[usize], frame: F) -> Outcome
where
    D: Decoder<Error = std::io::Error>,
    F: Fn(D::Item) -> Vec<u8>,
{
    let mut buf = BytesMut::new();
    let mut out = Outcome {
        frames: Vec::new(),
        error: None,
    };
    let mut at = 0;
    let mut sizes = chunks.iter().cycle();
    loop {
        let eof = at == stream.len();
        if !eof {
            let n = (*sizes.next().unwrap()).clamp(1, stream.len() - at);
            buf.extend_from_slice(&stream[at..at + n]);
            at += n;
        }
        loop {
            let r = if eof {
                codec.decode_eof(&mut buf)
            } else {
                codec.decode(&mut buf)
            };
            match r {
                Ok(Some(item)) => out.frames.push(frame(item)),
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(class(&e));
                    return out;
                }
            }
        }
        if eof {
            assert!(buf.is_empty(), "decode_eof left {} bytes", buf.len());
            return out;
        }
    }
}

/// A reader that hands out a stream in reads of the sizes it cycles through (0 is 1).
struct Chunked<'a> {
    rest: &'a [u8],
    sizes: std::iter::Cycle<std::slice::Iter<'a, usize>>,
}

impl futures::io::AsyncRead for Chunked<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let want = (*self.sizes.next().unwrap()).max(1);
        let n = want.min(buf.len()).min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Poll::Ready(Ok(n))
    }
}

/// [`decode`] through `FramedRead`.
fn framed<D, F>(codec: D, stream: &[u8], chunks: &[usize], frame: F) -> Outcome
where
    D: Decoder<Error = std::io::Error> + Unpin,
    F: Fn(D::Item) -> Vec<u8>,
{
    let reader = Chunked {
        rest: stream,
        sizes: chunks.iter().cycle(),
    };
    let mut frames = FramedRead::new(reader, codec);
    let mut out = Outcome {
        frames: Vec::new(),
        error: None,
    };
    futures::executor::block_on(async {
        // After an error the stream ends (`None`).
        while let Some(r) = frames.next().await {
            match r {
                Ok(item) => out.frames.push(frame(item)),
                Err(e) => out.error = Some(class(&e)),
            }
        }
    });
    out
}

/// Lines, byte by byte: split at `\n`, one `\r` before it dropped; longer than `max` or
/// not UTF-8 ends the stream; a last line without `\n` counts as a line. A partial line
/// already longer than `max + 1` bytes is refused before its end arrives, which is the
/// same verdict its end would give.
fn lines_reference(stream: &[u8], max: usize) -> Outcome {
    let mut out = Outcome {
        frames: Vec::new(),
        error: None,
    };
    let mut rest = stream;
    while !rest.is_empty() {
        let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        if line.len() > max {
            out.error = Some("too long");
            return out;
        }
        if std::str::from_utf8(line).is_err() {
            out.error = Some("not utf-8");
            return out;
        }
        out.frames.push(line.to_vec());
        rest = next;
    }
    out
}

/// Length-delimited frames: a 4-byte big-endian length, then that many bytes; a length
/// over `max` ends the stream; a partial header or frame at the end is `eof`.
fn length_delimited_reference(stream: &[u8], max: usize) -> Outcome {
    let mut out = Outcome {
        frames: Vec::new(),
        error: None,
    };
    let mut rest = stream;
    while !rest.is_empty() {
        if rest.len() < 4 {
            out.error = Some("eof");
            return out;
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len > max {
            out.error = Some("too large");
            return out;
        }
        if rest.len() < 4 + len {
            out.error = Some("eof");
            return out;
        }
        out.frames.push(rest[4..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let limit = data[1] as usize;
    let chunks: Vec<usize> = data[2..6].iter().map(|&b| b as usize).collect();
    let stream = &data[6..];
    if data[0] % 2 == 0 {
        let make = || {
            if limit == 0 {
                LinesCodec::new()
            } else {
                LinesCodec::new_with_max_length(limit)
            }
        };
        let as_bytes = |s: String| {
            // A line handed out is a valid String (the ASCII fast path skips the check).
            assert!(std::str::from_utf8(s.as_bytes()).is_ok());
            s.into_bytes()
        };
        let whole = decode(make(), stream, &[usize::MAX], as_bytes);
        let pieces = decode(make(), stream, &chunks, as_bytes);
        let bytewise = decode(make(), stream, &[1], as_bytes);
        let max = if limit == 0 { usize::MAX } else { limit };
        let reference = lines_reference(stream, max);
        assert_eq!(whole, reference, "whole stream vs reference");
        assert_eq!(pieces, reference, "reads of {chunks:?} vs reference");
        assert_eq!(bytewise, reference, "byte by byte vs reference");
        let through = framed(make(), stream, &chunks, as_bytes);
        assert_eq!(
            through, reference,
            "FramedRead, reads of {chunks:?} vs reference"
        );
    } else {
        let make = || {
            if limit == 0 {
                LengthDelimitedCodec::new()
            } else {
                LengthDelimitedCodec::with_max_frame_length(limit)
            }
        };
        let max = make().max_frame_length();
        let as_bytes = |b: BytesMut| b.to_vec();
        let reference = length_delimited_reference(stream, max);
        assert_eq!(decode(make(), stream, &[usize::MAX], as_bytes), reference);
        assert_eq!(decode(make(), stream, &chunks, as_bytes), reference);
        assert_eq!(decode(make(), stream, &[1], as_bytes), reference);
        assert_eq!(framed(make(), stream, &chunks, as_bytes), reference);
    }
});

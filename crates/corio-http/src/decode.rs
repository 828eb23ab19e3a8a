//! Streaming `gzip` / `deflate` decoding of response bodies (flate2, pure Rust backend).

use std::io::{self, Write};

use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

/// A `Content-Encoding` this client decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Gzip,
    Deflate,
}

impl Encoding {
    /// The encoding named by a `Content-Encoding` value, if it is one we decode.
    pub(crate) fn from_header(value: &str) -> Option<Encoding> {
        match value.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            "deflate" => Some(Encoding::Deflate),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }
}

/// Decodes chunk by chunk; output is taken after each chunk.
pub(crate) struct Decoder {
    encoding: Encoding,
    state: State,
}

enum State {
    Gzip(GzDecoder<Vec<u8>>),
    /// `deflate` is zlib-wrapped by the RFC, raw by some servers: decided by the first
    /// two bytes.
    DeflateUndecided(Vec<u8>),
    Zlib(ZlibDecoder<Vec<u8>>),
    Raw(DeflateDecoder<Vec<u8>>),
    Done,
}

impl Decoder {
    pub(crate) fn new(encoding: Encoding) -> Decoder {
        let state = match encoding {
            Encoding::Gzip => State::Gzip(GzDecoder::new(Vec::new())),
            Encoding::Deflate => State::DeflateUndecided(Vec::new()),
        };
        Decoder { encoding, state }
    }

    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Feeds `input`; returns the bytes decoded so far.
    pub(crate) fn feed(&mut self, input: &[u8]) -> io::Result<Vec<u8>> {
        if let State::DeflateUndecided(buf) = &mut self.state {
            buf.extend_from_slice(input);
            if buf.len() < 2 {
                return Ok(Vec::new());
            }
            let (cmf, flg) = (buf[0], buf[1]);
            let zlib = cmf & 0x0f == 8 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
            let pending = std::mem::take(buf);
            self.state = if zlib {
                State::Zlib(ZlibDecoder::new(Vec::new()))
            } else {
                State::Raw(DeflateDecoder::new(Vec::new()))
            };
            return self.feed(&pending);
        }
        match &mut self.state {
            State::Gzip(d) => {
                d.write_all(input)?;
                Ok(std::mem::take(d.get_mut()))
            }
            State::Zlib(d) => {
                d.write_all(input)?;
                Ok(std::mem::take(d.get_mut()))
            }
            State::Raw(d) => {
                d.write_all(input)?;
                Ok(std::mem::take(d.get_mut()))
            }
            State::DeflateUndecided(_) => unreachable!("handled above"),
            State::Done => Ok(Vec::new()),
        }
    }

    /// Ends the input; an error when the compressed stream is incomplete.
    pub(crate) fn finish(&mut self) -> io::Result<Vec<u8>> {
        let truncated =
            || io::Error::new(io::ErrorKind::UnexpectedEof, "compressed stream ends early");
        match std::mem::replace(&mut self.state, State::Done) {
            State::Gzip(d) => d.finish().map_err(|e| {
                if e.kind() == io::ErrorKind::WriteZero {
                    truncated()
                } else {
                    e
                }
            }),
            State::Zlib(d) => d.finish(),
            State::Raw(d) => d.finish(),
            State::DeflateUndecided(buf) if buf.is_empty() => Ok(Vec::new()),
            State::DeflateUndecided(_) => Err(truncated()),
            State::Done => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;

    fn decode_in_chunks(enc: Encoding, data: &[u8], chunk: usize) -> io::Result<Vec<u8>> {
        let mut d = Decoder::new(enc);
        let mut out = Vec::new();
        for c in data.chunks(chunk) {
            out.extend(d.feed(c)?);
        }
        out.extend(d.finish()?);
        Ok(out)
    }

    fn text() -> Vec<u8> {
        (0..2000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect()
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_round_trip_in_small_chunks() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&text()).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(decode_in_chunks(Encoding::Gzip, &gz, 7).unwrap(), text());
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&text()).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(decode_in_chunks(Encoding::Deflate, &z, 1).unwrap(), text());
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(&text()).unwrap();
        let raw = raw.finish().unwrap();
        assert_eq!(
            decode_in_chunks(Encoding::Deflate, &raw, 100).unwrap(),
            text()
        );
    }

    #[test]
    fn corrupt_or_truncated_input_is_an_error() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&text()).unwrap();
        let gz = gz.finish().unwrap();
        assert!(decode_in_chunks(Encoding::Gzip, &gz[..gz.len() / 2], 64).is_err());
        assert!(decode_in_chunks(Encoding::Gzip, b"not gzip at all", 64).is_err());
        assert_eq!(Encoding::from_header(" GZIP "), Some(Encoding::Gzip));
        assert_eq!(Encoding::from_header("br"), None);
    }
}

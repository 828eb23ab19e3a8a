//! [`LinesCodec`]: newline-terminated UTF-8 lines.

use std::io;

use bytes::{Buf, BufMut, BytesMut};

use super::read::{Internal, KeepsSpareInitialized};
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
///
/// # Implementation
/// Each line costs one scan, one allocation (the `String` handed out) and one copy
/// into it. The scan finds the `\n` and checks for ASCII in the same pass, 16 bytes at
/// a time (SSE2 on x86-64), over a line's first 64 bytes; an all-ASCII line needs no
/// separate UTF-8 check. A longer line's rest is searched with `memchr` and the line
/// is then checked with `std::str::from_utf8`, as is a line whose start was searched
/// in an earlier call (it arrived in pieces: the search resumes where it stopped and
/// never goes over the buffered prefix again).
///
/// The common line (whole in the buffer, its `\n` within the first 64 bytes' whole
/// 16-byte blocks, ASCII) takes a small inlined path; every other case goes to an
/// out-of-line one. In a [`FramedRead`](super::FramedRead), the lines returned stay in
/// the read buffer until the next read (they are skipped, not removed one by one), and
/// that buffer is zeroed once instead of before every read (the codec vouches it never
/// de-initialises it: see `read.rs`).
#[derive(Debug, Clone)]
pub struct LinesCodec {
    /// Bytes at the front of the buffer already searched for `\n` (none found).
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

    /// The line `src[..end]` (a `\r` before `end` dropped) as a `String`, then
    /// `consumed` bytes removed from `src`. `ascii`: every byte of `src[..end]` was
    /// seen to be ASCII in this call.
    #[inline]
    fn take_line(
        &self,
        src: &mut BytesMut,
        mut end: usize,
        consumed: usize,
        ascii: bool,
    ) -> io::Result<String> {
        if end > 0 && src[end - 1] == b'\r' {
            end -= 1;
        }
        if end > self.max_length {
            return Err(too_long(self.max_length));
        }
        let line = &src[..end];
        let text = if ascii {
            // SAFETY: the caller's scan saw every byte of `line` (these very bytes,
            // in this call) below 0x80, and ASCII text is UTF-8.
            unsafe { String::from_utf8_unchecked(line.to_vec()) }
        } else {
            String::from(std::str::from_utf8(line).map_err(not_utf8)?)
        };
        src.advance(consumed);
        Ok(text)
    }
}

impl Default for LinesCodec {
    fn default() -> Self {
        LinesCodec::new()
    }
}

#[cold]
#[inline(never)]
fn too_long(max: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("line longer than the limit of {max} bytes"),
    )
}

#[cold]
#[inline(never)]
fn not_utf8(e: std::str::Utf8Error) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("line is not UTF-8: {e}"),
    )
}

/// How many bytes [`find_newline`] scans itself (also checking for ASCII) before it
/// hands the rest of a long line to `memchr`.
const SHORT_SCAN: usize = 64;

/// The index of the first `\n` in `bytes`, and whether every byte before it is
/// known to be ASCII (`false` also means "not checked": long lines).
///
/// Short lines (the common case) are scanned in one inlined pass that finds the `\n`
/// and checks for ASCII together (16 bytes at a time with SSE2 on x86-64, 8 at a time
/// elsewhere); past [`SHORT_SCAN`] bytes the rest goes to `memchr` (vectorized) and the
/// UTF-8 check is left to the caller.
#[inline]
fn find_newline(bytes: &[u8]) -> (Option<usize>, bool) {
    let head = bytes.len().min(SHORT_SCAN);
    match scan_short(&bytes[..head]) {
        (Some(i), non_ascii) => (Some(i), !non_ascii),
        (None, _) if head == bytes.len() => (None, false),
        (None, _) => (
            memchr::memchr(b'\n', &bytes[head..]).map(|i| head + i),
            false,
        ),
    }
}

/// The first `\n` in `bytes`, and whether a byte >= 0x80 comes before it (when there
/// is no `\n`, the second value is meaningless).
#[inline]
fn scan_short(bytes: &[u8]) -> (Option<usize>, bool) {
    match scan_blocks(bytes) {
        Ok((i, non_ascii)) => (Some(i), non_ascii),
        Err((from, non_ascii)) => scan_bytes(bytes, from, non_ascii),
    }
}

/// [`scan_short`] over the whole blocks at the front of `bytes` only (16 bytes with
/// SSE2 on x86-64, 8 elsewhere): `Ok((index of the \n, a byte >= 0x80 before it))`,
/// or `Err((bytes scanned, a byte >= 0x80 among them))` when those blocks hold no `\n`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn scan_blocks(bytes: &[u8]) -> Result<(usize, bool), (usize, bool)> {
    // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has it.
    unsafe { scan_sse2(bytes) }
}

/// [`scan_blocks`] 16 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn scan_sse2(bytes: &[u8]) -> Result<(usize, bool), (usize, bool)> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let newlines = _mm_set1_epi8(b'\n' as i8);
    // Bit i: byte i of a block is >= 0x80, OR-ed over the blocks before the `\n`.
    let mut high = 0u32;
    let blocks = bytes.len() / 16;
    for block in 0..blocks {
        // SAFETY: `block * 16 + 16 <= bytes.len()`, so the 16 bytes read are in
        // `bytes`; `_mm_loadu_si128` has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(bytes.as_ptr().add(block * 16).cast::<__m128i>()) };
        let found = _mm_movemask_epi8(_mm_cmpeq_epi8(v, newlines)) as u32;
        let hi = _mm_movemask_epi8(v) as u32;
        if found != 0 {
            let at = found.trailing_zeros();
            // The bytes before the `\n` in this block.
            high |= hi & ((1u32 << at) - 1);
            return Ok((block * 16 + at as usize, high != 0));
        }
        high |= hi;
    }
    Err((blocks * 16, high != 0))
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn scan_blocks(bytes: &[u8]) -> Result<(usize, bool), (usize, bool)> {
    scan_words(bytes)
}

/// [`scan_blocks`] without SSE2: 8 bytes at a time in a `u64`.
#[cfg(any(not(target_arch = "x86_64"), test))]
#[inline]
fn scan_words(bytes: &[u8]) -> Result<(usize, bool), (usize, bool)> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut high = 0u64;
    let words = bytes.len() / 8;
    for (i, chunk) in bytes[..words * 8].chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap());
        let x = word ^ NEWLINES;
        // A byte's high bit is set where x's byte is 0 (the word's byte is `\n`).
        // Borrows may also set it in bytes above the first zero byte, never below,
        // so the lowest set bit is exact (little-endian: the first `\n`).
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            let byte = (found.trailing_zeros() / 8) as usize;
            // The bytes before the `\n` in this word.
            high |= word & ((1u64 << (8 * byte)).wrapping_sub(1));
            return Ok((i * 8 + byte, high & HIGHS != 0));
        }
        high |= word;
    }
    Err((words * 8, high & HIGHS != 0))
}

/// The rest of [`scan_short`] from `from`, byte by byte.
#[inline]
fn scan_bytes(bytes: &[u8], from: usize, mut non_ascii: bool) -> (Option<usize>, bool) {
    for (i, &b) in bytes[from..].iter().enumerate() {
        if b == b'\n' {
            return (Some(from + i), non_ascii);
        }
        non_ascii |= b >= 0x80;
    }
    (None, non_ascii)
}

impl Decoder for LinesCodec {
    type Item = String;
    type Error = io::Error;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<String>> {
        let mut start = 0;
        let line = self.decode_at(src, &mut start, Internal(()));
        if start > 0 {
            src.advance(start);
        }
        line
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
        self.take_line(src, len, len, false).map(Some)
    }

    fn keeps_spare_initialized(&self) -> Option<KeepsSpareInitialized> {
        // Decoding only reads `src` and advances it (`take_line`).
        Some(KeepsSpareInitialized(()))
    }

    #[inline]
    fn decode_at(
        &mut self,
        src: &mut BytesMut,
        start: &mut usize,
        _: Internal,
    ) -> io::Result<Option<String>> {
        // The common case, inlined: a line that starts at `src[*start]`, ends in the
        // first whole blocks of `SHORT_SCAN` bytes, is ASCII and within the limit.
        if self.searched == 0 {
            let rest = &src[*start..];
            if let Ok((newline, false)) = scan_blocks(&rest[..rest.len().min(SHORT_SCAN)]) {
                let end = match newline.checked_sub(1) {
                    Some(cr) if rest[cr] == b'\r' => cr,
                    _ => newline,
                };
                if end <= self.max_length {
                    // SAFETY: the scan saw every byte of `rest[..newline]` below 0x80,
                    // and ASCII text is UTF-8.
                    let line = unsafe { String::from_utf8_unchecked(rest[..end].to_vec()) };
                    *start += newline + 1;
                    return Ok(Some(line));
                }
            }
        }
        if *start > 0 {
            src.advance(std::mem::take(start));
        }
        self.decode_slow(src)
    }
}

impl LinesCodec {
    /// [`Decoder::decode`] for any line: one that arrived in pieces, is long or not
    /// ASCII, or an error.
    #[inline(never)]
    fn decode_slow(&mut self, src: &mut BytesMut) -> io::Result<Option<String>> {
        let from = self.searched.min(src.len());
        match find_newline(&src[from..]) {
            (Some(i), ascii) => {
                let newline = from + i;
                self.searched = 0;
                // The scan's ASCII verdict covers the whole line only if it started
                // at the line's first byte.
                self.take_line(src, newline, newline + 1, ascii && from == 0)
                    .map(Some)
            }
            (None, _) => {
                self.searched = src.len();
                // `+ 1`: a `\r` may still be followed by the `\n`.
                if src.len() > self.max_length.saturating_add(1) {
                    return Err(too_long(self.max_length));
                }
                Ok(None)
            }
        }
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

#[cfg(test)]
mod tests {
    use super::{find_newline, scan_bytes, scan_short, scan_words, SHORT_SCAN};

    /// What `find_newline` must say, byte by byte.
    fn reference(bytes: &[u8]) -> (Option<usize>, bool) {
        match bytes.iter().position(|&b| b == b'\n') {
            Some(i) => (Some(i), i < SHORT_SCAN && bytes[..i].is_ascii()),
            None => (None, false),
        }
    }

    #[test]
    fn the_scans_agree_with_a_byte_by_byte_search() {
        // Every length up to past the short scan, a `\n` at every position or none,
        // and a non-ASCII byte before it, after it, or nowhere.
        // Under Miri (slow), only the lengths and positions around block edges.
        let edges = |len: usize| -> Vec<usize> {
            if cfg!(miri) {
                let mut v = vec![0, 1, 7, 8, 15, 16, 17, 31, 32, 63, 64, 65];
                v.retain(|&i| i < len);
                v.extend(len.checked_sub(1));
                v
            } else {
                (0..len).collect()
            }
        };
        for len in edges(SHORT_SCAN + 20) {
            for newline in edges(len).into_iter().map(Some).chain([None]) {
                for high in edges(len).into_iter().map(Some).chain([None]) {
                    let mut bytes = vec![b'a'; len];
                    if let Some(h) = high {
                        bytes[h] = 0xc3;
                    }
                    if let Some(n) = newline {
                        bytes[n] = b'\n';
                    }
                    let want = reference(&bytes);
                    let got = find_newline(&bytes);
                    assert_eq!(got.0, want.0, "{bytes:?}");
                    // `false` may also mean "not checked" (past the short scan).
                    if got.1 {
                        assert!(want.1, "claimed ASCII: {bytes:?}");
                    }
                    if want.0.is_some_and(|i| i < SHORT_SCAN) {
                        assert_eq!(got.1, want.1, "{bytes:?}");
                    }
                    let head = &bytes[..len.min(SHORT_SCAN)];
                    let words = match scan_words(head) {
                        Ok((i, non_ascii)) => (Some(i), non_ascii),
                        Err((from, non_ascii)) => scan_bytes(head, from, non_ascii),
                    };
                    let short = scan_short(head);
                    assert_eq!(words.0, short.0, "{bytes:?}");
                    if short.0.is_some() {
                        assert_eq!(words.1, short.1, "{bytes:?}");
                    }
                }
            }
        }
    }
}

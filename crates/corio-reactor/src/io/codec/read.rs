//! The read side of [`FramedRead`](super::FramedRead) and [`Framed`](super::Framed): the
//! read buffer, the decode-then-read loop (rules 1-3 of [`codec`](super)) and where reads
//! land (rule 5).
//!
//! # Rules
//! 1. A read goes into `buf[len..len + READ_CHUNK]`, bytes that must be initialised: a
//!    `futures::io` reader takes a `&mut [u8]`.
//! 2. For a decoder that does not vouch for itself (any decoder of another crate), that
//!    room is zeroed before every read.
//! 3. A decoder that returns a [`KeepsSpareInitialized`] promises never to de-initialise
//!    bytes of `buf` past its length (safe code can, through
//!    `BytesMut::spare_capacity_mut`) and never to change its allocation (`reserve`).
//!    Only this crate can make one, so only decoders written here make that promise.
//!    For them the buffer is allocated zeroed ([`ReadState::realloc_zeroed`]): every
//!    byte of that allocation is initialised, and stays so while it is the same
//!    allocation. Reads reuse it (`try_reclaim` moves the undecoded bytes to its front
//!    and never allocates), zeroing nothing.
//! 4. `initialized_end` is the end address of that zeroed allocation (0: none): its
//!    start plus the length zeroed, which is also its capacity (`BytesMut::zeroed(n)`
//!    is a `vec![0; n]`; checked in debug builds). Advancing, splitting off the front
//!    and reclaiming keep `as_ptr() + capacity()`; only this module's own
//!    `realloc_zeroed` changes the allocation (rule 3), and it records the new end.
//!    The guarantee is rule 3; the end is compared before every read only as a
//!    backstop (a reallocation that copied from the old allocation cannot end at the
//!    same address, and one grown in place ends later): any other end means "not
//!    known", and the buffer is allocated zeroed again.
//! 5. `buf[..consumed]` are frames already returned that a decoder of this crate left
//!    in place (`Decoder::decode_at`): removing them costs a call into `bytes` per
//!    frame, so they are removed once, before the next read (`sync`), or before a
//!    decoder that does not skip them is called. The undecoded bytes are
//!    `buf[consumed..]` ([`ReadState::buffered`]).
//!
//! # Implementation
//! The buffer starts in `bytes`' shared representation (`split_off(0)` moves the whole
//! capacity into it, the emptied original is dropped at once, so it stays the only
//! owner): advancing past a decoded frame is a few pointer updates instead of the vector
//! representation's offset bookkeeping. For `LinesCodec` over 40-byte lines, rule 3
//! saves ~40 instructions per line (callgrind counts the zeroing of 8 KiB per read byte
//! by byte) and rule 5 ~20 (a call into `bytes` per line).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use futures::io::AsyncRead;

use super::Decoder;

/// Bytes read per `read` call.
const READ_CHUNK: usize = 8 * 1024;

/// A decoder's promise of rule 3 (only this crate can make one).
#[allow(unreachable_pub)] // reachable only as the return type of a hidden trait method
#[derive(Debug)]
pub struct KeepsSpareInitialized(pub(super) ());

/// The last parameter of the hidden `Decoder::decode_at` (rule 5): only this crate can
/// name or make one, so only this crate calls or overrides that method.
#[allow(unreachable_pub)] // reachable only as a parameter of a hidden trait method
#[derive(Debug, Clone, Copy)]
pub struct Internal(pub(super) ());

/// The read side's state.
#[derive(Debug)]
pub(super) struct ReadState {
    buf: BytesMut,
    /// Rule 5: bytes at the front of `buf` already returned as frames.
    consumed: usize,
    /// Rule 4: the end address of `buf`'s allocation when every byte of it is
    /// initialised (rule 3), else 0 (no allocation ends at address 0).
    initialized_end: usize,
    phase: Phase,
}

/// Where the stream is (rules 2 and 3 of [`codec`](super)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading and decoding.
    Decoding,
    /// The reader reached end-of-stream: `decode_eof` until it says `None`.
    Eof,
    /// Ended: `None` from now on.
    Done,
}

/// `buf`'s allocation end address (rule 4).
fn end_of(buf: &BytesMut) -> usize {
    buf.as_ptr() as usize + buf.capacity()
}

impl ReadState {
    /// No buffer is allocated before the first read.
    pub(super) fn new() -> Self {
        ReadState {
            buf: BytesMut::new(),
            consumed: 0,
            initialized_end: 0,
            phase: Phase::Decoding,
        }
    }

    /// The bytes read but not yet decoded (rule 5).
    pub(super) fn buffered(&self) -> &[u8] {
        &self.buf[self.consumed..]
    }

    /// Removes the frames already returned from `buf` (rule 5).
    fn sync(&mut self) {
        if self.consumed > 0 {
            self.buf.advance(std::mem::take(&mut self.consumed));
        }
    }

    /// Rule 3: moves the undecoded bytes into a new, zeroed allocation with room for
    /// at least two reads past them (so that reclaiming pays while lines are shorter
    /// than a read).
    fn realloc_zeroed(&mut self) {
        let len = self.buf.len();
        let zeroed = 2 * (len + READ_CHUNK);
        let mut fresh = BytesMut::zeroed(zeroed);
        let zeroed_end = fresh.as_ptr() as usize + zeroed;
        debug_assert_eq!(end_of(&fresh), zeroed_end, "capacity past the zeroed bytes");
        fresh.clear();
        let mut fresh = fresh.split_off(0);
        fresh.extend_from_slice(&self.buf);
        self.initialized_end = zeroed_end;
        self.buf = fresh;
    }

    /// Makes `buf[len..len + READ_CHUNK]` initialised (rules 1-4), sets the length past
    /// it, and returns the old length.
    fn extend_for_read(&mut self, trusted: bool) -> usize {
        let len = self.buf.len();
        if !trusted {
            if self.buf.capacity() == 0 {
                // Empty (`len <= capacity`): start in the shared representation.
                self.buf = BytesMut::with_capacity(READ_CHUNK).split_off(0);
            }
            // Rule 2.
            self.buf.resize(len + READ_CHUNK, 0);
            return len;
        }
        // Not the zeroed allocation (rule 4), or no room in it even after moving the
        // undecoded bytes to its front.
        if end_of(&self.buf) != self.initialized_end || !self.buf.try_reclaim(READ_CHUNK) {
            self.realloc_zeroed();
        }
        debug_assert_eq!(end_of(&self.buf), self.initialized_end);
        debug_assert!(self.buf.capacity() - len >= READ_CHUNK);
        // Rule 4: `buf` is still the allocation `realloc_zeroed` zeroed (its end is
        // `initialized_end`; `try_reclaim` keeps the allocation).
        // SAFETY: by rule 4 and the decoder's promise (rule 3) every byte of `buf` is
        // initialised, and `try_reclaim`/`realloc_zeroed` left room for `READ_CHUNK` more.
        unsafe { self.buf.set_len(len + READ_CHUNK) };
        len
    }

    /// The next frame (rules 1-3 of [`codec`](super)). The common case, a whole frame
    /// already buffered, is this small inlined function; reading and end-of-stream are
    /// [`poll_more`](Self::poll_more).
    #[inline]
    pub(super) fn poll_frame<R, D>(
        &mut self,
        cx: &mut Context<'_>,
        io: Pin<&mut R>,
        decoder: &mut D,
    ) -> Poll<Option<Result<D::Item, D::Error>>>
    where
        R: AsyncRead + ?Sized,
        D: Decoder,
    {
        if self.phase != Phase::Decoding {
            return self.poll_more(cx, io, decoder);
        }
        match decoder.decode_at(&mut self.buf, &mut self.consumed, Internal(())) {
            Ok(Some(frame)) => Poll::Ready(Some(Ok(frame))),
            Ok(None) => self.poll_more(cx, io, decoder),
            Err(e) => {
                self.phase = Phase::Done;
                Poll::Ready(Some(Err(e)))
            }
        }
    }

    /// [`poll_frame`](Self::poll_frame) once the buffer holds no whole frame (or the
    /// stream ended): reads, then decodes again.
    #[inline(never)]
    fn poll_more<R, D>(
        &mut self,
        cx: &mut Context<'_>,
        mut io: Pin<&mut R>,
        decoder: &mut D,
    ) -> Poll<Option<Result<D::Item, D::Error>>>
    where
        R: AsyncRead + ?Sized,
        D: Decoder,
    {
        self.sync();
        loop {
            match self.phase {
                Phase::Done => return Poll::Ready(None),
                Phase::Eof => {
                    let r = decoder.decode_eof(&mut self.buf);
                    return match r {
                        Ok(Some(frame)) => Poll::Ready(Some(Ok(frame))),
                        Ok(None) => {
                            self.phase = Phase::Done;
                            Poll::Ready(None)
                        }
                        Err(e) => {
                            self.phase = Phase::Done;
                            Poll::Ready(Some(Err(e)))
                        }
                    };
                }
                Phase::Decoding => {}
            }
            let len = self.extend_for_read(decoder.keeps_spare_initialized().is_some());
            let res = io.as_mut().poll_read(cx, &mut self.buf[len..]);
            let n = match &res {
                Poll::Ready(Ok(n)) => *n,
                _ => 0,
            };
            self.buf.truncate(len + n);
            match res {
                Poll::Ready(Ok(0)) => {
                    self.phase = Phase::Eof;
                    continue;
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(e)) => {
                    self.phase = Phase::Done;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Pending => return Poll::Pending,
            }
            match decoder.decode(&mut self.buf) {
                Ok(Some(frame)) => return Poll::Ready(Some(Ok(frame))),
                Ok(None) => {}
                Err(e) => {
                    self.phase = Phase::Done;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::BytesMut;
    use futures::io::AsyncRead;
    use futures::task::noop_waker_ref;

    use super::ReadState;
    use crate::io::codec::{Decoder, LinesCodec};

    /// A reader that claims runs of `sizes[i]` bytes (`> 0`; a run longer than a read
    /// takes several) but writes only a `\n` at the end of each: the rest keeps whatever
    /// the buffer held (safe code may do this), so decoding reads bytes the read buffer
    /// must have initialised (checked by Miri).
    struct Lazy {
        sizes: Vec<usize>,
        next: usize,
    }

    impl AsyncRead for Lazy {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let next = self.next;
            let Some(want) = self.sizes.get_mut(next) else {
                return Poll::Ready(Ok(0));
            };
            // A run longer than `buf` takes several reads; its last byte is the `\n`.
            let n = (*want).min(buf.len());
            *want -= n;
            if *want == 0 {
                buf[n - 1] = b'\n';
                self.next += 1;
            }
            Poll::Ready(Ok(n))
        }
    }

    /// `LinesCodec` without its promise (rule 3): a decoder of another crate.
    struct Plain(LinesCodec);

    impl Decoder for Plain {
        type Item = String;
        type Error = io::Error;
        fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<String>> {
            self.0.decode(src)
        }
    }

    /// Every frame of `decoder` over `reader`, and the read buffer's allocation end after
    /// each frame.
    fn drain<D: Decoder<Item = String, Error = io::Error>>(
        mut reader: Lazy,
        mut decoder: D,
    ) -> (Vec<String>, Vec<usize>) {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut state = ReadState::new();
        let (mut lines, mut ends) = (Vec::new(), Vec::new());
        loop {
            match state.poll_frame(&mut cx, Pin::new(&mut reader), &mut decoder) {
                Poll::Ready(Some(line)) => lines.push(line.unwrap()),
                Poll::Ready(None) => return (lines, ends),
                Poll::Pending => unreachable!("the reader is always ready"),
            }
            ends.push(state.initialized_end);
        }
    }

    #[test]
    fn bytes_a_reader_claims_but_leaves_untouched_are_initialised() {
        // Short reads, a whole chunk, and a 20 000-byte line that outgrows the buffer
        // (a zeroed reallocation); fewer under Miri.
        let sizes = if cfg!(miri) {
            vec![1, 5, 3, 8192, 17, 20_000, 2]
        } else {
            vec![1, 5, 8192, 3, 8191, 20_000, 7, 16_384, 1, 40_000]
        };
        let total: usize = sizes.iter().sum();
        let trusted = drain(
            Lazy {
                sizes: sizes.clone(),
                next: 0,
            },
            LinesCodec::new(),
        )
        .0;
        let plain = drain(Lazy { sizes, next: 0 }, Plain(LinesCodec::new())).0;
        // Untouched bytes are stale (reused buffer) or zeros (zeroed), never uninit:
        // every byte claimed comes out, in lines, once.
        for lines in [&trusted, &plain] {
            assert_eq!(lines.iter().map(|l| l.len() + 1).sum::<usize>(), total);
        }
        // Zeroed before every read: the plain decoder's lines are all NUL bytes.
        assert!(plain.iter().all(|l| l.bytes().all(|b| b == 0)));
    }

    #[test]
    fn short_lines_reuse_one_zeroed_allocation() {
        // 64 full chunks of 40-byte lines: each read reclaims the same allocation.
        let line = "line 01234 of the lines codec benchmark\n";
        let input = line.repeat(if cfg!(miri) {
            600
        } else {
            64 * 8192 / line.len()
        });
        let mut reader: &[u8] = input.as_bytes();
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut state = ReadState::new();
        let mut decoder = LinesCodec::new();
        let mut ends = Vec::new();
        while let Poll::Ready(Some(got)) =
            state.poll_frame(&mut cx, Pin::new(&mut reader), &mut decoder)
        {
            assert_eq!(got.unwrap(), line.trim_end());
            ends.push(state.initialized_end);
        }
        assert_eq!(ends.len(), input.len() / line.len());
        assert!(ends[0] != 0, "the buffer was allocated zeroed");
        assert!(
            ends.iter().all(|&e| e == ends[0]),
            "one allocation throughout"
        );
    }
}

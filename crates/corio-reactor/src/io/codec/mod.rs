//! Framing: turn a byte stream into a [`Stream`] of frames and a [`Sink`] of frames
//! (tokio-util's `codec`), with [`LinesCodec`] and [`LengthDelimitedCodec`] built in.
//!
//! A [`Decoder`] cuts frames out of a read buffer; an [`Encoder`] appends frames to a
//! write buffer. [`FramedRead`], [`FramedWrite`] and [`Framed`] drive them over any
//! `futures::io` reader/writer (sockets, pipes, files, [`duplex`](super::duplex)).
//!
//! # Rules
//! 1. The read buffer holds bytes read but not yet decoded; `decode` is called again
//!    after every read (decoders remember how far they searched).
//! 2. After the first error (a decode error or an I/O error) the stream ends: it yields
//!    that error once and then `None`. Only this stream ends; nothing else is affected.
//! 3. At end-of-stream, `decode_eof` gets the leftover bytes once; leftover bytes it
//!    cannot decode are an `UnexpectedEof` error, never silently dropped.
//! 4. The write buffer is flushed to the writer when it passes [`HIGH_WATER`] bytes (in
//!    `poll_ready`) and on `flush`/`close`.
//! 5. A `futures::io` reader writes into an initialised `&mut [u8]`, so the read buffer's
//!    room for the next read is zeroed first, except behind this module's [`LinesCodec`]:
//!    its read buffer is allocated zeroed once and reused in place (see `read.rs`).
//!
//! # Examples
//!
//! ```
//! # corio::run(async {
//! use corio_reactor::io::codec::{FramedRead, FramedWrite, LinesCodec};
//! use futures::{SinkExt, TryStreamExt};
//!
//! let (client, server) = corio_reactor::io::duplex(1024);
//! let mut out = FramedWrite::new(client, LinesCodec::new());
//! out.send("hello").await?;
//! out.send("world").await?;
//! SinkExt::<&str>::close(&mut out).await?; // (the item type: the codec takes several)
//! let lines: Vec<String> = FramedRead::new(server, LinesCodec::new()).try_collect().await?;
//! assert_eq!(lines, ["hello", "world"]);
//! # Ok::<(), std::io::Error>(()) }).unwrap();
//! ```

mod length_delimited;
mod lines;
mod read;

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BytesMut};
use futures::io::{AsyncRead, AsyncWrite};
use futures::{Sink, Stream};

pub use length_delimited::LengthDelimitedCodec;
pub use lines::LinesCodec;
use read::ReadState;
/// The write buffer size past which `poll_ready` flushes first (rule 4).
pub const HIGH_WATER: usize = 64 * 1024;

/// Cuts frames out of a buffer of received bytes.
pub trait Decoder {
    /// The frame type.
    type Item;
    /// The error type (I/O errors convert into it).
    type Error: From<io::Error>;

    /// Removes one whole frame from the front of `src`, or returns `Ok(None)` when `src`
    /// holds no whole frame yet (it may reserve room for the rest).
    ///
    /// # Errors
    /// A malformed frame.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error>;

    /// Like [`decode`](Self::decode), once the reader reached end-of-stream (rule 3).
    ///
    /// # Errors
    /// By default, `UnexpectedEof` if bytes are left that make no whole frame.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() => Ok(None),
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} bytes at end of stream make no whole frame", src.len()),
            )
            .into()),
        }
    }

    /// `Some` only for decoders of this crate that never de-initialise bytes of the
    /// read buffer past its length (rule 5). Other crates cannot override it: they
    /// cannot name the return type.
    #[doc(hidden)]
    fn keeps_spare_initialized(&self) -> Option<read::KeepsSpareInitialized> {
        None
    }

    /// [`decode`](Self::decode) of `src[*start..]`, the bytes before `*start` being
    /// frames already returned: a decoder of this crate may leave them in place and move
    /// `*start` past the frame it returns, so that they are removed once per read
    /// instead of once per frame. Other crates can neither override nor call it (they
    /// cannot name or make the last parameter); this default removes them first.
    #[doc(hidden)]
    fn decode_at(
        &mut self,
        src: &mut BytesMut,
        start: &mut usize,
        _: read::Internal,
    ) -> Result<Option<Self::Item>, Self::Error> {
        if *start > 0 {
            src.advance(std::mem::take(start));
        }
        self.decode(src)
    }
}

/// Appends frames to a buffer of bytes to send.
pub trait Encoder<Item> {
    /// The error type (I/O errors convert into it).
    type Error: From<io::Error>;

    /// Appends `item`'s encoding to `dst`.
    ///
    /// # Errors
    /// An item that cannot be encoded (e.g. over a size limit).
    fn encode(&mut self, item: Item, dst: &mut BytesMut) -> Result<(), Self::Error>;
}

/// Writes all of `buf` and flushes the writer.
fn poll_flush_buf<W: AsyncWrite + ?Sized>(
    cx: &mut Context<'_>,
    mut io: Pin<&mut W>,
    buf: &mut BytesMut,
) -> Poll<io::Result<()>> {
    while !buf.is_empty() {
        let n = ready!(io.as_mut().poll_write(cx, buf))?;
        if n == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the writer accepted zero bytes of a frame",
            )));
        }
        buf.advance(n);
    }
    io.poll_flush(cx)
}

/// A [`Stream`] of frames decoded from a reader.
pub struct FramedRead<R, D> {
    inner: R,
    decoder: D,
    state: ReadState,
}

impl<R: AsyncRead + Unpin, D: Decoder> FramedRead<R, D> {
    /// Decodes frames from `inner` with `decoder`.
    pub fn new(inner: R, decoder: D) -> Self {
        FramedRead {
            inner,
            decoder,
            state: ReadState::new(),
        }
    }
}

impl<R, D> FramedRead<R, D> {
    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
    /// The reader, mutably (reading from it directly skips the buffered bytes).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
    /// The decoder.
    pub fn decoder_mut(&mut self) -> &mut D {
        &mut self.decoder
    }
    /// Bytes read but not yet decoded.
    pub fn read_buffer(&self) -> &[u8] {
        self.state.buffered()
    }
    /// The reader back (buffered, undecoded bytes are dropped).
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead + Unpin, D: Decoder + Unpin> Stream for FramedRead<R, D> {
    type Item = Result<D::Item, D::Error>;
    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.state
            .poll_frame(cx, Pin::new(&mut this.inner), &mut this.decoder)
    }
}

/// A [`Sink`] of frames encoded onto a writer.
pub struct FramedWrite<W, E> {
    inner: W,
    encoder: E,
    buf: BytesMut,
}

impl<W: AsyncWrite + Unpin, E> FramedWrite<W, E> {
    /// Encodes frames onto `inner` with `encoder`.
    pub fn new(inner: W, encoder: E) -> Self {
        FramedWrite {
            inner,
            encoder,
            buf: BytesMut::new(),
        }
    }
}

impl<W, E> FramedWrite<W, E> {
    /// The writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }
    /// The writer, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
    /// The encoder.
    pub fn encoder_mut(&mut self) -> &mut E {
        &mut self.encoder
    }
    /// The writer back (unflushed frames are dropped: `close` or `flush` first).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: AsyncWrite + Unpin, E: Encoder<I> + Unpin, I> Sink<I> for FramedWrite<W, E> {
    type Error = E::Error;
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E::Error>> {
        let this = self.get_mut();
        if this.buf.len() >= HIGH_WATER {
            ready!(poll_flush_buf(cx, Pin::new(&mut this.inner), &mut this.buf))?;
        }
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, item: I) -> Result<(), E::Error> {
        let this = self.get_mut();
        this.encoder.encode(item, &mut this.buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E::Error>> {
        let this = self.get_mut();
        Poll::Ready(Ok(ready!(poll_flush_buf(
            cx,
            Pin::new(&mut this.inner),
            &mut this.buf
        ))?))
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E::Error>> {
        let this = self.get_mut();
        ready!(poll_flush_buf(cx, Pin::new(&mut this.inner), &mut this.buf))?;
        Poll::Ready(Ok(ready!(Pin::new(&mut this.inner).poll_close(cx))?))
    }
}

/// A [`Stream`] and [`Sink`] of frames over one reader-writer, with one codec.
pub struct Framed<T, C> {
    inner: T,
    codec: C,
    read: ReadState,
    write: BytesMut,
}

impl<T: AsyncRead + AsyncWrite + Unpin, C> Framed<T, C> {
    /// Frames `inner` with `codec` in both directions.
    pub fn new(inner: T, codec: C) -> Self {
        Framed {
            inner,
            codec,
            read: ReadState::new(),
            write: BytesMut::new(),
        }
    }
}

impl<T, C> Framed<T, C> {
    /// The stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
    /// The stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }
    /// The codec.
    pub fn codec_mut(&mut self) -> &mut C {
        &mut self.codec
    }
    /// The stream back (buffered bytes in either direction are dropped).
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin, C: Decoder + Unpin> Stream for Framed<T, C> {
    type Item = Result<C::Item, C::Error>;
    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.read
            .poll_frame(cx, Pin::new(&mut this.inner), &mut this.codec)
    }
}

impl<T: AsyncWrite + Unpin, C: Encoder<I> + Unpin, I> Sink<I> for Framed<T, C> {
    type Error = C::Error;
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        let this = self.get_mut();
        if this.write.len() >= HIGH_WATER {
            ready!(poll_flush_buf(
                cx,
                Pin::new(&mut this.inner),
                &mut this.write
            ))?;
        }
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, item: I) -> Result<(), C::Error> {
        let this = self.get_mut();
        this.codec.encode(item, &mut this.write)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        let this = self.get_mut();
        Poll::Ready(Ok(ready!(poll_flush_buf(
            cx,
            Pin::new(&mut this.inner),
            &mut this.write
        ))?))
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        let this = self.get_mut();
        ready!(poll_flush_buf(
            cx,
            Pin::new(&mut this.inner),
            &mut this.write
        ))?;
        Poll::Ready(Ok(ready!(Pin::new(&mut this.inner).poll_close(cx))?))
    }
}

impl<R, D: fmt::Debug> fmt::Debug for FramedRead<R, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FramedRead")
            .field("decoder", &self.decoder)
            .field("buffered", &self.state.buffered().len())
            .finish_non_exhaustive()
    }
}
impl<W, E: fmt::Debug> fmt::Debug for FramedWrite<W, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FramedWrite")
            .field("encoder", &self.encoder)
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}
impl<T, C: fmt::Debug> fmt::Debug for Framed<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Framed")
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

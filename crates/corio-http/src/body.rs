//! [`Body`]: a request body, whole (replayable) or streamed.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use hyper::body::{Frame, SizeHint};

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send>>;

/// A request body: bytes held in memory (sent with `Content-Length`, and sent again on a
/// retry or a 307/308 redirect), or a [`Stream`] of chunks (sent chunked or as HTTP/2 data
/// frames, once).
///
/// # Examples
///
/// ```
/// use corio_http::Body;
///
/// let whole = Body::from("name=corio");
/// assert_eq!(whole.len(), Some(10));
/// let chunks = futures::stream::iter(vec![Ok(bytes::Bytes::from("a")), Ok(bytes::Bytes::from("b"))]);
/// let streamed = Body::wrap_stream(chunks);
/// assert_eq!(streamed.len(), None);
/// ```
pub struct Body {
    kind: Kind,
}

enum Kind {
    Full(Option<Bytes>),
    Stream(ChunkStream),
}

impl Body {
    /// No body.
    pub fn empty() -> Body {
        Body {
            kind: Kind::Full(None),
        }
    }

    /// A body streamed from `stream`; an `Err` item aborts the request with
    /// [`Error::RequestBody`](crate::Error::RequestBody).
    pub fn wrap_stream<S>(stream: S) -> Body
    where
        S: Stream<Item = Result<Bytes, io::Error>> + Send + 'static,
    {
        Body {
            kind: Kind::Stream(Box::pin(stream)),
        }
    }

    /// The length when known (whole bodies).
    pub fn len(&self) -> Option<u64> {
        match &self.kind {
            Kind::Full(b) => Some(b.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream(_) => None,
        }
    }

    /// Whether this is a whole body with no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// A copy for a resend, when the body is held in memory.
    pub(crate) fn try_clone(&self) -> Option<Body> {
        match &self.kind {
            Kind::Full(b) => Some(Body {
                kind: Kind::Full(b.clone()),
            }),
            Kind::Stream(_) => None,
        }
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body {
            kind: Kind::Full(if b.is_empty() { None } else { Some(b) }),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Body {
        Body::from(Bytes::from(v))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Body {
        Body::from(Bytes::from_static(s))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Full(b) => f
                .debug_struct("Body")
                .field("len", &b.as_ref().map_or(0, Bytes::len))
                .finish(),
            Kind::Stream(_) => f.debug_struct("Body").field("stream", &true).finish(),
        }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut self.kind {
            Kind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Kind::Stream(s) => s
                .as_mut()
                .poll_next(cx)
                .map(|item| item.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream(_) => SizeHint::default(),
        }
    }
}

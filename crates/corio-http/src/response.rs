//! [`Response`] and [`BodyStream`]: the status, the headers, and the body as bytes,
//! text, JSON or a stream of chunks.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use hyper::body::{Body as _, Incoming};
use hyper::header::{HeaderMap, CONTENT_ENCODING, CONTENT_LENGTH};
use hyper::{StatusCode, Version};
use serde::de::DeserializeOwned;

use crate::decode::{Decoder, Encoding};
use crate::pool::Lease;
use crate::Error;

/// An HTTP response (aiohttp's `ClientResponse`). The head has arrived; the body is read
/// with [`bytes`](Self::bytes), [`text`](Self::text), [`json`](Self::json) or
/// [`bytes_stream`](Self::bytes_stream).
///
/// The connection goes back to the pool when the body has been read to the end.
/// Dropping a response whose body was not read closes its connection (HTTP/1.1) or
/// resets its stream (HTTP/2).
///
/// Reading the body is still under the request's total timeout, and a `gzip` or
/// `deflate` body is decoded on the fly (the size limit counts decoded bytes). The
/// headers are the server's, `Content-Encoding` and `Content-Length` included.
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
///
/// #[derive(serde::Deserialize)]
/// struct Item {
///     name: String,
///     n: u32,
/// }
///
/// # async fn local_server() -> std::net::SocketAddr {
/// #     use futures::io::{AsyncReadExt, AsyncWriteExt};
/// #     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// #     let addr = listener.local_addr().unwrap();
/// #     drop(corio::spawn(async move {
/// #         let body = r#"{"name":"corio","n":7}"#;
/// #         let answer = format!(
/// #             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
/// #             body.len()
/// #         );
/// #         let (mut tcp, _) = listener.accept().await.unwrap();
/// #         let mut head = Vec::new();
/// #         let mut byte = [0u8; 1];
/// #         for _ in 0..2 {
/// #             head.clear();
/// #             while !head.ends_with(b"\r\n\r\n") {
/// #                 tcp.read_exact(&mut byte).await.unwrap();
/// #                 head.push(byte[0]);
/// #             }
/// #             tcp.write_all(answer.as_bytes()).await.unwrap();
/// #         }
/// #     }));
/// #     addr
/// # }
/// corio::run(async {
///     let addr = local_server().await; // answers {"name":"corio","n":7}
///     let session = corio_http::ClientSession::new();
///     let url = format!("http://{addr}/item");
///
///     let response = session.get(&url).await?.error_for_status()?;
///     assert_eq!(response.status(), 200);
///     let item: Item = response.json().await?;
///     assert_eq!((item.name.as_str(), item.n), ("corio", 7));
///
///     // The same body chunk by chunk (aiohttp's `iter_chunked`); the connection was
///     // pooled after the first body was read, and serves this request too.
///     let mut chunks = session.get(&url).await?.bytes_stream();
///     let mut len = 0;
///     while let Some(chunk) = chunks.next().await {
///         len += chunk?.len();
///     }
///     assert_eq!(len, 22);
///     assert_eq!(session.connections_opened(), 1);
///     Ok::<(), corio_http::Error>(())
/// })
/// .unwrap();
/// ```
#[must_use = "a response's body should be read (or the response dropped on purpose)"]
pub struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: String,
    body: BodyStream,
}

/// The body of a [`Response`] as a `Stream` of `Result<Bytes, Error>` chunks.
///
/// Ends after the last chunk; an error item (truncated body, limit exceeded, timeout,
/// TLS alert, undecodable data) is the last item.
#[must_use = "streams do nothing unless polled"]
pub struct BodyStream {
    url: String,
    incoming: Option<Incoming>,
    lease: Option<Lease>,
    decoder: Option<Decoder>,
    limit: Option<usize>,
    seen: usize,
    deadline: Option<(corio::time::Sleep, Duration)>,
    done: bool,
}

pub(crate) struct BodyOptions {
    pub(crate) limit: Option<usize>,
    pub(crate) decompress: bool,
    pub(crate) deadline: Option<(corio::time::Instant, Duration)>,
}

impl Response {
    pub(crate) fn new(
        response: hyper::Response<Incoming>,
        url: String,
        lease: Option<Lease>,
        options: BodyOptions,
    ) -> Result<Response, Error> {
        let (parts, incoming) = response.into_parts();
        let encoding = if options.decompress {
            parts
                .headers
                .get(CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .and_then(Encoding::from_header)
        } else {
            None
        };
        if let (Some(limit), None) = (options.limit, encoding) {
            let length = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if length.is_some_and(|n| n > limit as u64) {
                // Refused before reading: the lease is dropped, so is the connection.
                return Err(Error::BodyTooLarge { url, limit });
            }
        }
        let mut body = BodyStream {
            url: url.clone(),
            incoming: Some(incoming),
            lease,
            decoder: encoding.map(Decoder::new),
            limit: options.limit,
            seen: 0,
            deadline: options
                .deadline
                .map(|(at, total)| (corio::time::sleep_until(at), total)),
            done: false,
        };
        body.release_if_ended();
        Ok(Response {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            url,
            body,
        })
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version the response came with (`HTTP/1.1` or `HTTP/2.0`).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The URL of this response: the last one after redirects.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `Content-Length` header (the encoded length for a compressed body).
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }

    /// aiohttp's `raise_for_status()`: the response itself for 1xx-3xx, an
    /// [`Error::Status`] for 4xx and 5xx (the body is dropped, and with it the
    /// connection).
    ///
    /// # Errors
    /// [`Error::Status`].
    pub fn error_for_status(self) -> Result<Response, Error> {
        if self.status.is_client_error() || self.status.is_server_error() {
            Err(Error::Status {
                url: self.url,
                status: self.status,
            })
        } else {
            Ok(self)
        }
    }

    /// The whole body (aiohttp's `await resp.read()`).
    ///
    /// # Errors
    /// [`Error::TruncatedBody`], [`Error::BodyTooLarge`], [`Error::Timeout`],
    /// [`Error::Tls`], [`Error::Decode`].
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let mut stream = self.body;
        let mut first: Option<Bytes> = None;
        let mut buf = BytesMut::new();
        while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            let chunk = chunk?;
            match first.take() {
                None if buf.is_empty() => first = Some(chunk),
                Some(f) => {
                    buf.extend_from_slice(&f);
                    buf.extend_from_slice(&chunk);
                }
                None => buf.extend_from_slice(&chunk),
            }
        }
        Ok(match first {
            Some(only) => only,
            None => buf.freeze(),
        })
    }

    /// The whole body as UTF-8 text (aiohttp's `await resp.text()`).
    ///
    /// # Errors
    /// As [`bytes`](Self::bytes), and [`Error::Text`] when it is not UTF-8.
    pub async fn text(self) -> Result<String, Error> {
        let url = self.url.clone();
        let bytes = self.bytes().await?;
        match std::str::from_utf8(&bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(source) => Err(Error::Text { url, source }),
        }
    }

    /// The whole body parsed as JSON into `T` (aiohttp's `await resp.json()`).
    ///
    /// # Errors
    /// As [`bytes`](Self::bytes), and [`Error::Json`] when it is not a `T`.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        let url = self.url.clone();
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Json { url, source })
    }

    /// The body as a stream of chunks (aiohttp's `resp.content.iter_chunked()`).
    pub fn bytes_stream(self) -> BodyStream {
        self.body
    }

    /// Reads and discards the body (to give the connection back to the pool).
    pub(crate) async fn drain(self, max: usize) {
        let mut stream = self.body;
        let mut read = 0;
        while let Some(Ok(chunk)) =
            std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            read += chunk.len();
            if read > max {
                return;
            }
        }
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url)
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl BodyStream {
    /// Rule 1 of the pool: a body read to the end gives its connection back.
    fn release_if_ended(&mut self) {
        let ended = self.incoming.as_ref().is_none_or(|b| b.is_end_stream());
        if ended && self.decoder.is_none() {
            if let Some(lease) = self.lease.take() {
                lease.release();
            }
        }
    }

    fn fail(&mut self, err: Error) -> Poll<Option<Result<Bytes, Error>>> {
        self.done = true;
        // Dropping the lease drops the connection: it is in an unknown state.
        self.lease = None;
        self.incoming = None;
        Poll::Ready(Some(Err(err)))
    }

    fn count(&mut self, chunk: Bytes) -> Poll<Option<Result<Bytes, Error>>> {
        self.seen += chunk.len();
        if let Some(limit) = self.limit {
            if self.seen > limit {
                return self.fail(Error::BodyTooLarge {
                    url: self.url.clone(),
                    limit,
                });
            }
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Some((sleep, total)) = &mut this.deadline {
            if Pin::new(sleep).poll(cx).is_ready() {
                let err = Error::Timeout {
                    url: this.url.clone(),
                    timeout: *total,
                };
                return this.fail(err);
            }
        }
        loop {
            let Some(incoming) = this.incoming.as_mut() else {
                this.done = true;
                return Poll::Ready(None);
            };
            match Pin::new(incoming).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    let err = Error::from_body(&this.url, e);
                    return this.fail(err);
                }
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    let out = match &mut this.decoder {
                        Some(d) => {
                            let step = d.feed(&data);
                            decoded(&this.url, d, step)
                        }
                        None => Ok(data),
                    };
                    let out = match out {
                        Ok(out) => out,
                        Err(err) => return this.fail(err),
                    };
                    this.release_if_ended();
                    if out.is_empty() {
                        continue;
                    }
                    return this.count(out);
                }
                Poll::Ready(None) => {
                    this.incoming = None;
                    let tail = match this.decoder.take() {
                        Some(mut d) => {
                            let step = d.finish();
                            decoded(&this.url, &d, step)
                        }
                        None => Ok(Bytes::new()),
                    };
                    let tail = match tail {
                        Ok(tail) => tail,
                        Err(err) => return this.fail(err),
                    };
                    this.release_if_ended();
                    this.done = true;
                    if tail.is_empty() {
                        return Poll::Ready(None);
                    }
                    return this.count(tail);
                }
            }
        }
    }
}

/// A decoder step's output as a chunk, or its error as [`Error::Decode`] naming `url`.
fn decoded(url: &str, d: &Decoder, step: io::Result<Vec<u8>>) -> Result<Bytes, Error> {
    step.map(Bytes::from).map_err(|source| Error::Decode {
        url: url.to_owned(),
        encoding: d.encoding().name(),
        source,
    })
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream")
            .field("url", &self.url)
            .field("read", &self.seen)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

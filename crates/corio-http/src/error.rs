//! [`Error`]: every way a request can fail, each naming its cause and the URL.

use std::fmt;
use std::io;
use std::time::Duration;

use corio_tls::TlsError;
use hyper::StatusCode;

/// Why a request failed.
///
/// Every variant names the URL it concerns, and its message the cause. Variants that
/// come from a broken or misbehaving server (`MalformedResponse`, `ConnectionClosed`,
/// `TruncatedBody`, `BodyTooLarge`, `Tls`, `Timeout`) also mean the connection was
/// discarded, never returned to the pool; over HTTP/2 a failure of one stream (a reset,
/// a timeout) leaves the shared connection serving the others.
///
/// # Examples
///
/// ```
/// use corio_http::{ClientSession, Error};
/// use std::time::Duration;
///
/// corio::run(async {
///     // A port nobody listens on.
///     let port = std::net::TcpListener::bind("127.0.0.1:0")
///         .unwrap()
///         .local_addr()
///         .unwrap()
///         .port();
///     let session = ClientSession::builder()
///         .timeout(Duration::from_secs(5))
///         .build()
///         .unwrap();
///     match session.get(&format!("http://127.0.0.1:{port}/")).await {
///         Err(Error::Connect { url, source }) => {
///             assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
///             assert_eq!(url, format!("http://127.0.0.1:{port}/"));
///         }
///         Err(e) if e.is_timeout() => println!("timed out: {e}"),
///         other => panic!("unexpected: {other:?}"),
///     }
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL cannot be requested (not `http://` or `https://`, no host, bad syntax).
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A header name or value, or the method, is not valid HTTP.
    InvalidRequest(String),
    /// The TCP connection (to the server or the proxy) could not be made.
    Connect {
        /// The URL requested.
        url: String,
        /// The socket error (refused, unreachable, name not resolved).
        source: io::Error,
    },
    /// Connecting (TCP, proxy tunnel and TLS handshake) took longer than the connect
    /// timeout.
    ConnectTimeout {
        /// The URL requested.
        url: String,
        /// The connect timeout.
        timeout: Duration,
    },
    /// TLS failed: a certificate problem, a fatal alert from the server (also in the middle
    /// of a response), a protocol violation.
    Tls {
        /// The URL requested.
        url: String,
        /// The cause.
        source: TlsError,
    },
    /// The whole request (connecting, sending, redirects and reading the body) took longer
    /// than the total timeout.
    Timeout {
        /// The URL requested.
        url: String,
        /// The total timeout.
        timeout: Duration,
    },
    /// The server's response is not valid HTTP (a malformed status line or header).
    MalformedResponse {
        /// The URL requested.
        url: String,
        /// hyper's description.
        source: hyper::Error,
    },
    /// The server closed the connection before sending a complete response head.
    ConnectionClosed {
        /// The URL requested.
        url: String,
        /// hyper's description.
        source: hyper::Error,
    },
    /// The response body ended early: a truncated chunked body, fewer bytes than
    /// `Content-Length`, a connection reset while reading.
    TruncatedBody {
        /// The URL requested.
        url: String,
        /// hyper's description.
        source: hyper::Error,
    },
    /// The (decoded) response body is larger than the configured limit.
    BodyTooLarge {
        /// The URL requested.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// Another HTTP/1 or HTTP/2 protocol error.
    Protocol {
        /// The URL requested.
        url: String,
        /// hyper's description.
        source: hyper::Error,
    },
    /// More redirects than the limit.
    TooManyRedirects {
        /// The last URL requested.
        url: String,
        /// The redirect limit.
        limit: usize,
    },
    /// A redirect led back to a URL already requested in this chain.
    RedirectLoop {
        /// The URL that was redirected to twice.
        url: String,
    },
    /// The `gzip` or `deflate` response body could not be decoded.
    Decode {
        /// The URL requested.
        url: String,
        /// The `Content-Encoding`.
        encoding: &'static str,
        /// The decoder's error.
        source: io::Error,
    },
    /// The body is not UTF-8 ([`Response::text`](crate::Response::text)).
    Text {
        /// The URL requested.
        url: String,
        /// Where the bytes stop being UTF-8.
        source: std::str::Utf8Error,
    },
    /// The body is not the JSON expected ([`Response::json`](crate::Response::json)).
    Json {
        /// The URL requested.
        url: String,
        /// serde_json's description (line and column).
        source: serde_json::Error,
    },
    /// [`Response::error_for_status`](crate::Response::error_for_status): a 4xx or 5xx
    /// status.
    Status {
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// The proxy refused the tunnel or its URL is invalid.
    Proxy {
        /// The proxy.
        proxy: String,
        /// What went wrong.
        reason: String,
    },
    /// The request body stream failed.
    RequestBody(io::Error),
}

impl Error {
    /// Whether this is one of the timeouts (connect or total).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::ConnectTimeout { .. })
    }

    /// The status, for [`Error::Status`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Classifies a hyper error from sending a request or reading a response head.
    pub(crate) fn from_hyper(url: &str, err: hyper::Error) -> Error {
        if let Some(tls) = tls_cause(&err) {
            return Error::Tls {
                url: url.to_owned(),
                source: tls,
            };
        }
        let url = url.to_owned();
        if err.is_parse() || err.is_parse_status() {
            Error::MalformedResponse { url, source: err }
        } else if is_connection_lost(&err) {
            Error::ConnectionClosed { url, source: err }
        } else {
            Error::Protocol { url, source: err }
        }
    }

    /// Classifies a hyper error from reading a response body.
    pub(crate) fn from_body(url: &str, err: hyper::Error) -> Error {
        if let Some(tls) = tls_cause(&err) {
            return Error::Tls {
                url: url.to_owned(),
                source: tls,
            };
        }
        let url = url.to_owned();
        if err.is_parse() {
            Error::MalformedResponse { url, source: err }
        } else {
            // A short body, a bad chunk size line, a reset while reading: the body is
            // incomplete either way.
            Error::TruncatedBody { url, source: err }
        }
    }
}

/// Whether `err` means the connection went away before a response: closed, reset, a
/// broken pipe (the keep-alive race when it happens on a reused connection).
pub(crate) fn is_connection_lost(err: &hyper::Error) -> bool {
    if err.is_incomplete_message() || err.is_canceled() || err.is_closed() {
        return true;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            );
        }
        cur = e.source();
    }
    false
}

/// The TLS error somewhere in `err`'s source chain (a fatal alert read mid-response).
fn tls_cause(err: &(dyn std::error::Error + 'static)) -> Option<TlsError> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(rustls) = e.downcast_ref::<corio_tls::rustls::Error>() {
            return Some(TlsError::from_rustls(rustls.clone()));
        }
        // `io::Error::source` skips the error it wraps: look inside explicitly.
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            if let Some(rustls) = inner.downcast_ref::<corio_tls::rustls::Error>() {
                return Some(TlsError::from_rustls(rustls.clone()));
            }
        }
        cur = e.source();
    }
    None
}

/// Displays an error and the causes in its source chain, `: `-separated (a cause whose
/// message the previous one already contains is skipped), so that a message such as
/// "error reading a body from connection" carries what actually happened (a stream
/// reset with its code, the peer closing without `close_notify`).
struct Causes<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = self.0.to_string();
        f.write_str(&last)?;
        let mut cur = self.0.source();
        while let Some(e) = cur {
            let msg = e.to_string();
            if !last.contains(&msg) {
                write!(f, ": {msg}")?;
            }
            last = msg;
            cur = e.source();
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl { url, reason } => write!(f, "invalid URL {url:?}: {reason}"),
            Error::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Error::Connect { url, source } => write!(f, "cannot connect for {url}: {source}"),
            Error::ConnectTimeout { url, timeout } => {
                write!(f, "connecting for {url} timed out after {timeout:?}")
            }
            Error::Tls { url, source } => write!(f, "{url}: {source}"),
            Error::Timeout { url, timeout } => {
                write!(
                    f,
                    "request to {url} timed out after {timeout:?} (total timeout)"
                )
            }
            Error::MalformedResponse { url, source } => {
                write!(f, "malformed HTTP response from {url}: {}", Causes(source))
            }
            Error::ConnectionClosed { url, source } => write!(
                f,
                "the server closed the connection before a complete response ({url}): {}",
                Causes(source)
            ),
            Error::TruncatedBody { url, source } => {
                write!(f, "truncated response body from {url}: {}", Causes(source))
            }
            Error::BodyTooLarge { url, limit } => {
                write!(
                    f,
                    "response body from {url} is larger than the limit of {limit} bytes"
                )
            }
            Error::Protocol { url, source } => {
                write!(f, "HTTP protocol error with {url}: {}", Causes(source))
            }
            Error::TooManyRedirects { url, limit } => {
                write!(
                    f,
                    "too many redirects (more than {limit}); the last was to {url}"
                )
            }
            Error::RedirectLoop { url } => {
                write!(f, "redirect loop: {url} redirects back to itself")
            }
            Error::Decode {
                url,
                encoding,
                source,
            } => {
                write!(
                    f,
                    "cannot decode the {encoding} response body from {url}: {source}"
                )
            }
            Error::Text { url, source } => {
                write!(f, "the response body from {url} is not UTF-8: {source}")
            }
            Error::Json { url, source } => {
                write!(
                    f,
                    "the response body from {url} is not the expected JSON: {source}"
                )
            }
            Error::Status { url, status } => write!(f, "HTTP status {status} from {url}"),
            Error::Proxy { proxy, reason } => write!(f, "proxy {proxy}: {reason}"),
            Error::RequestBody(e) => write!(f, "the request body stream failed: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect { source, .. } | Error::Decode { source, .. } => Some(source),
            Error::RequestBody(source) => Some(source),
            Error::Tls { source, .. } => Some(source),
            Error::MalformedResponse { source, .. }
            | Error::ConnectionClosed { source, .. }
            | Error::TruncatedBody { source, .. }
            | Error::Protocol { source, .. } => Some(source),
            Error::Text { source, .. } => Some(source),
            Error::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match &err {
            Error::Timeout { .. } | Error::ConnectTimeout { .. } => io::ErrorKind::TimedOut,
            Error::Connect { source, .. } => source.kind(),
            Error::InvalidUrl { .. } | Error::InvalidRequest(_) => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

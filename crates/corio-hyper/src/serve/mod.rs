//! [`serve`]: run a tower service (an axum `Router`, a hyper `service_fn` through
//! `tower::service_fn`-like adapters, ...) on a corio `TcpListener`, in the shape of
//! `axum::serve`.
//!
//! # Lifecycle
//!
//! ```text
//!  accept loop ──(signal fires)──▶ listener closed ──▶ every connection told to finish
//!      │                                                 (HTTP/1: after its current
//!      ▼ one task per connection, holding                 response; HTTP/2: GOAWAY)
//!        one permit of the connection limit                        │
//!                                                                  ▼
//!                 all permits back ◀── drained ──── or the deadline ──▶ the rest dropped
//! ```
//!
//! # Invariants
//! 1. At most `max_connections` connections are open: the accept loop takes a permit
//!    before it accepts, so the excess waits in the kernel's backlog, not in memory.
//! 2. Each connection task owns its permit until it ends, so "every permit is back"
//!    means "every connection ended": the drain waits for `max_connections` permits.
//! 3. Once the shutdown signal completed, nothing more is accepted: the listener is
//!    dropped before the drain starts, so new connects are refused at once.
//! 4. The shutdown event is set after the accept loop ended, and a connection task
//!    checks it after its spawn, so no connection misses it.
//! 5. After the drain deadline every remaining connection is dropped (its socket
//!    closed); the serve future completes only when all of them ended.

mod errors;
mod service;

use std::future::{Future, IntoFuture, Pending};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::time::Duration;

use corio::net::TcpListener;
use corio::sync::{Event, Semaphore};
use futures::future::{select, Either};
use http::{Request, Response};
use hyper_util::server::conn::auto;

use crate::{CorioExecutor, CorioIo, CorioTimer};
pub use service::Body;
use service::{BoxError, ConnService};

/// The hook [`Serve::on_connection_error`] installs.
type ErrorHook = Arc<dyn Fn(SocketAddr, &BoxError) + Send + Sync>;

/// Serves `service` on every connection `listener` accepts, HTTP/1.1 and HTTP/2 (by
/// prior knowledge, told apart by the connection preface) on the same port, until the
/// returned [`Serve`] is dropped or its graceful-shutdown signal fires.
///
/// `service` is any tower `Service<Request<Body>>` that is `Clone` (an axum `Router`
/// is): it is cloned for each request. With [`Serve::with_connect_info`], every request
/// carries a [`ConnectInfo<SocketAddr>`](crate::ConnectInfo) with the client's address
/// (axum's `into_make_service_with_connect_info`). Accepted sockets get `TCP_NODELAY`.
///
/// Await the result (it is [`IntoFuture`]) to run the server; the builder methods set
/// the limits first.
///
/// # Examples
///
/// An axum `Router` on corio (`axum` with `default-features = false`):
///
/// ```
/// use axum::{routing::get, Router};
/// use corio::net::TcpListener;
///
/// corio::run(async {
///     let app = Router::new().route("/", get(|| async { "hello" }));
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let (stop, stopped) = futures::channel::oneshot::channel::<()>();
///     let server = corio::spawn(
///         corio_hyper::serve(listener, app)
///             .with_graceful_shutdown(async { stopped.await.ok(); })
///             .into_future(),
///     );
///
///     // A raw HTTP/1.1 request.
///     use futures::{AsyncReadExt, AsyncWriteExt};
///     let mut s = corio::net::TcpStream::connect(addr).await.unwrap();
///     s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
///     let mut out = String::new();
///     s.read_to_string(&mut out).await.unwrap();
///     assert!(out.starts_with("HTTP/1.1 200 OK") && out.ends_with("hello"));
///
///     stop.send(()).unwrap();
///     server.await.unwrap().unwrap();
/// });
/// # use std::future::IntoFuture;
/// ```
pub fn serve<S, B>(listener: TcpListener, service: S) -> Serve<S>
where
    S: tower_service::Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    Serve {
        listener,
        service,
        signal: std::future::pending(),
        opts: Options::default(),
    }
}

/// The limits and timeouts of a [`Serve`].
#[derive(Clone)]
struct Options {
    max_connections: u32,
    header_read_timeout: Option<Duration>,
    max_header_size: usize,
    max_body_size: usize,
    drain_timeout: Duration,
    connect_info: bool,
    on_error: ErrorHook,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_connections: 10_000,
            header_read_timeout: Some(Duration::from_secs(30)),
            max_header_size: 64 * 1024,
            max_body_size: 2 * 1024 * 1024,
            drain_timeout: Duration::from_secs(30),
            connect_info: false,
            on_error: Arc::new(|peer, err| {
                eprintln!("corio_hyper::serve: connection from {peer}: {err}")
            }),
        }
    }
}

/// A server that is not running yet: set its limits, then `.await` it. Made by
/// [`serve`]; see there.
#[must_use = "a Serve does nothing until it is awaited"]
pub struct Serve<S, F = Pending<()>> {
    listener: TcpListener,
    service: S,
    signal: F,
    opts: Options,
}

impl<S, F> std::fmt::Debug for Serve<S, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("max_connections", &self.opts.max_connections)
            .field("header_read_timeout", &self.opts.header_read_timeout)
            .field("max_header_size", &self.opts.max_header_size)
            .field("max_body_size", &self.opts.max_body_size)
            .field("drain_timeout", &self.opts.drain_timeout)
            .finish_non_exhaustive()
    }
}

impl<S, F> Serve<S, F> {
    /// Stops accepting when `signal` completes, then drains: each open connection
    /// finishes the request in flight (HTTP/2: the streams already opened) and closes;
    /// after [`drain_timeout`](Self::drain_timeout) the rest are dropped. The serve
    /// future completes once every connection ended.
    pub fn with_graceful_shutdown<G>(self, signal: G) -> Serve<S, G>
    where
        G: Future<Output = ()> + Send + 'static,
    {
        Serve {
            listener: self.listener,
            service: self.service,
            signal,
            opts: self.opts,
        }
    }

    /// The most connections open at once (default 10 000); further clients wait in the
    /// listen backlog until one closes.
    ///
    /// # Panics
    /// If `n` is 0 or above `u32::MAX`.
    pub fn max_connections(mut self, n: usize) -> Self {
        assert!(
            n > 0 && n <= u32::MAX as usize,
            "Serve::max_connections: {n} is not in 1..=u32::MAX"
        );
        self.opts.max_connections = n as u32;
        self
    }

    /// How long an HTTP/1 client may take to send a request's headers, counted from the
    /// first byte of the request or, between keep-alive requests, from the end of the
    /// previous response (default 30 s; `None` disables it). A slow or silent client is
    /// disconnected then (no log line: it is the client's doing).
    pub fn header_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.opts.header_read_timeout = timeout.into();
        self
    }

    /// The largest request head accepted (default 64 KiB, at least 8 KiB): a larger one
    /// gets `431 Request Header Fields Too Large` (HTTP/1) or is refused (HTTP/2).
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.opts.max_header_size = bytes.max(8 * 1024);
        self
    }

    /// The largest request body accepted (default 2 MiB, as axum's `DefaultBodyLimit`;
    /// `None` for no limit). A declared larger `Content-Length` gets
    /// `413 Payload Too Large` before the service runs; a body that streams past the
    /// limit fails to read with `http_body_util::LengthLimitError`, which axum's body
    /// extractors answer with 413.
    pub fn max_body_size(mut self, bytes: impl Into<Option<usize>>) -> Self {
        self.opts.max_body_size = bytes.into().unwrap_or(usize::MAX);
        self
    }

    /// How long a graceful shutdown waits for open connections (default 30 s).
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.opts.drain_timeout = timeout;
        self
    }

    /// Stores a [`ConnectInfo<SocketAddr>`](crate::ConnectInfo) with the client's address
    /// in every request's extensions (axum's `into_make_service_with_connect_info`; off by
    /// default, as in axum, because the extension costs an insert per request).
    ///
    /// # Examples
    ///
    /// ```
    /// use axum::{routing::get, Extension, Router};
    /// use corio_hyper::ConnectInfo;
    /// use futures::{AsyncReadExt, AsyncWriteExt};
    /// use std::{future::IntoFuture, net::SocketAddr};
    ///
    /// async fn whoami(Extension(ConnectInfo(peer)): Extension<ConnectInfo<SocketAddr>>) -> String {
    ///     peer.to_string()
    /// }
    ///
    /// corio::run(async {
    ///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let app = Router::new().route("/", get(whoami));
    ///     let server = corio::spawn(corio_hyper::serve(listener, app).with_connect_info().into_future());
    ///
    ///     let mut s = corio::net::TcpStream::connect(addr).await.unwrap();
    ///     let me = s.local_addr().unwrap();
    ///     s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    ///     let mut out = String::new();
    ///     s.read_to_string(&mut out).await.unwrap();
    ///     assert!(out.ends_with(&me.to_string()), "{out}");
    ///     server.abort();
    /// });
    /// ```
    pub fn with_connect_info(mut self) -> Self {
        self.opts.connect_info = true;
        self
    }

    /// Called with the peer and the error when a connection ends with an error that is
    /// the server's concern. Errors that only say the client went away, misbehaved or
    /// timed out (a reset, a close mid-request, a malformed request, a header-read
    /// timeout) are not passed on. The default prints one line to stderr.
    pub fn on_connection_error(
        mut self,
        hook: impl Fn(SocketAddr, &(dyn std::error::Error + Send + Sync)) + Send + Sync + 'static,
    ) -> Self {
        self.opts.on_error = Arc::new(move |peer, err: &BoxError| hook(peer, &**err));
        self
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// As `TcpListener::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl<S, B, F> IntoFuture for Serve<S, F>
where
    S: tower_service::Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    F: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    /// # Errors
    /// Only an accept error that retrying cannot cure (the listener is broken: `EBADF`,
    /// `EINVAL`, ...). A client that aborts during the handshake is skipped; running out
    /// of file descriptors or memory is logged and retried after a second.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

/// `true` for accept errors caused by one client: skip it and accept the next.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// `true` for accept errors that a closed connection will cure (descriptors, memory).
fn is_resource_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc_errno::EMFILE | libc_errno::ENFILE | libc_errno::ENOBUFS | libc_errno::ENOMEM)
    )
}

/// The few errno values used above (Linux).
mod libc_errno {
    pub(super) const EMFILE: i32 = 24;
    pub(super) const ENFILE: i32 = 23;
    pub(super) const ENOBUFS: i32 = 105;
    pub(super) const ENOMEM: i32 = 12;
}

async fn run<S, B, F>(serve: Serve<S, F>) -> io::Result<()>
where
    S: tower_service::Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    F: Future<Output = ()> + Send + 'static,
{
    let Serve {
        listener,
        service,
        signal,
        opts,
    } = serve;
    let mut builder = auto::Builder::new(CorioExecutor::new());
    builder
        .http1()
        .timer(CorioTimer::new())
        .header_read_timeout(opts.header_read_timeout)
        .max_buf_size(opts.max_header_size);
    builder
        .http2()
        .timer(CorioTimer::new())
        .max_header_list_size(u32::try_from(opts.max_header_size).unwrap_or(u32::MAX));
    let builder = Arc::new(builder);
    let limit = Arc::new(Semaphore::new(opts.max_connections as usize));
    let shutdown = Arc::new(Event::new());
    let force = Arc::new(Event::new());
    let mut signal = pin!(signal);

    // The accept loop (invariants 1 and 3).
    loop {
        let permit = {
            let acquire = pin!(limit.clone().acquire_owned());
            match select(acquire, signal.as_mut()).await {
                Either::Left((permit, _)) => permit.expect("the semaphore is never closed"),
                Either::Right(_) => break,
            }
        };
        let accepted = {
            let accept = pin!(listener.accept());
            match select(accept, signal.as_mut()).await {
                Either::Left((res, _)) => res,
                Either::Right(_) => break,
            }
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) if is_per_connection(&e) => continue,
            Err(e) if is_resource_exhaustion(&e) => {
                eprintln!("corio_hyper::serve: accept: {e}; retrying in 1 s");
                let pause = pin!(corio::sleep(Duration::from_secs(1)));
                match select(pause, signal.as_mut()).await {
                    Either::Left(_) => continue,
                    Either::Right(_) => break,
                }
            }
            Err(e) => return Err(e),
        };
        // Nagle only delays the small writes of request/response traffic.
        let _ = stream.set_nodelay(true);
        let conn = ConnService {
            svc: service.clone(),
            peer: opts.connect_info.then_some(peer),
            max_body: opts.max_body_size,
        };
        let builder = builder.clone();
        let shutdown = shutdown.clone();
        let force = force.clone();
        let on_error = opts.on_error.clone();
        drop(corio::spawn(async move {
            let _permit = permit; // invariant 2
            let conn = builder
                .serve_connection_with_upgrades(CorioIo::new(stream).with_uninit_reads(), conn);
            let mut conn = pin!(conn);
            let res = match select(conn.as_mut(), pin!(shutdown.wait())).await {
                Either::Left((res, _)) => res,
                Either::Right(_) => {
                    conn.as_mut().graceful_shutdown();
                    match select(conn, pin!(force.wait())).await {
                        Either::Left((res, _)) => res,
                        Either::Right(_) => return, // invariant 5: dropped
                    }
                }
            };
            if let Err(e) = res {
                if !errors::is_client_gone(&*e) {
                    on_error(peer, &e);
                }
            }
        }));
    }

    // Graceful drain (invariants 3 to 5).
    drop(listener);
    shutdown.set();
    let all = opts.max_connections;
    if corio::timeout(opts.drain_timeout, limit.acquire_many(all))
        .await
        .is_err()
    {
        force.set();
        let _ = limit.acquire_many(all).await;
    }
    Ok(())
}

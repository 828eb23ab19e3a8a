//! A hyper 1.x HTTP server on corio: HTTP/1.1 and HTTP/2 on one port, a hello-world
//! route and a JSON echo route, graceful shutdown on Ctrl-C.
//!
//! ```text
//! cargo run --example hyper_server                     # listens on 127.0.0.1:3000
//! cargo run --example hyper_server -- 127.0.0.1:8080
//! curl http://127.0.0.1:3000/                          # Hello, world!
//! curl --http2-prior-knowledge http://127.0.0.1:3000/  # the same over HTTP/2 (h2c)
//! curl -d '{"hello": [1, 2]}' http://127.0.0.1:3000/echo   # the JSON back, 200
//! curl -d 'not json' http://127.0.0.1:3000/echo        # 400 invalid JSON
//! cargo run --example hyper_client -- http://127.0.0.1:3000/
//! ```
//!
//! Routes: `GET /` answers `Hello, world!`; `POST /echo` sends a JSON request body back
//! unchanged with `content-type: application/json`, after checking that it is one valid
//! JSON document (RFC 8259, with `serde_json`); a body that is not JSON gets
//! `400 Bad Request`, one over 1 MiB `413 Payload Too Large`. Other methods on these
//! paths get `405`, other paths `404`.
//!
//! The protocol is detected per connection: a connection that starts with the HTTP/2
//! client preface (`PRI * HTTP/2.0...`, "prior knowledge" h2c, as `curl
//! --http2-prior-knowledge` sends) is served as HTTP/2, anything else as HTTP/1.1. There
//! is no TLS, hence no ALPN and no `Upgrade: h2c`.
//!
//! Ctrl-C stops accepting, asks every open connection to finish its in-flight requests
//! and close (hyper's `graceful_shutdown`: HTTP/1 closes after the current response,
//! HTTP/2 sends GOAWAY), and waits up to 10 s for them; a second Ctrl-C exits at once.
//!
//! A bad address prints the usage line and exits with status 2; other errors (the port
//! is taken, ...) exit with status 1.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use corio_examples::server_main::run_server;
use corio_hyper::{CorioExecutor, CorioIo, CorioTimer};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use futures::StreamExt;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};

const DEFAULT_ADDR: &str = "127.0.0.1:3000";
const USAGE: &str = "usage: hyper_server [ADDR]   (ADDR is host:port, default 127.0.0.1:3000)";
/// What an HTTP/2 "prior knowledge" connection starts with (RFC 9113, section 3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The largest JSON body `/echo` accepts.
const MAX_JSON_BODY: usize = 1 << 20;
/// How long a client may take to send its first bytes or a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long Ctrl-C waits for open connections to finish.
const GRACE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    run_server("hyper_server", USAGE, DEFAULT_ADDR, |addr| async move {
        serve(&addr).await
    })
}

/// Binds `addr`, serves until Ctrl-C, then shuts down gracefully.
async fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!(
        "hyper server (HTTP/1.1 + HTTP/2) listening on http://{} (Ctrl-C to stop)",
        listener.local_addr()?
    );
    let shutdown = Arc::new(Event::new());
    // Every connection task holds a clone of `open`; `closed` ends when all are dropped.
    let (open, mut closed) = futures::channel::mpsc::channel::<Infallible>(0);
    corio::select! {
        _ = accept_forever(&listener, &shutdown, &open) => unreachable!("the accept loop never ends"),
        stop = corio::signal::ctrl_c() => stop?,
    }
    drop(listener);
    drop(open);
    println!("\nshutting down: finishing open connections (Ctrl-C again to force)");
    shutdown.set();
    corio::select! {
        _ = closed.next() => println!("all connections closed"),
        _ = corio::sleep(GRACE) => println!("grace period over, closing the rest"),
        _ = corio::signal::ctrl_c() => println!("forced"),
    }
    Ok(())
}

/// Accepts connections and detaches one task per connection.
async fn accept_forever(
    listener: &TcpListener,
    shutdown: &Arc<Event>,
    open: &futures::channel::mpsc::Sender<Infallible>,
) -> Infallible {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let (shutdown, open) = (shutdown.clone(), open.clone());
                drop(corio::spawn(async move {
                    if let Err(e) = connection(stream, &shutdown).await {
                        eprintln!("{peer}: {e}");
                    }
                    drop(open);
                }));
            }
            // Out of descriptors (EMFILE) and friends: report, back off, keep serving.
            Err(e) => {
                eprintln!("accept failed: {e}");
                corio::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Serves one connection as HTTP/1.1 or HTTP/2, whichever its first bytes say.
async fn connection(stream: TcpStream, shutdown: &Event) -> Result<(), Box<dyn std::error::Error>> {
    stream.set_nodelay(true)?;
    let (is_h2, stream) = corio::timeout(HEAD_TIMEOUT, sniff(stream))
        .await
        .map_err(|_| "no request within 30 s")??;
    let io = CorioIo::new(stream).with_vectored_writes(true);
    let svc = service_fn(route);
    if is_h2 {
        let conn = hyper::server::conn::http2::Builder::new(CorioExecutor::new())
            .timer(CorioTimer::new())
            .serve_connection(io, svc);
        until_shutdown(conn, shutdown, |c| c.graceful_shutdown()).await?;
    } else {
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(CorioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .serve_connection(io, svc);
        until_shutdown(conn, shutdown, |c| c.graceful_shutdown()).await?;
    }
    Ok(())
}

/// Drives `conn` to the end; once `shutdown` is set, calls `graceful` on it first (so it
/// finishes the requests in flight and then closes).
async fn until_shutdown<C, E>(
    conn: C,
    shutdown: &Event,
    graceful: impl FnOnce(Pin<&mut C>),
) -> Result<(), E>
where
    C: Future<Output = Result<(), E>>,
{
    let mut conn = pin!(conn);
    let finished = corio::select! {
        res = conn.as_mut() => Some(res),
        _ = shutdown.wait() => None,
    };
    match finished {
        Some(res) => res,
        None => {
            graceful(conn.as_mut());
            conn.await
        }
    }
}

/// Reads until the first bytes tell HTTP/2's preface from anything else, and returns a
/// stream that replays them.
async fn sniff(mut stream: TcpStream) -> io::Result<(bool, Replay<TcpStream>)> {
    let mut head = [0u8; H2_PREFACE.len()];
    let mut len = 0;
    while len < head.len() {
        let n = stream.read(&mut head[len..]).await?;
        len += n;
        if n == 0 || head[..len] != H2_PREFACE[..len] {
            break;
        }
    }
    let is_h2 = head[..len] == H2_PREFACE[..];
    Ok((
        is_h2,
        Replay {
            head,
            pos: 0,
            len,
            inner: stream,
        },
    ))
}

/// A stream whose first `len` bytes come from `head` (the sniffed bytes), then `inner`.
struct Replay<S> {
    head: [u8; 24],
    pos: usize,
    len: usize,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pos < self.len {
            let n = buf.len().min(self.len - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

type Reply = Response<Full<Bytes>>;

/// The router.
async fn route(req: Request<Incoming>) -> Result<Reply, Infallible> {
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/") => text(StatusCode::OK, "Hello, world!\n"),
        (&Method::POST, "/echo") => echo_json(req).await,
        (_, "/") => not_allowed("GET, HEAD"),
        (_, "/echo") => not_allowed("POST"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    })
}

/// Sends a valid JSON body back as `application/json`; 400 for anything else.
async fn echo_json(req: Request<Incoming>) -> Reply {
    let body = match Limited::new(req.into_body(), MAX_JSON_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return text(StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB\n");
        }
        Err(e) => return text(StatusCode::BAD_REQUEST, &format!("cannot read body: {e}\n")),
    };
    // One complete JSON document, nothing after it but whitespace.
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(_) => {
            let mut res = Response::new(Full::new(body));
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res
        }
        Err(e) => text(StatusCode::BAD_REQUEST, &format!("invalid JSON: {e}\n")),
    }
}

fn text(status: StatusCode, body: &str) -> Reply {
    let mut res = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn not_allowed(allow: &'static str) -> Reply {
    let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    res.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    res
}

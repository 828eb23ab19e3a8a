//! Shared by corio-http's integration tests: an in-process hyper server (plain or TLS,
//! HTTP/1.1 or HTTP/2) that counts connections, raw-TCP misbehaving servers, outside
//! tools.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use corio::net::{TcpListener, TcpStream};
use corio_hyper::{CorioExecutor, CorioIo, CorioTimer};
use corio_tls::testing::TestCa;
use corio_tls::TlsAcceptor;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use hyper::{Request, Response, StatusCode};

/// How the in-process server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Plain TCP, HTTP/1.1.
    PlainH1,
    /// Plain TCP, HTTP/2 with prior knowledge.
    PlainH2,
    /// TLS offering `h2` and `http/1.1` by ALPN.
    Tls,
    /// TLS offering only `http/1.1`.
    TlsH1,
}

pub struct Server {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub ca: Arc<TestCa>,
    pub mode: Mode,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        match self.mode {
            Mode::PlainH1 | Mode::PlainH2 => format!("http://127.0.0.1:{}{path}", self.addr.port()),
            Mode::Tls | Mode::TlsH1 => format!("https://localhost:{}{path}", self.addr.port()),
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// A session trusting this server's CA.
    pub fn session(&self) -> corio_http::ClientSessionBuilder {
        let b = corio_http::ClientSession::builder().add_root_pem(self.ca.cert_pem().as_bytes());
        if self.mode == Mode::PlainH2 {
            b.http2_prior_knowledge()
        } else {
            b
        }
    }
}

pub async fn serve(mode: Mode) -> Server {
    let ca = Arc::new(TestCa::new("corio-http test CA"));
    let cert = ca.issue(&["localhost", "127.0.0.1"]);
    let alpn: &[&[u8]] = if mode == Mode::TlsH1 {
        &[b"http/1.1"]
    } else {
        &[b"h2", b"http/1.1"]
    };
    let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .alpn(alpn)
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    drop(corio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            drop(corio::spawn(async move {
                match mode {
                    Mode::PlainH1 => serve_h1(CorioIo::new(tcp)).await,
                    Mode::PlainH2 => serve_h2(CorioIo::new(tcp)).await,
                    Mode::Tls | Mode::TlsH1 => {
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        if tls.alpn_protocol() == Some(b"h2") {
                            serve_h2(CorioIo::new(tls)).await
                        } else {
                            serve_h1(CorioIo::new(tls)).await
                        }
                    }
                }
            }));
        }
    }));
    Server {
        addr,
        connections,
        ca,
        mode,
    }
}

async fn serve_h1<IO>(io: CorioIo<IO>)
where
    CorioIo<IO>: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(CorioTimer::new())
        .serve_connection(io, hyper::service::service_fn(route))
        .await;
}

async fn serve_h2<IO>(io: CorioIo<IO>)
where
    CorioIo<IO>: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let _ = hyper::server::conn::http2::Builder::new(CorioExecutor::new())
        .timer(CorioTimer::new())
        .serve_connection(io, hyper::service::service_fn(route))
        .await;
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

fn redirect(status: u16, to: &str) -> Response<Full<Bytes>> {
    let mut r = text(StatusCode::from_u16(status).unwrap(), "");
    r.headers_mut().insert("location", to.parse().unwrap());
    r
}

/// The body of `/big?n=N`: byte i is `i % 251`.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let method = req.method().clone();
    let version = req.version();
    let content_type = req.headers().get("content-type").cloned();
    let auth = req.headers().get("authorization").is_some();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let resp = match path.as_str() {
        "/text" => text(StatusCode::OK, "hello from corio"),
        "/json" => {
            let mut r = text(StatusCode::OK, r#"{"name":"corio","n":7}"#);
            r.headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            r
        }
        "/version" => text(StatusCode::OK, format!("{version:?}")),
        "/big" => {
            let n = query
                .strip_prefix("n=")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1000);
            text(StatusCode::OK, pattern(n))
        }
        "/gzip" | "/deflate" => {
            let plain = pattern(100_000);
            let (data, enc) = if path == "/gzip" {
                (gzip(&plain), "gzip")
            } else {
                (zlib(&plain), "deflate")
            };
            let mut r = text(StatusCode::OK, data);
            r.headers_mut()
                .insert("content-encoding", enc.parse().unwrap());
            r
        }
        "/echo" => {
            let mut r = text(StatusCode::OK, body);
            r.headers_mut()
                .insert("x-method", method.as_str().parse().unwrap());
            r.headers_mut()
                .insert("x-auth", if auth { "yes" } else { "no" }.parse().unwrap());
            if let Some(ct) = content_type {
                r.headers_mut().insert("content-type", ct);
            }
            r
        }
        "/status" => text(
            StatusCode::from_u16(query.parse().unwrap_or(500)).unwrap(),
            "status",
        ),
        "/see-other" => redirect(303, "/echo"),
        "/temporary" => redirect(307, "/echo"),
        "/loop" => redirect(302, "/loop"),
        "/slow" => {
            corio::sleep(Duration::from_secs(60)).await;
            text(StatusCode::OK, "late")
        }
        p if p.starts_with("/redirect/") => {
            let n: usize = p["/redirect/".len()..].parse().unwrap_or(0);
            if n == 0 {
                text(StatusCode::OK, "arrived")
            } else {
                redirect(302, &format!("/redirect/{}", n - 1))
            }
        }
        p => text(StatusCode::OK, format!("path {p}")),
    };
    if method == hyper::Method::HEAD {
        // hyper's HTTP/2 server would send the body of a HEAD response as DATA frames.
        let len = resp.body().size_hint().exact().unwrap_or(0);
        let mut head = text(resp.status(), Bytes::new());
        *head.headers_mut() = resp.headers().clone();
        head.headers_mut().insert("content-length", len.into());
        return Ok(head);
    }
    Ok(resp)
}

/// A raw TCP server: each accepted connection is handed to `handler` (in its own task);
/// returns the address and the count of accepted connections.
pub async fn raw_server<F, Fut>(handler: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    raw_server_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), handler)
}

/// [`raw_server`] on a listener bound by the caller.
pub fn raw_server_on<F, Fut>(listener: TcpListener, handler: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    drop(corio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            c.fetch_add(1, Ordering::SeqCst);
            drop(corio::spawn(handler(tcp)));
        }
    }));
    (addr, count)
}

/// Reads one request head (up to the blank line) from a raw connection.
pub async fn read_head<S: futures::io::AsyncRead + Unpin>(s: &mut S) -> Option<String> {
    use futures::io::AsyncReadExt;
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b).await {
            Ok(1) => head.push(b[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// What a [`proxy_server`] saw: the request line of every request made to it.
pub type ProxyLog = Arc<std::sync::Mutex<Vec<String>>>;

/// A tiny forward proxy on 127.0.0.1: `CONNECT` tunnels and absolute-form HTTP
/// requests, logging each request line; `502` when the target cannot be reached.
pub async fn proxy_server() -> (SocketAddr, ProxyLog) {
    proxy_server_on(TcpListener::bind("127.0.0.1:0").await.unwrap())
}

/// [`proxy_server`] on a listener bound by the caller.
pub fn proxy_server_on(listener: TcpListener) -> (SocketAddr, ProxyLog) {
    use futures::io::AsyncWriteExt;
    let seen = ProxyLog::default();
    let log = seen.clone();
    let (addr, _) = raw_server_on(listener, move |mut client| {
        let log = log.clone();
        async move {
            let Some(head) = read_head(&mut client).await else {
                return;
            };
            let line = head.lines().next().unwrap_or_default().to_owned();
            log.lock().unwrap().push(line.clone());
            let mut parts = line.split_whitespace();
            let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let authority = if method == "CONNECT" {
                target.to_owned()
            } else {
                target
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            };
            let Ok(mut upstream) = TcpStream::connect(authority.as_str()).await else {
                let _ = client
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    .await;
                return;
            };
            if method == "CONNECT" {
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
            } else {
                upstream.write_all(head.as_bytes()).await.unwrap();
            }
            let (mut cr, mut cw) = client.into_split();
            let (mut ur, mut uw) = upstream.into_split();
            let up = corio::spawn(async move {
                let _ = futures::io::copy(&mut cr, &mut uw).await;
                let _ = uw.close().await;
            });
            let _ = futures::io::copy(&mut ur, &mut cw).await;
            let _ = cw.close().await;
            let _ = up.await;
        }
    });
    (addr, seen)
}

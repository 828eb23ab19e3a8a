//! Shared test servers and clients: hyper on corio over loopback.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use corio::net::{TcpListener, TcpStream};
use corio_hyper::{CorioExecutor, CorioIo, CorioTimer};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};

/// A current-thread runtime on a paused clock.
pub fn paused() -> corio::Runtime {
    corio::Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// Answers every request with its own path, and counts the requests it served.
pub async fn echo_path(
    served: Arc<AtomicUsize>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    served.fetch_add(1, Ordering::Relaxed);
    Ok(Response::new(Full::new(Bytes::from(
        req.uri().path().to_owned(),
    ))))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proto {
    Http1,
    Http2,
}

/// Serves `echo_path` on one accepted connection with `proto`, counting into `served`.
pub async fn serve_connection(
    proto: Proto,
    stream: TcpStream,
    served: Arc<AtomicUsize>,
) -> hyper::Result<()> {
    let svc = service_fn(move |req| echo_path(served.clone(), req));
    let io = CorioIo::new(stream);
    match proto {
        Proto::Http1 => {
            hyper::server::conn::http1::Builder::new()
                .timer(CorioTimer::new())
                .serve_connection(io, svc)
                .await
        }
        Proto::Http2 => {
            hyper::server::conn::http2::Builder::new(CorioExecutor::new())
                .timer(CorioTimer::new())
                .serve_connection(io, svc)
                .await
        }
    }
}

/// Binds 127.0.0.1:0 and serves `echo_path` on every accepted connection (one task
/// each). A connection's error ends only that connection: a panic in a detached task
/// could not fail the test anyway, so the tests check what the client receives (every
/// body, and the served count) instead.
pub async fn start_server(proto: Proto) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    drop(corio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).expect("nodelay");
            drop(corio::spawn(serve_connection(
                proto,
                stream,
                counter.clone(),
            )));
        }
    }));
    (addr, served)
}

/// GETs `path` and returns the body as a string, asserting status 200.
pub async fn get<B>(sender: &mut B, path: &str) -> String
where
    B: SendRequest,
{
    let req = Request::get(path)
        .header("host", "localhost")
        .body(http_body_util::Empty::<Bytes>::new())
        .expect("request");
    let res = sender.send(req).await;
    assert_eq!(res.status(), 200);
    let body = res.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8(body.to_vec()).expect("utf-8 body")
}

/// The two hyper client senders, behind one async method.
pub trait SendRequest {
    fn send(
        &mut self,
        req: Request<http_body_util::Empty<Bytes>>,
    ) -> impl std::future::Future<Output = Response<Incoming>> + Send;
}

impl SendRequest for hyper::client::conn::http1::SendRequest<http_body_util::Empty<Bytes>> {
    async fn send(&mut self, req: Request<http_body_util::Empty<Bytes>>) -> Response<Incoming> {
        self.ready().await.expect("ready");
        self.send_request(req).await.expect("http1 request")
    }
}

impl SendRequest for hyper::client::conn::http2::SendRequest<http_body_util::Empty<Bytes>> {
    async fn send(&mut self, req: Request<http_body_util::Empty<Bytes>>) -> Response<Incoming> {
        self.ready().await.expect("ready");
        self.send_request(req).await.expect("http2 request")
    }
}

/// Connects over TCP and returns the HTTP/1 request sender (its connection is spawned).
pub async fn connect_h1(
    addr: SocketAddr,
) -> hyper::client::conn::http1::SendRequest<http_body_util::Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) = hyper::client::conn::http1::handshake(CorioIo::new(stream))
        .await
        .expect("handshake");
    drop(corio::spawn(async move {
        conn.await.expect("client connection failed")
    }));
    sender
}

/// Connects over TCP and returns the HTTP/2 request sender (its connection is spawned).
pub async fn connect_h2(
    addr: SocketAddr,
) -> hyper::client::conn::http2::SendRequest<http_body_util::Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) = hyper::client::conn::http2::Builder::new(CorioExecutor::new())
        .timer(CorioTimer::new())
        .handshake(CorioIo::new(stream))
        .await
        .expect("handshake");
    drop(corio::spawn(async move {
        conn.await.expect("client connection failed")
    }));
    sender
}

/// A multi-thread corio runtime with two workers (the machine has two cores).
pub fn runtime() -> corio::Runtime {
    corio::Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime")
}

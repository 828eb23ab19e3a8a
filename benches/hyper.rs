//! Criterion: the same hyper 1.x hello-world server (HTTP/1.1 keep-alive) on corio and on
//! tokio, side by side, at 1, 50 and 256 concurrent connections.
//!
//! Each server runs on its own default multi-thread runtime: corio through
//! `corio-hyper` (`CorioIo`, `CorioTimer`), tokio through hyper-util's `TokioIo` and
//! `TokioTimer`. The service, the hyper builder settings and the response are identical.
//!
//! The load generator is the same for both and belongs to neither: one tokio
//! current-thread runtime driving raw keep-alive TCP connections that write a fixed
//! `GET /` and read the response (head up to the blank line, then `content-length` body
//! bytes). It is much lighter than a hyper client, so the server is what is measured.
//! One iteration is one round: every connection sends one request and reads its
//! response; the reported throughput (elements/s) is requests per second.
//!
//! `cargo bench -p corio-benches --bench hyper`

#![allow(missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};

const CONNS: [usize; 3] = [1, 50, 256];
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n";

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, world!",
    ))))
}

/// The corio server, on its own runtime (kept alive by the returned value).
fn corio_server() -> (corio::Runtime, SocketAddr) {
    use corio_hyper::{CorioIo, CorioTimer};
    let rt = corio::Runtime::new().expect("corio runtime");
    let listener = rt
        .block_on(corio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    drop(rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).ok();
            drop(corio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(CorioTimer::new())
                    .serve_connection(CorioIo::new(stream), service_fn(hello))
                    .await;
            }));
        }
    }));
    (rt, addr)
}

/// The tokio server, on its own runtime (kept alive by the returned value).
fn tokio_server() -> (tokio::runtime::Runtime, SocketAddr) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    drop(rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).ok();
            drop(tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service_fn(hello))
                    .await;
            }));
        }
    }));
    (rt, addr)
}

/// One keep-alive connection of the load generator.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::with_capacity(4096),
        }
    }

    /// Sends `GET /` and reads the whole response; panics on anything but a 200.
    async fn request(&mut self) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(REQUEST).await.expect("write");
        self.buf.clear();
        loop {
            if let Some(total) = response_len(&self.buf) {
                assert!(self.buf.starts_with(b"HTTP/1.1 200 "), "not a 200");
                assert_eq!(self.buf.len(), total, "unexpected extra bytes");
                return;
            }
            let n = self.stream.read_buf(&mut self.buf).await.expect("read");
            assert!(n > 0, "server closed the connection");
        }
    }
}

/// The length of the complete response at the start of `buf`, once it is all there.
fn response_len(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..head_end]).expect("utf-8 head");
    let body_len: usize = head
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().expect("content-length"))
        })
        .expect("a content-length header");
    (buf.len() >= head_end + body_len).then_some(head_end + body_len)
}

fn hello_world(c: &mut Criterion) {
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let (_corio_rt, corio_addr) = corio_server();
    let (_tokio_rt, tokio_addr) = tokio_server();
    for conns in CONNS {
        let mut group = c.benchmark_group(format!("hyper_http1/{conns}conn"));
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(3));
        group.warm_up_time(Duration::from_millis(500));
        group.throughput(Throughput::Elements(conns as u64));
        for (name, addr) in [("corio", corio_addr), ("tokio", tokio_addr)] {
            let mut pool = client.block_on(async {
                futures::future::join_all((0..conns).map(|_| Conn::open(addr))).await
            });
            group.bench_function(name, |b| {
                b.iter(|| {
                    client.block_on(futures::future::join_all(
                        pool.iter_mut().map(|conn| conn.request()),
                    ))
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, hello_world);
criterion_main!(benches);

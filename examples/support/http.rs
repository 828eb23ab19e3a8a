//! A local HTTPS server for the network examples: corio's own, on a certificate generated
//! at start-up (hyper over `corio-tls`, HTTP/2 or HTTP/1.1 by ALPN). It answers `GET
//! <path>` with a small HTML page after a delay (a slow web site), and counts how many
//! requests it is answering at once.
//!
//! The examples fetch from it with `corio_http::ClientSession` over real TLS on
//! 127.0.0.1, so nothing leaves the machine; given URLs on the command line they fetch
//! those instead.

use std::convert::Infallible;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use corio::net::TcpListener;
use corio_hyper::{CorioExecutor, CorioIo, CorioTimer};
use corio_tls::testing::TestCa;
use corio_tls::TlsAcceptor;
use http_body_util::Full;
use hyper::{Request, Response};

/// A running local HTTPS server (until the runtime shuts down).
#[derive(Debug)]
pub struct LocalServer {
    base: String,
    ca_pem: String,
    stats: Arc<Stats>,
}

#[derive(Debug, Default)]
struct Stats {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    served: AtomicUsize,
}

impl LocalServer {
    /// `https://localhost:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client session that trusts this server's generated certificate authority.
    ///
    /// # Panics
    /// Never in practice (the CA certificate is valid PEM).
    pub fn session(&self) -> corio_http::ClientSession {
        corio_http::ClientSession::builder()
            .add_root_pem(self.ca_pem.as_bytes())
            .build()
            .expect("a session trusting the local CA")
    }

    /// The most requests the server was answering at the same time.
    pub fn max_concurrent(&self) -> usize {
        self.stats.max_in_flight.load(Ordering::SeqCst)
    }

    /// Requests answered so far.
    pub fn served(&self) -> usize {
        self.stats.served.load(Ordering::SeqCst)
    }
}

/// Starts the server on an ephemeral port of 127.0.0.1, with a fresh CA and a
/// certificate for `localhost`; each page takes `delay` to answer.
///
/// # Errors
/// When the listener cannot be bound or the generated certificate is refused.
pub async fn serve(delay: Duration) -> io::Result<LocalServer> {
    let ca = TestCa::new("corio examples local CA");
    let cert = ca.issue(&["localhost", "127.0.0.1"]);
    let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .alpn(&[b"h2", b"http/1.1"])
        .build()?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let stats = Arc::new(Stats::default());
    drop(corio::spawn(accept_loop(
        listener,
        acceptor,
        delay,
        stats.clone(),
    )));
    Ok(LocalServer {
        base: format!("https://127.0.0.1:{port}"),
        ca_pem: ca.cert_pem().to_owned(),
        stats,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    delay: Duration,
    stats: Arc<Stats>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let stats = stats.clone();
        drop(corio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let h2 = tls.alpn_protocol() == Some(b"h2");
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let stats = stats.clone();
                async move { Ok::<_, Infallible>(page(req, delay, &stats).await) }
            });
            let io = CorioIo::new(tls);
            let _ = if h2 {
                hyper::server::conn::http2::Builder::new(CorioExecutor::new())
                    .timer(CorioTimer::new())
                    .serve_connection(io, service)
                    .await
            } else {
                hyper::server::conn::http1::Builder::new()
                    .timer(CorioTimer::new())
                    .serve_connection(io, service)
                    .await
            };
        }));
    }
}

async fn page<B>(req: Request<B>, delay: Duration, stats: &Stats) -> Response<Full<Bytes>> {
    let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
    corio::sleep(delay).await; // a slow server
    stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    stats.served.fetch_add(1, Ordering::SeqCst);
    let body = format!("<html><body><h1>{}</h1></body></html>", req.uri().path());
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(
        "content-type",
        "text/html; charset=utf-8".parse().expect("a valid header"),
    );
    response
}

//! An HTTP client for corio in the style of aiohttp's `ClientSession`: a session with a
//! connection pool, HTTP/1.1 and HTTP/2 over plain TCP or TLS (`corio-tls`), timeouts
//! on corio's clock, redirects, compressed bodies and proxies. hyper 1.x speaks the
//! protocols underneath (through `corio-hyper`).
//!
//! # Examples
//!
//! Fetch a URL, as in the guide's aiohttp example:
//!
//! ```no_run
//! async fn fetch_url(session: &corio_http::ClientSession, url: &str) -> Result<String, corio_http::Error> {
//!     let response = session.get(url).await?;
//!     response.text().await
//! }
//! corio::run(async {
//!     let session = corio_http::ClientSession::new();
//!     println!("{}", fetch_url(&session, "https://example.com/").await.unwrap());
//! });
//! ```
//!
//! The same against a local HTTPS server (a runnable version: `cargo run --example
//! 25_network_requests`, which starts one on a generated certificate):
//!
//! ```
//! # use bytes::Bytes;
//! # use corio_tls::{testing::TestCa, TlsAcceptor};
//! # let ca = TestCa::new("doc CA");
//! # let cert = ca.issue(&["localhost"]);
//! corio::run(async move {
//! #   let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! #   let port = listener.local_addr().unwrap().port();
//! #   let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
//! #       .alpn(&[b"h2", b"http/1.1"]).build().unwrap();
//! #   drop(corio::spawn(async move {
//! #       let (tcp, _) = listener.accept().await.unwrap();
//! #       let tls = acceptor.accept(tcp).await.unwrap();
//! #       let svc = hyper::service::service_fn(|_req| async {
//! #           Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(Bytes::from("hello"))))
//! #       });
//! #       let _ = hyper::server::conn::http2::Builder::new(corio_hyper::CorioExecutor::new())
//! #           .serve_connection(corio_hyper::CorioIo::new(tls), svc).await;
//! #   }));
//!     let session = corio_http::ClientSession::builder()
//!         .add_root_pem(ca.cert_pem().as_bytes()) // trust the local server's CA
//!         .build()
//!         .unwrap();
//!     let response = session.get(&format!("https://localhost:{port}/")).await.unwrap();
//!     assert_eq!(response.version(), hyper::Version::HTTP_2); // negotiated with ALPN
//!     assert_eq!(response.text().await.unwrap(), "hello");
//! });
//! ```
//!
//! | aiohttp | corio-http |
//! |---|---|
//! | `async with aiohttp.ClientSession() as session:` | `let session = ClientSession::new();` (dropping it closes the pool) |
//! | `session.get(url)` / `post` / `put` / `patch` / `delete` / `head` / `request(method, url)` | the same names, then `.await` or `.send().await` |
//! | `headers=`, `data=`, `json=` | `.header(k, v)`, `.body(bytes)`, `.json(&value)` |
//! | `resp.status`, `resp.headers`, `resp.url` | [`Response::status`], [`Response::headers`], [`Response::url`] |
//! | `await resp.read()` / `text()` / `json()` | [`Response::bytes`], [`Response::text`], [`Response::json`] |
//! | `resp.content.iter_chunked(n)` | [`Response::bytes_stream`] (a `Stream`) |
//! | `resp.raise_for_status()` | [`Response::error_for_status`] |
//! | `ClientTimeout(total=, connect=)` | [`ClientSessionBuilder::timeout`], [`ClientSessionBuilder::connect_timeout`] |
//! | `TCPConnector(limit=, limit_per_host=, keepalive_timeout=)` | [`ClientSessionBuilder::limit`], [`limit_per_host`](ClientSessionBuilder::limit_per_host), [`idle_timeout`](ClientSessionBuilder::idle_timeout) |
//! | `max_redirects=`, `allow_redirects=` | [`ClientSessionBuilder::max_redirects`], [`follow_redirects`](ClientSessionBuilder::follow_redirects) |
//! | `trust_env=True` | [`ClientSessionBuilder::trust_env`] |
//! | `ssl=ssl_context` | [`ClientSessionBuilder::tls`], [`add_root_pem`](ClientSessionBuilder::add_root_pem) |
//! | `aiohttp.ClientError` and subclasses | [`Error`] (one enum; each variant names the cause) |
//!
//! # Implementation
//! hyper's connection-level client (`hyper::client::conn`) does HTTP/1.1 and HTTP/2;
//! this crate adds what hyper-util's legacy client would (and what aiohttp's connector
//! does): the pool (`pool.rs`, its rules at the top), connecting through proxies and TLS
//! (`connect.rs`), redirects and the stale-connection retry (`request.rs`), body
//! decoding and limits (`response.rs`). hyper-util is not used: its client needs a
//! `tower::Service` connector and has no per-host connection limit.

mod body;
mod connect;
mod decode;
mod error;
mod h2_task;
mod pool;
mod proxy;
mod request;
mod response;
mod session;
mod url;

pub use body::Body;
pub use error::Error;
pub use proxy::Proxy;
pub use request::RequestBuilder;
pub use response::{BodyStream, Response};
pub use session::{ClientSession, ClientSessionBuilder};

/// hyper's HTTP types used in this API (`Method`, `StatusCode`, `Version`, `HeaderMap`).
pub use hyper::{header, HeaderMap, Method, StatusCode, Version};

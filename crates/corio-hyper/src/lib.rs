//! Run [hyper](https://docs.rs/hyper) 1.x on corio.
//!
//! hyper is runtime-agnostic: it asks for an executor (to spawn HTTP/2 tasks), a timer
//! (for its timeouts and keep-alive pings) and I/O streams through its own traits. This
//! crate provides the three for corio, under hyper-util's tokio names:
//!
//! | hyper needs | hyper-util (tokio) | corio-hyper |
//! |---|---|---|
//! | `hyper::rt::Executor` | `TokioExecutor` | [`CorioExecutor`] |
//! | `hyper::rt::Timer` / `Sleep` | `TokioTimer` / `TokioSleep` | [`CorioTimer`] / [`CorioSleep`] |
//! | `hyper::rt::Read` + `Write` | `TokioIo<T>` | [`CorioIo<T>`] (over `futures-io`) |
//!
//! On top of them, [`serve`] runs any tower service (an axum `Router`, with axum's
//! `tokio` feature off) the way `axum::serve` does: HTTP/1.1 and HTTP/2 on one port, a
//! graceful drain with a deadline, a connection limit, a header-read timeout, 431/413 for
//! oversized heads and bodies, and the peer address as [`ConnectInfo`].
//!
//! [`CorioTimer`] follows the runtime's clock (`Timer::now` included), so hyper's
//! timeouts run on virtual time in a runtime built with `start_paused(true)`.
//!
//! # Examples
//!
//! An HTTP/1 server and a client on loopback, both on corio:
//!
//! ```
//! use bytes::Bytes;
//! use corio::net::{TcpListener, TcpStream};
//! use corio_hyper::{CorioIo, CorioTimer};
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::{server::conn::http1, service::service_fn, Request, Response};
//! use std::convert::Infallible;
//!
//! async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from("Hello, world!"))))
//! }
//!
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     // The server: one task per connection.
//!     // (Dropping a `JoinHandle` detaches the task.)
//!     drop(corio::spawn(async move {
//!         loop {
//!             let (stream, _) = listener.accept().await.unwrap();
//!             drop(corio::spawn(async move {
//!                 let conn = http1::Builder::new()
//!                     .timer(CorioTimer::new())
//!                     .serve_connection(CorioIo::new(stream), service_fn(hello));
//!                 if let Err(e) = conn.await {
//!                     eprintln!("connection error: {e}");
//!                 }
//!             }));
//!         }
//!     }));
//!
//!     // The client: a handshake gives a request sender and the connection to drive.
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(CorioIo::new(stream))
//!         .await
//!         .unwrap();
//!     drop(corio::spawn(conn));
//!     let req = Request::get("/").body(Empty::<Bytes>::new()).unwrap();
//!     let res = sender.send_request(req).await.unwrap();
//!     assert_eq!(res.status(), 200);
//!     let body = res.into_body().collect().await.unwrap().to_bytes();
//!     assert_eq!(body, "Hello, world!");
//! });
//! ```
//!
//! For HTTP/2, pass [`CorioExecutor`] to `hyper::server::conn::http2::Builder::new` and
//! `hyper::client::conn::http2::handshake`.
//!
//! The runnable examples of the `corio-examples` package (from the repository root):
//!
//! ```text
//! cargo run --example hyper_server                  # HTTP/1 and HTTP/2 (detected) on 127.0.0.1:3000
//! cargo run --example hyper_server -- 127.0.0.1:8080
//! cargo run --example hyper_client                  # GET http://127.0.0.1:3000/
//! cargo run --example hyper_client -- http://127.0.0.1:3000/ --http2
//! curl -d '{"a":1}' http://127.0.0.1:3000/echo      # JSON echo; a non-JSON body gets 400
//! ```
//!
//! # Implementation
//! All three adapters are stateless or thin: [`CorioExecutor`] calls `corio::try_spawn`,
//! [`CorioTimer`] makes `corio::time::Sleep`s through the current runtime's timer (and
//! resets them in place), [`CorioIo`] forwards to the inner stream. The only `unsafe` is
//! the one `ReadBufCursor::advance` after a read (see the `io` module).

#![warn(clippy::undocumented_unsafe_blocks)]

mod connect_info;
mod executor;
mod io;
mod serve;
mod timer;

pub use connect_info::ConnectInfo;
pub use executor::CorioExecutor;
pub use io::{CorioIo, ReadUninit};
pub use serve::{serve, Body, Serve};
pub use timer::{CorioSleep, CorioTimer};

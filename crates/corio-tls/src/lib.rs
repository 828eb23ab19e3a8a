//! TLS for corio: [rustls](https://docs.rs/rustls) client and server streams over corio's
//! TCP and Unix sockets (or any `futures-io` stream).
//!
//! - [`TlsConnector`] runs the client handshake: SNI, ALPN, the Mozilla roots
//!   (`webpki-roots`), the platform's store or custom CAs, a client certificate.
//! - [`TlsAcceptor`] runs the server handshake: a certificate chain, ALPN, optional or
//!   required client certificates.
//! - [`TlsStream`] is the established connection: `futures_io::AsyncRead + AsyncWrite`,
//!   and hyper's `Read + Write` through `corio_hyper::CorioIo::new(stream)`.
//! - Both handshakes time out (default 10 s) on corio's clock, so a peer that never
//!   answers cannot hang a task; virtual time in tests makes that instant.
//! - [`TlsError`] names the cause: an expired certificate, a certificate for another
//!   host name and an unknown certificate authority are variants of their own.
//!
//! | Python `ssl` / tokio-rustls | corio-tls |
//! |---|---|
//! | `ssl.create_default_context()` / `TlsConnector::from(config)` | [`TlsConnector::new`], [`TlsConnector::builder`] |
//! | `ctx.load_verify_locations(cafile)` | [`TlsConnectorBuilder::add_root_pem`] |
//! | `ctx.load_cert_chain(cert, key)` (client) | [`TlsConnectorBuilder::client_cert_pem`] |
//! | `ctx.set_alpn_protocols([...])` | [`TlsConnectorBuilder::alpn`], [`TlsAcceptorBuilder::alpn`] |
//! | `asyncio.open_connection(host, 443, ssl=ctx)` | [`TlsConnector::connect_tcp`] |
//! | `ctx.wrap_socket(sock, server_side=True)` / `TlsAcceptor::accept` | [`TlsAcceptor::accept`] |
//! | `ssl_handshake_timeout=` | [`TlsConnectorBuilder::handshake_timeout`] |
//! | `ssl.SSLCertVerificationError` | [`TlsError::CertificateExpired`], [`TlsError::WrongHostName`], [`TlsError::UnknownIssuer`] |
//!
//! # Examples
//!
//! A TLS echo round trip on loopback with a CA generated at run time (feature
//! `testing`): see [`TlsAcceptor`]. Connecting to a public server:
//!
//! ```no_run
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! corio::run(async {
//!     let connector = corio_tls::TlsConnector::new()?; // Mozilla roots
//!     let mut tls = connector.connect_tcp("example.com", 443).await?;
//!     tls.write_all(b"HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n").await?;
//!     let mut head = String::new();
//!     tls.read_to_string(&mut head).await?;
//!     println!("{head}");
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # Implementation
//! The record layer and handshake are rustls's (with the `ring` crypto provider, so the
//! build needs no cmake); `futures-rustls` drives a rustls connection over a
//! `futures-io` stream (docs/dependencies.md says why it is not hand-written). This crate
//! adds the configuration builders, the timeouts on corio's clock and the error
//! classification.

mod client;
mod error;
mod pem;
mod server;
mod stream;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tokio-io")]
mod tokio_io;

use std::time::Duration;

pub use client::{TlsConnector, TlsConnectorBuilder};
pub use error::TlsError;
pub use server::{TlsAcceptor, TlsAcceptorBuilder};
pub use stream::TlsStream;

/// rustls itself, for configurations built by hand ([`TlsConnector::from_config`]).
pub use rustls;

/// The handshake timeout of connectors and acceptors unless set otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

//! [`TlsAcceptor`]: the server side (certificate, ALPN, client certificates).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use crate::{pem, TlsError, TlsStream, DEFAULT_HANDSHAKE_TIMEOUT};

/// Accepts TLS connections: wraps an accepted stream and runs the server handshake.
///
/// Cheap to clone (the rustls config is shared): clone it into each connection task.
///
/// # Examples
///
/// An echo server on a generated certificate, and a client that trusts its CA:
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
/// use corio_tls::{testing::TestCa, TlsAcceptor, TlsConnector};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// let ca = TestCa::new("Example CA");
/// let cert = ca.issue(&["localhost"]);
/// corio::run(async move {
///     let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
///         .build()
///         .unwrap();
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     drop(corio::spawn(async move {
///         let (tcp, _) = listener.accept().await.unwrap();
///         let mut tls = acceptor.accept(tcp).await.unwrap();
///         let mut buf = [0; 5];
///         tls.read_exact(&mut buf).await.unwrap();
///         tls.write_all(&buf).await.unwrap();
///         tls.close().await.unwrap();
///     }));
///
///     let connector = TlsConnector::builder()
///         .add_root_pem(ca.cert_pem().as_bytes())
///         .build()
///         .unwrap();
///     let tcp = TcpStream::connect(addr).await.unwrap();
///     let mut tls = connector.connect("localhost", tcp).await.unwrap();
///     tls.write_all(b"hello").await.unwrap();
///     let mut echoed = Vec::new();
///     tls.read_to_end(&mut echoed).await.unwrap();
///     assert_eq!(echoed, b"hello");
/// });
/// ```
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
}

impl TlsAcceptor {
    /// A builder serving the certificate chain `chain_pem` (leaf first) with the private
    /// key `key_pem` (PKCS#8, PKCS#1 or SEC1).
    pub fn builder(chain_pem: &[u8], key_pem: &[u8]) -> TlsAcceptorBuilder {
        TlsAcceptorBuilder {
            chain_pem: chain_pem.to_vec(),
            key_pem: key_pem.to_vec(),
            alpn: Vec::new(),
            client_ca_pem: None,
            client_cert_required: false,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// An acceptor over a rustls config built elsewhere.
    pub fn from_config(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor {
            config,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// The rustls configuration.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// How long a handshake may take.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Runs the server handshake over `io` (an accepted connection).
    ///
    /// # Errors
    /// [`TlsError::HandshakeTimeout`] when the client stalls (corio's clock), a
    /// certificate variant when a client certificate is required and the client's is
    /// bad, [`TlsError::AlertReceived`] when the client rejects our certificate,
    /// [`TlsError::Protocol`] (e.g. no common ALPN protocol or cipher),
    /// [`TlsError::Io`].
    ///
    /// # Cancel safety
    /// Dropping the future drops `io` mid-handshake; nothing else is left behind.
    pub async fn accept<IO>(&self, io: IO) -> Result<TlsStream<IO>, TlsError>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let handshake = futures_rustls::TlsAcceptor::from(self.config.clone()).accept(io);
        match corio::time::timeout(self.handshake_timeout, handshake).await {
            Ok(Ok(stream)) => Ok(TlsStream::new(stream)),
            Ok(Err(e)) => Err(TlsError::from_io(e)),
            Err(_) => Err(TlsError::HandshakeTimeout(self.handshake_timeout)),
        }
    }
}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptor")
            .field(
                "alpn",
                &self
                    .config
                    .alpn_protocols
                    .iter()
                    .map(|p| String::from_utf8_lossy(p))
                    .collect::<Vec<_>>(),
            )
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TlsAcceptor`]: certificate, ALPN, client certificates, timeout.
pub struct TlsAcceptorBuilder {
    chain_pem: Vec<u8>,
    key_pem: Vec<u8>,
    alpn: Vec<Vec<u8>>,
    client_ca_pem: Option<Vec<u8>>,
    client_cert_required: bool,
    handshake_timeout: Duration,
}

impl TlsAcceptorBuilder {
    /// The application protocols this server speaks, most preferred first
    /// (`&[b"h2", b"http/1.1"]`). A client offering none of them is refused.
    #[must_use = "builder methods return the builder"]
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// Requires a client certificate issued by a CA in `ca_pem` (mutual TLS); a client
    /// without one is refused with the `certificate_required` alert.
    #[must_use = "builder methods return the builder"]
    pub fn require_client_cert(mut self, ca_pem: &[u8]) -> Self {
        self.client_ca_pem = Some(ca_pem.to_vec());
        self.client_cert_required = true;
        self
    }

    /// Asks for a client certificate issued by a CA in `ca_pem` but also accepts clients
    /// without one ([`TlsStream::peer_certificates`] tells them apart). A certificate
    /// that is presented must still be valid.
    #[must_use = "builder methods return the builder"]
    pub fn request_client_cert(mut self, ca_pem: &[u8]) -> Self {
        self.client_ca_pem = Some(ca_pem.to_vec());
        self.client_cert_required = false;
        self
    }

    /// How long a handshake may take (default 10 s), on corio's clock.
    #[must_use = "builder methods return the builder"]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The acceptor.
    ///
    /// # Errors
    /// [`TlsError::Config`]: unreadable PEM, a key that does not fit the certificate, an
    /// unusable client CA.
    pub fn build(self) -> Result<TlsAcceptor, TlsError> {
        let chain = pem::certs(&self.chain_pem, "server certificate")?;
        let key = pem::key(&self.key_pem, "server key")?;
        let builder = ServerConfig::builder_with_provider(pem::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let builder = match &self.client_ca_pem {
            Some(ca_pem) => {
                let mut roots = RootCertStore::empty();
                for cert in pem::certs(ca_pem, "client CA")? {
                    roots
                        .add(cert)
                        .map_err(|e| TlsError::Config(format!("client CA rejected: {e}")))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), pem::provider());
                let verifier = if self.client_cert_required {
                    verifier.build()
                } else {
                    verifier.allow_unauthenticated().build()
                }
                .map_err(|e| TlsError::Config(format!("client certificate verifier: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Config(format!("server certificate and key: {e}")))?;
        config.alpn_protocols = self.alpn;
        Ok(TlsAcceptor {
            config: Arc::new(config),
            handshake_timeout: self.handshake_timeout,
        })
    }
}

impl fmt::Debug for TlsAcceptorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptorBuilder")
            .field("client_cert_required", &self.client_cert_required)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

//! [`TlsConnector`]: the client side (SNI, ALPN, roots, client certificates).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use corio::net::TcpStream;
use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use crate::{pem, TlsError, TlsStream, DEFAULT_HANDSHAKE_TIMEOUT};

/// Opens TLS connections: wraps a connected stream and runs the client handshake.
///
/// Cheap to clone (the rustls config is shared). [`TlsConnector::new`] trusts the Mozilla
/// roots bundled by `webpki-roots`; [`TlsConnector::builder`] chooses the roots (platform,
/// Mozilla, custom CAs), ALPN protocols, a client certificate and the handshake timeout.
///
/// # Examples
///
/// ```no_run
/// use corio_tls::TlsConnector;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// corio::run(async {
///     let connector = TlsConnector::new()?;
///     let mut tls = connector.connect_tcp("example.com", 443).await?;
///     tls.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").await?;
///     let mut page = Vec::new();
///     tls.read_to_end(&mut page).await?;
///     Ok(())
/// })
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    handshake_timeout: Duration,
}

impl TlsConnector {
    /// A connector trusting the Mozilla root certificates (`webpki-roots`), with no ALPN
    /// and the default handshake timeout (10 s).
    ///
    /// # Errors
    /// Never in practice; the signature matches [`TlsConnectorBuilder::build`].
    pub fn new() -> Result<TlsConnector, TlsError> {
        TlsConnector::builder().with_webpki_roots().build()
    }

    /// A builder with no trusted roots yet.
    pub fn builder() -> TlsConnectorBuilder {
        TlsConnectorBuilder {
            roots: RootCertStore::empty(),
            alpn: Vec::new(),
            client_auth: None,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            errors: Vec::new(),
        }
    }

    /// A connector over a rustls config built elsewhere.
    pub fn from_config(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector {
            config,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// The same connector with another handshake timeout.
    #[must_use = "with_handshake_timeout returns a new connector"]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> TlsConnector {
        self.handshake_timeout = timeout;
        self
    }

    /// The same connector offering other ALPN protocols (most preferred first).
    #[must_use = "with_alpn returns a new connector"]
    pub fn with_alpn(mut self, protocols: &[&[u8]]) -> TlsConnector {
        let mut config = (*self.config).clone();
        config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
        self.config = Arc::new(config);
        self
    }

    /// The rustls configuration.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// How long a handshake may take.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Runs the client handshake over `io`. `server_name` is sent as SNI (unless it is an
    /// IP address) and the server's certificate must be valid for it.
    ///
    /// # Errors
    /// [`TlsError::InvalidServerName`]; [`TlsError::HandshakeTimeout`] when the handshake
    /// takes longer than the timeout (corio's clock); the certificate variants
    /// ([`TlsError::CertificateExpired`], [`TlsError::WrongHostName`],
    /// [`TlsError::UnknownIssuer`], ...); [`TlsError::AlertReceived`] when the server
    /// refuses us; [`TlsError::Io`] when the transport fails.
    ///
    /// # Cancel safety
    /// Dropping the future drops `io` mid-handshake; nothing else is left behind.
    pub async fn connect<IO>(&self, server_name: &str, io: IO) -> Result<TlsStream<IO>, TlsError>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| TlsError::InvalidServerName(server_name.to_owned()))?;
        let handshake = futures_rustls::TlsConnector::from(self.config.clone()).connect(name, io);
        match corio::time::timeout(self.handshake_timeout, handshake).await {
            Ok(Ok(stream)) => Ok(TlsStream::new(stream)),
            Ok(Err(e)) => Err(TlsError::from_io(e)),
            Err(_) => Err(TlsError::HandshakeTimeout(self.handshake_timeout)),
        }
    }

    /// Connects a [`TcpStream`] to `host:port` (with `TCP_NODELAY`) and runs
    /// [`connect`](Self::connect) with `host` as the server name.
    ///
    /// # Errors
    /// As [`connect`](Self::connect); a failed TCP connect is [`TlsError::Io`].
    pub async fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> Result<TlsStream<TcpStream>, TlsError> {
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(TlsError::Io)?;
        stream.set_nodelay(true).map_err(TlsError::Io)?;
        self.connect(host, stream).await
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
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

/// Builds a [`TlsConnector`]: trusted roots, ALPN, client certificate, timeout.
///
/// Errors in PEM data are kept and reported by [`build`](Self::build), so the calls
/// chain.
///
/// # Examples
///
/// ```
/// use corio_tls::TlsConnector;
/// use std::time::Duration;
///
/// let ca = corio_tls::testing::TestCa::new("Example CA");
/// let connector = TlsConnector::builder()
///     .add_root_pem(ca.cert_pem().as_bytes())
///     .alpn(&[b"h2", b"http/1.1"])
///     .handshake_timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert_eq!(connector.handshake_timeout(), Duration::from_secs(5));
/// ```
pub struct TlsConnectorBuilder {
    roots: RootCertStore,
    alpn: Vec<Vec<u8>>,
    client_auth: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    handshake_timeout: Duration,
    errors: Vec<TlsError>,
}

impl TlsConnectorBuilder {
    /// Trusts the Mozilla root certificates bundled with the `webpki-roots` crate (the
    /// same on every machine).
    #[must_use = "builder methods return the builder"]
    pub fn with_webpki_roots(mut self) -> Self {
        self.roots
            .extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        self
    }

    /// Trusts the platform's certificate store (on Linux the distribution's bundle, e.g.
    /// `/etc/ssl/certs`; `SSL_CERT_FILE`/`SSL_CERT_DIR` override it), like curl and
    /// Python's `ssl.create_default_context()`.
    ///
    /// # Errors
    /// [`build`](Self::build) fails when the store holds no usable certificate.
    #[must_use = "builder methods return the builder"]
    pub fn with_platform_roots(mut self) -> Self {
        let found = rustls_native_certs::load_native_certs();
        let (added, _ignored) = self.roots.add_parsable_certificates(found.certs);
        if added == 0 {
            let why = found
                .errors
                .first()
                .map_or_else(|| "no certificates found".to_owned(), ToString::to_string);
            self.errors.push(TlsError::Config(format!(
                "the platform certificate store is empty or unreadable: {why}"
            )));
        }
        self
    }

    /// Trusts every CA certificate in `pem` (a custom or private certificate authority).
    #[must_use = "builder methods return the builder"]
    pub fn add_root_pem(mut self, pem: &[u8]) -> Self {
        match pem::certs(pem, "root certificate") {
            Ok(certs) => {
                for cert in certs {
                    if let Err(e) = self.roots.add(cert) {
                        self.errors
                            .push(TlsError::Config(format!("root certificate rejected: {e}")));
                    }
                }
            }
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Trusts one DER-encoded CA certificate.
    #[must_use = "builder methods return the builder"]
    pub fn add_root_der(mut self, der: CertificateDer<'static>) -> Self {
        if let Err(e) = self.roots.add(der) {
            self.errors
                .push(TlsError::Config(format!("root certificate rejected: {e}")));
        }
        self
    }

    /// The application protocols to offer with ALPN, most preferred first
    /// (`&[b"h2", b"http/1.1"]`).
    #[must_use = "builder methods return the builder"]
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// Presents a client certificate (`chain_pem`: leaf first, then intermediates) with
    /// its private key, for servers that ask for one (mutual TLS).
    #[must_use = "builder methods return the builder"]
    pub fn client_cert_pem(mut self, chain_pem: &[u8], key_pem: &[u8]) -> Self {
        match (
            pem::certs(chain_pem, "client certificate"),
            pem::key(key_pem, "client key"),
        ) {
            (Ok(chain), Ok(key)) => self.client_auth = Some((chain, key)),
            (Err(e), _) | (_, Err(e)) => self.errors.push(e),
        }
        self
    }

    /// How long a handshake may take (default 10 s), on corio's clock.
    #[must_use = "builder methods return the builder"]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The connector.
    ///
    /// # Errors
    /// [`TlsError::Config`]: unreadable PEM given to an earlier call, no trusted root at
    /// all, an empty platform store, or a client key that does not fit its certificate.
    pub fn build(mut self) -> Result<TlsConnector, TlsError> {
        if !self.errors.is_empty() {
            return Err(self.errors.swap_remove(0));
        }
        if self.roots.is_empty() {
            return Err(TlsError::Config(
                "no trusted root certificates: call with_webpki_roots, with_platform_roots or add_root_pem".into(),
            ));
        }
        let builder = ClientConfig::builder_with_provider(pem::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_root_certificates(self.roots);
        let mut config = match self.client_auth {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsError::Config(format!("client certificate: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn;
        Ok(TlsConnector {
            config: Arc::new(config),
            handshake_timeout: self.handshake_timeout,
        })
    }
}

impl fmt::Debug for TlsConnectorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnectorBuilder")
            .field("roots", &self.roots.len())
            .field("client_auth", &self.client_auth.is_some())
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

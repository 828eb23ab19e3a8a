//! [`ClientSession`] (aiohttp's `ClientSession`) and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use corio_tls::TlsConnector;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::Method;

use crate::pool::{Pool, PoolConfig};
use crate::proxy::Proxy;
use crate::request::RequestBuilder;
use crate::Error;

/// An HTTP client with a connection pool: make one, share it (it is a cheap `Clone`),
/// and send every request through it, like aiohttp's `ClientSession`.
///
/// - HTTP/1.1 and HTTP/2: `https://` negotiates with ALPN; plain `http://` is HTTP/1.1
///   unless [`http2_prior_knowledge`](ClientSessionBuilder::http2_prior_knowledge).
/// - A pool with keep-alive: a connection is reused once its response body was read;
///   limits on connections in total and per host; idle connections expire.
/// - Timeouts on corio's clock: connect (TCP + TLS) and total (the whole request,
///   redirects and body included).
/// - Redirects followed up to a limit, with loops detected.
/// - `gzip` and `deflate` bodies decoded; a body size limit.
/// - Proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` with
///   [`trust_env`](ClientSessionBuilder::trust_env), like aiohttp's `trust_env=True`.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), corio_http::Error> {
/// let session = corio_http::ClientSession::new();
/// let page = session.get("https://example.com/").await?.text().await?;
/// let created: serde_json::Value = session
///     .post("https://httpbin.org/post")
///     .json(&serde_json::json!({"name": "corio"}))
///     .send()
///     .await?
///     .error_for_status()?
///     .json()
///     .await?;
/// # drop((page, created)); Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientSession {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    pub(crate) config: Config,
    /// Offers `h2` and `http/1.1` (or only `http/1.1` when HTTP/1 only).
    pub(crate) tls: TlsConnector,
    pub(crate) proxy: Proxy,
}

#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) max_redirects: usize,
    pub(crate) follow_redirects: bool,
    pub(crate) max_body_size: Option<usize>,
    pub(crate) decompress: bool,
    pub(crate) headers: HeaderMap,
    pub(crate) h2_prior_knowledge: bool,
}

impl ClientSession {
    /// A session with the defaults: Mozilla roots, 300 s total timeout, 30 s connect
    /// timeout, 100 connections at most, no per-host limit, idle connections kept 15 s,
    /// 10 redirects, no body limit, gzip/deflate decoding on, no proxy.
    ///
    /// # Panics
    /// Never in practice (the default TLS configuration always builds).
    pub fn new() -> ClientSession {
        ClientSession::builder()
            .build()
            .expect("the default session configuration is valid")
    }

    /// A builder to change the defaults.
    pub fn builder() -> ClientSessionBuilder {
        ClientSessionBuilder::default()
    }

    /// A request with `method` to `url`; send it with `.send().await` or `.await`.
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, url)
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// `POST url`.
    pub fn post(&self, url: &str) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// `PUT url`.
    pub fn put(&self, url: &str) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// `PATCH url`.
    pub fn patch(&self, url: &str) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    /// `DELETE url`.
    pub fn delete(&self, url: &str) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// `HEAD url`.
    pub fn head(&self, url: &str) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// How many connections this session has opened (a measure of pool reuse).
    pub fn connections_opened(&self) -> u64 {
        self.inner.pool.connections_opened()
    }

    /// How many HTTP/1.1 connections are idle in the pool right now.
    pub fn idle_connections(&self) -> usize {
        self.inner.pool.idle_connections()
    }
}

impl Default for ClientSession {
    fn default() -> ClientSession {
        ClientSession::new()
    }
}

impl fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSession")
            .field("config", &self.inner.config)
            .field("pool", &self.inner.pool)
            .field("proxy", &self.inner.proxy)
            .finish()
    }
}

/// Builds a [`ClientSession`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let session = corio_http::ClientSession::builder()
///     .timeout(Duration::from_secs(30))
///     .connect_timeout(Duration::from_secs(5))
///     .limit_per_host(8)
///     .max_redirects(5)
///     .max_body_size(10 << 20)
///     .header("user-agent", "my-crawler/1.0")
///     .build()
///     .unwrap();
/// # drop(session);
/// ```
pub struct ClientSessionBuilder {
    config: Config,
    pool: PoolConfig,
    tls: Option<TlsConnector>,
    roots_pem: Vec<Vec<u8>>,
    http1_only: bool,
    proxy: Option<Proxy>,
    trust_env: bool,
    errors: Vec<Error>,
}

impl Default for ClientSessionBuilder {
    fn default() -> ClientSessionBuilder {
        let mut headers = HeaderMap::new();
        headers.insert(
            hyper::header::USER_AGENT,
            HeaderValue::from_static(concat!("corio-http/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(hyper::header::ACCEPT, HeaderValue::from_static("*/*"));
        ClientSessionBuilder {
            config: Config {
                timeout: Some(Duration::from_secs(300)),
                connect_timeout: Some(Duration::from_secs(30)),
                max_redirects: 10,
                follow_redirects: true,
                max_body_size: None,
                decompress: true,
                headers,
                h2_prior_knowledge: false,
            },
            pool: PoolConfig {
                limit: 100,
                limit_per_host: 0,
                idle_timeout: Duration::from_secs(15),
                max_idle_per_host: usize::MAX,
            },
            tls: None,
            roots_pem: Vec::new(),
            http1_only: false,
            proxy: None,
            trust_env: false,
            errors: Vec::new(),
        }
    }
}

impl ClientSessionBuilder {
    /// The total timeout of a request: connecting, sending, redirects and reading the
    /// body (aiohttp's `ClientTimeout(total=...)`; default 300 s).
    #[must_use = "builder methods return the builder"]
    pub fn timeout(mut self, total: Duration) -> Self {
        self.config.timeout = Some(total);
        self
    }

    /// No total timeout.
    #[must_use = "builder methods return the builder"]
    pub fn no_timeout(mut self) -> Self {
        self.config.timeout = None;
        self
    }

    /// The time allowed for making a connection: TCP, the proxy tunnel and the TLS
    /// handshake (aiohttp's `ClientTimeout(connect=...)`; default 30 s).
    #[must_use = "builder methods return the builder"]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = Some(timeout);
        self
    }

    /// Connections in use at once, all hosts together (aiohttp's `limit`; default 100;
    /// 0 for no limit). Requests beyond it wait for a connection.
    #[must_use = "builder methods return the builder"]
    pub fn limit(mut self, connections: usize) -> Self {
        self.pool.limit = connections;
        self
    }

    /// Connections per host (aiohttp's `limit_per_host`; default 0, no limit).
    #[must_use = "builder methods return the builder"]
    pub fn limit_per_host(mut self, connections: usize) -> Self {
        self.pool.limit_per_host = connections;
        self
    }

    /// How long an idle connection stays in the pool (aiohttp's `keepalive_timeout`;
    /// default 15 s).
    #[must_use = "builder methods return the builder"]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool.idle_timeout = timeout;
        self
    }

    /// Idle connections kept per host (default: no limit beyond the connection limits);
    /// 0 disables keep-alive reuse.
    #[must_use = "builder methods return the builder"]
    pub fn max_idle_per_host(mut self, connections: usize) -> Self {
        self.pool.max_idle_per_host = connections;
        self
    }

    /// Redirects followed per request (aiohttp's `max_redirects`; default 10).
    #[must_use = "builder methods return the builder"]
    pub fn max_redirects(mut self, limit: usize) -> Self {
        self.config.max_redirects = limit;
        self
    }

    /// Whether 301, 302, 303, 307 and 308 are followed (default `true`).
    #[must_use = "builder methods return the builder"]
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.config.follow_redirects = follow;
        self
    }

    /// The largest response body accepted, in bytes after decoding (default: no limit).
    /// A larger one fails with [`Error::BodyTooLarge`].
    #[must_use = "builder methods return the builder"]
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = Some(bytes);
        self
    }

    /// Whether `Accept-Encoding: gzip, deflate` is sent and such bodies decoded (aiohttp's
    /// `auto_decompress`; default `true`).
    #[must_use = "builder methods return the builder"]
    pub fn auto_decompress(mut self, on: bool) -> Self {
        self.config.decompress = on;
        self
    }

    /// A header sent with every request (replaces a default one of the same name).
    #[must_use = "builder methods return the builder"]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                self.config.headers.insert(n, v);
            }
            _ => self.errors.push(Error::InvalidRequest(format!(
                "invalid header {name:?}: {value:?}"
            ))),
        }
        self
    }

    /// Trusts the CA certificates in `pem` in addition to the Mozilla roots.
    #[must_use = "builder methods return the builder"]
    pub fn add_root_pem(mut self, pem: &[u8]) -> Self {
        self.roots_pem.push(pem.to_vec());
        self
    }

    /// A TLS connector configured elsewhere (roots, client certificate, handshake
    /// timeout). The session sets its ALPN protocols.
    #[must_use = "builder methods return the builder"]
    pub fn tls(mut self, connector: TlsConnector) -> Self {
        self.tls = Some(connector);
        self
    }

    /// Speak HTTP/1.1 only (no `h2` in ALPN).
    #[must_use = "builder methods return the builder"]
    pub fn http1_only(mut self) -> Self {
        self.http1_only = true;
        self
    }

    /// Speak HTTP/2 on plain `http://` connections without negotiating (prior knowledge,
    /// like `curl --http2-prior-knowledge`).
    #[must_use = "builder methods return the builder"]
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.config.h2_prior_knowledge = true;
        self
    }

    /// Read the proxy from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` when
    /// the session is built (aiohttp's `trust_env=True`; default `false`).
    #[must_use = "builder methods return the builder"]
    pub fn trust_env(mut self, trust: bool) -> Self {
        self.trust_env = trust;
        self
    }

    /// An explicit proxy configuration (overrides [`trust_env`](Self::trust_env)).
    #[must_use = "builder methods return the builder"]
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// The session.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad default header, [`Error::Tls`] for unusable
    /// root certificates, [`Error::Proxy`] for an unusable proxy variable.
    pub fn build(mut self) -> Result<ClientSession, Error> {
        if !self.errors.is_empty() {
            return Err(self.errors.swap_remove(0));
        }
        let tls_error = |source| Error::Tls {
            url: String::new(),
            source,
        };
        let connector = match self.tls {
            Some(c) => c,
            None => {
                let mut b = TlsConnector::builder().with_webpki_roots();
                for pem in &self.roots_pem {
                    b = b.add_root_pem(pem);
                }
                b.build().map_err(tls_error)?
            }
        };
        let alpn: &[&[u8]] = if self.http1_only {
            &[b"http/1.1"]
        } else {
            &[b"h2", b"http/1.1"]
        };
        let proxy = match (self.proxy, self.trust_env) {
            (Some(p), _) => p,
            (None, true) => Proxy::from_env()?,
            (None, false) => Proxy::none(),
        };
        if self.config.decompress {
            self.config.headers.insert(
                hyper::header::ACCEPT_ENCODING,
                HeaderValue::from_static("gzip, deflate"),
            );
        }
        Ok(ClientSession {
            inner: Arc::new(Inner {
                pool: Pool::new(self.pool),
                config: self.config,
                tls: connector.with_alpn(alpn),
                proxy,
            }),
        })
    }
}

impl fmt::Debug for ClientSessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSessionBuilder")
            .field("config", &self.config)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

//! [`RequestBuilder`]: one request (headers, body, timeout), sent with redirects and a
//! retry on a stale pooled connection.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::header::{HeaderMap, HeaderName, HeaderValue, HOST, LOCATION};
use hyper::{Method, StatusCode, Uri};
use serde::Serialize;

use crate::body::Body;
use crate::connect::{self, Plan};
use crate::pool::{Checkout, Fresh, PoolKey};
use crate::response::{BodyOptions, Response};
use crate::session::ClientSession;
use crate::url::{Scheme, Target};
use crate::Error;

/// A request being built; send it with [`send`](Self::send) or by awaiting it.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(session: corio_http::ClientSession) -> Result<(), corio_http::Error> {
/// use std::time::Duration;
///
/// let response = session
///     .post("https://example.com/api")
///     .header("x-request-id", "42")
///     .json(&serde_json::json!({"q": "corio"}))
///     .timeout(Duration::from_secs(5))
///     .await?;
/// println!("{}", response.status());
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent (.send().await or .await)"]
pub struct RequestBuilder {
    session: ClientSession,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Body,
    timeout: Option<Option<Duration>>,
    max_body_size: Option<usize>,
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(session: ClientSession, method: Method, url: &str) -> RequestBuilder {
        RequestBuilder {
            session,
            method,
            url: url.to_owned(),
            headers: HeaderMap::new(),
            body: Body::empty(),
            timeout: None,
            max_body_size: None,
            error: None,
        }
    }

    /// Adds a header (several with the same name are all sent).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.append(n, v);
            }
            _ => {
                self.error.get_or_insert(Error::InvalidRequest(format!(
                    "invalid header {name:?}: {value:?}"
                )));
            }
        }
        self
    }

    /// The request body (bytes, a `String`, a `&'static str` or [`Body::wrap_stream`]).
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// `value` serialized as the JSON body, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                self.body = Body::from(bytes);
                self.headers.insert(
                    hyper::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            Err(e) => {
                self.error.get_or_insert(Error::InvalidRequest(format!(
                    "the JSON body cannot be serialized: {e}"
                )));
            }
        }
        self
    }

    /// This request's total timeout, instead of the session's.
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeout = Some(Some(total));
        self
    }

    /// This request's body size limit, instead of the session's.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// Sends the request; resolves when the response head has arrived.
    ///
    /// # Errors
    /// Any [`Error`] but the body ones; see each variant.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the request; a connection it was using is dropped,
    /// not returned to the pool.
    pub async fn send(self) -> Result<Response, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let session = self.session.clone();
        let config = &session.inner.config;
        let total = self.timeout.unwrap_or(config.timeout);
        let deadline = total.map(|t| (corio::time::Instant::now() + t, t));
        let exchange = Exchange {
            session: &session,
            method: self.method,
            url: self.url.clone(),
            headers: self.headers,
            options_limit: self.max_body_size.or(config.max_body_size),
            deadline,
        };
        match deadline {
            Some((at, t)) => match corio::time::timeout_at(at, exchange.run(self.body)).await {
                Ok(result) => result,
                Err(_) => Err(Error::Timeout {
                    url: self.url,
                    timeout: t,
                }),
            },
            None => exchange.run(self.body).await,
        }
    }
}

impl IntoFuture for RequestBuilder {
    type Output = Result<Response, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// One request with its redirects.
struct Exchange<'a> {
    session: &'a ClientSession,
    method: Method,
    url: String,
    headers: HeaderMap,
    options_limit: Option<usize>,
    deadline: Option<(corio::time::Instant, Duration)>,
}

impl Exchange<'_> {
    async fn run(mut self, mut body: Body) -> Result<Response, Error> {
        let config = &self.session.inner.config;
        let mut visited: Vec<(Method, String)> = Vec::new();
        let mut url = self.url.clone();
        loop {
            let target = Target::parse(&url)?;
            let replay = body.try_clone();
            let response = self
                .send_one(
                    &target,
                    std::mem::take(&mut body),
                    replay.as_ref().and_then(Body::try_clone),
                )
                .await?;
            let status = response.status();
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let redirect = matches!(
                status,
                StatusCode::MOVED_PERMANENTLY
                    | StatusCode::FOUND
                    | StatusCode::SEE_OTHER
                    | StatusCode::TEMPORARY_REDIRECT
                    | StatusCode::PERMANENT_REDIRECT
            );
            let (true, true, Some(location)) = (config.follow_redirects, redirect, location) else {
                return Ok(response);
            };
            // 307/308 resend the same body: impossible for a streamed one.
            let keeps_method = matches!(
                status,
                StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
            );
            let next_body = if keeps_method {
                match replay {
                    Some(b) => b,
                    None => return Ok(response),
                }
            } else {
                Body::empty()
            };
            let next = target.resolve(&location);
            visited.push((self.method.clone(), target.url.clone()));
            if !keeps_method && self.method != Method::HEAD {
                self.method = Method::GET;
                self.headers.remove(hyper::header::CONTENT_TYPE);
                self.headers.remove(hyper::header::CONTENT_LENGTH);
            }
            let next_target = Target::parse(&next)?;
            if visited
                .iter()
                .any(|(m, u)| *m == self.method && *u == next_target.url)
            {
                return Err(Error::RedirectLoop {
                    url: next_target.url,
                });
            }
            if visited.len() > config.max_redirects {
                return Err(Error::TooManyRedirects {
                    url: next_target.url,
                    limit: config.max_redirects,
                });
            }
            // Credentials are not sent to another host.
            if next_target.host != target.host || next_target.port != target.port {
                self.headers.remove(hyper::header::AUTHORIZATION);
                self.headers.remove(hyper::header::COOKIE);
            }
            // Give the connection back if the redirect's body is small.
            response.drain(64 * 1024).await;
            body = next_body;
            url = next;
        }
    }

    /// Sends once; retries once on a fresh connection when a pooled one turns out to be
    /// closed by the server before it answered (a keep-alive race).
    async fn send_one(
        &self,
        target: &Target,
        body: Body,
        replay: Option<Body>,
    ) -> Result<Response, Error> {
        let inner = &self.session.inner;
        let proxy = inner.proxy.route(target);
        let key = PoolKey {
            https: target.scheme == Scheme::Https,
            host: target.host.clone(),
            port: target.port,
            proxy: proxy.map(|p| p.addr()),
        };
        // Plain http:// through a proxy: one connection to the proxy serves every host.
        let key = match (target.scheme, proxy) {
            (Scheme::Http, Some(p)) => PoolKey {
                https: false,
                host: String::new(),
                port: 0,
                proxy: Some(p.addr()),
            },
            _ => key,
        };
        let idempotent = matches!(
            self.method,
            Method::GET
                | Method::HEAD
                | Method::PUT
                | Method::DELETE
                | Method::OPTIONS
                | Method::TRACE
        );
        let mut body = Some(body);
        let mut attempt = 0;
        loop {
            let slot: connect::PermitSlot = Arc::new(Mutex::new(None));
            let connect_slot = slot.clone();
            let connect = || async {
                let plan = Plan {
                    target,
                    proxy,
                    tls: &inner.tls,
                    h2_prior_knowledge: inner.config.h2_prior_knowledge,
                };
                let making = connect::connect(plan, connect_slot);
                let fresh: Fresh = match inner.config.connect_timeout {
                    Some(t) => corio::time::timeout(t, making).await.map_err(|_| {
                        Error::ConnectTimeout {
                            url: target.url.clone(),
                            timeout: t,
                        }
                    })??,
                    None => making.await?,
                };
                let keep: Box<dyn FnOnce(_) + Send> = Box::new(move |permits| {
                    *slot.lock().unwrap() =
                        Some(Box::new(permits) as Box<dyn std::any::Any + Send>);
                });
                Ok((fresh, keep))
            };
            let checkout = inner.pool.checkout(&key, connect).await?;
            // The first attempt sends the body; a retry happens only with a replayable one.
            let request_body = match body.take() {
                Some(b) => b,
                None => replay
                    .as_ref()
                    .and_then(Body::try_clone)
                    .unwrap_or_default(),
            };
            let can_retry = attempt == 0 && replay.is_some();
            attempt += 1;
            match checkout {
                Checkout::H1(mut lease) => {
                    let via_http_proxy = target.scheme == Scheme::Http && proxy.is_some();
                    let request = self.build(target, request_body, false, via_http_proxy, proxy)?;
                    match lease.sender.try_send_request(request).await {
                        Ok(response) => {
                            return Response::new(
                                response,
                                target.url.clone(),
                                Some(lease),
                                self.body_options(),
                            )
                        }
                        Err(mut e) => {
                            let unsent = e.take_message().is_some();
                            let err = e.into_error();
                            let stale = lease.reused
                                && can_retry
                                && (unsent
                                    || (idempotent && crate::error::is_connection_lost(&err)));
                            if !stale {
                                return Err(Error::from_hyper(&target.url, err));
                            }
                        }
                    }
                }
                Checkout::H2 { mut sender, reused } => {
                    let request = self.build(target, request_body, true, false, proxy)?;
                    match sender.try_send_request(request).await {
                        Ok(response) => {
                            return Response::new(
                                response,
                                target.url.clone(),
                                None,
                                self.body_options(),
                            )
                        }
                        Err(mut e) => {
                            let unsent = e.take_message().is_some();
                            let err = e.into_error();
                            if !(reused && can_retry && unsent) {
                                return Err(Error::from_hyper(&target.url, err));
                            }
                        }
                    }
                }
            }
        }
    }

    fn body_options(&self) -> BodyOptions {
        BodyOptions {
            limit: self.options_limit,
            decompress: self.session.inner.config.decompress,
            deadline: self.deadline,
        }
    }

    fn build(
        &self,
        target: &Target,
        body: Body,
        h2: bool,
        absolute_form: bool,
        proxy: Option<&crate::proxy::ProxyUrl>,
    ) -> Result<hyper::Request<Body>, Error> {
        let uri: Uri = if h2 || absolute_form {
            target.url.parse()
        } else {
            target.path_and_query.parse()
        }
        .map_err(|e| Error::InvalidUrl {
            url: target.url.clone(),
            reason: format!("{e}"),
        })?;
        let mut request = hyper::Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        if h2 {
            *request.version_mut() = hyper::Version::HTTP_2;
        }
        let headers = request.headers_mut();
        for (name, value) in &self.session.inner.config.headers {
            headers.insert(name, value.clone());
        }
        for name in self.headers.keys() {
            headers.remove(name);
        }
        for (name, value) in &self.headers {
            headers.append(name, value.clone());
        }
        if !h2 && !headers.contains_key(HOST) {
            let host = HeaderValue::from_str(&target.authority).map_err(|_| Error::InvalidUrl {
                url: target.url.clone(),
                reason: "the host is not a valid Host header".into(),
            })?;
            headers.insert(HOST, host);
        }
        if absolute_form {
            if let Some(auth) = proxy.and_then(|p| p.authorization.as_deref()) {
                if let Ok(v) = HeaderValue::from_str(auth) {
                    headers.insert(hyper::header::PROXY_AUTHORIZATION, v);
                }
            }
        }
        Ok(request)
    }
}

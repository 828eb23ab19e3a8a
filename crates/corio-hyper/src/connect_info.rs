//! [`ConnectInfo`]: the peer address of the connection a request came in on.

use std::net::SocketAddr;

/// The address of the client whose connection carried a request: [`serve`](crate::serve)
/// stores one in every request's extensions when asked to with
/// [`Serve::with_connect_info`](crate::Serve::with_connect_info), like axum's
/// `ConnectInfo<SocketAddr>` with `into_make_service_with_connect_info` (which exists only
/// under axum's `tokio` feature).
///
/// Read it with `req.extensions().get::<ConnectInfo<SocketAddr>>()` in any service; with
/// this crate's `axum` feature it is also an axum extractor (a handler argument
/// `ConnectInfo(peer): ConnectInfo<SocketAddr>`).
///
/// # Examples
///
/// ```
/// use corio_hyper::ConnectInfo;
/// use std::net::SocketAddr;
///
/// let mut req = http::Request::new(());
/// req.extensions_mut().insert(ConnectInfo("127.0.0.1:4000".parse::<SocketAddr>().unwrap()));
/// let ConnectInfo(peer) = *req.extensions().get::<ConnectInfo<SocketAddr>>().unwrap();
/// assert_eq!(peer.port(), 4000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnectInfo<T = SocketAddr>(pub T);

#[cfg(feature = "axum")]
mod axum_extractor {
    use super::ConnectInfo;
    use axum_core::extract::FromRequestParts;
    use http::request::Parts;
    use http::StatusCode;

    /// Without [`Serve::with_connect_info`](crate::Serve::with_connect_info) (or another
    /// server that stores it) there is no address to extract: a 500 that says so, as
    /// axum's own extractor does.
    impl<S, T> FromRequestParts<S> for ConnectInfo<T>
    where
        S: Send + Sync,
        T: Clone + Send + Sync + 'static,
    {
        type Rejection = (StatusCode, &'static str);

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            parts.extensions.get::<ConnectInfo<T>>().cloned().ok_or((
                StatusCode::INTERNAL_SERVER_ERROR,
                "ConnectInfo missing: serve the app with corio_hyper::serve(..).with_connect_info()",
            ))
        }
    }
}

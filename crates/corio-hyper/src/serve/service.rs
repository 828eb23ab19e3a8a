//! The per-connection hyper `Service` that [`serve`](crate::serve) hands to hyper: it
//! wraps the user's tower service, rejects a declared oversized body with 413 before the
//! service sees it, caps the body that streams in, and stores [`ConnectInfo`].
//!
//! # Invariants
//! 1. The tower service is cloned for every request and driven through `poll_ready`
//!    before `call` (tower's contract); the clone is dropped once `call` returned, so a
//!    slow response does not hold readiness another request needs. `poll_ready` is first
//!    asked with a no-op waker when hyper hands the request over: a service that is ready
//!    (axum's `Router` always is) is called at once, so the request is not moved into the
//!    response future and out again; one that is not is asked again, with the task's
//!    waker, on the response future's first poll, and called when it is ready.
//! 2. A request whose `Content-Length` exceeds the limit never reaches the service: it
//!    is answered 413 at once, and hyper closes the connection instead of reading the
//!    unread body.
//! 3. Every other request body is a [`Body`] (`Limited<Incoming>`): reading past the
//!    limit fails with `http_body_util::LengthLimitError`, which axum's body extractors
//!    turn into 413.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use http::{header, Request, Response, StatusCode};
use http_body_util::{Either, Empty, Limited};
use hyper::body::Incoming;
use pin_project_lite::pin_project;

use crate::ConnectInfo;

/// The request body a service run by [`serve`](crate::serve) receives: hyper's
/// `Incoming`, capped at [`Serve::max_body_size`](crate::Serve::max_body_size).
pub type Body = Limited<Incoming>;

/// hyper's boxed error type.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One connection's service.
#[derive(Clone, Debug)]
pub(crate) struct ConnService<S> {
    pub(crate) svc: S,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) max_body: usize,
}

impl<S, B> hyper::service::Service<Request<Incoming>> for ConnService<S>
where
    S: tower_service::Service<Request<Body>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
    B: http_body::Body,
{
    type Response = Response<Either<B, Empty<B::Data>>>;
    type Error = BoxError;
    type Future = ResponseFuture<S, B>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_body as u64) {
            let mut res = Response::new(Either::Right(Empty::new()));
            *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            res.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            return ResponseFuture {
                state: State::Ready { res: Some(res) },
            };
        }
        if let Some(peer) = self.peer {
            req.extensions_mut().insert(ConnectInfo(peer));
        }
        let max = self.max_body;
        let req = req.map(|b| Limited::new(b, max));
        let mut svc = self.svc.clone();
        // Invariant 1: a ready service is called now; otherwise the first poll asks again.
        let state = match svc.poll_ready(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => State::Called { fut: svc.call(req) },
            Poll::Ready(Err(err)) => State::Failed {
                err: Some(err.into()),
            },
            Poll::Pending => State::NotReady {
                svc: Some(svc),
                req: Some(req),
            },
        };
        ResponseFuture { state }
    }
}

pin_project! {
    /// The response future of one request (see the module invariants).
    #[project = StateProj]
    enum State<S, R, F> {
        Ready { res: Option<R> },
        Failed { err: Option<BoxError> },
        NotReady { svc: Option<S>, req: Option<Request<Body>> },
        Called { #[pin] fut: F },
    }
}

pin_project! {
    /// The future [`ConnService`] returns.
    pub(crate) struct ResponseFuture<S, B>
    where
        S: tower_service::Service<Request<Body>>,
        B: http_body::Body,
    {
        #[pin]
        state: State<S, Response<Either<B, Empty<B::Data>>>, S::Future>,
    }
}

impl<S, B> Future for ResponseFuture<S, B>
where
    S: tower_service::Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body,
{
    type Output = Result<Response<Either<B, Empty<B::Data>>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Ready { res } => {
                    let res = res.take().expect("ResponseFuture polled after completion");
                    return Poll::Ready(Ok(res));
                }
                StateProj::Failed { err } => {
                    let err = err.take().expect("ResponseFuture polled after completion");
                    return Poll::Ready(Err(err));
                }
                StateProj::NotReady { svc, req } => {
                    let s = svc
                        .as_mut()
                        .expect("ResponseFuture polled after completion");
                    ready!(s.poll_ready(cx)).map_err(Into::into)?;
                    let mut s = svc.take().expect("checked just above");
                    let req = req.take().expect("taken only with svc");
                    let fut = s.call(req);
                    state.set(State::Called { fut });
                }
                StateProj::Called { fut } => {
                    let res = ready!(fut.poll(cx)).map_err(Into::into)?;
                    return Poll::Ready(Ok(res.map(Either::Left)));
                }
            }
        }
    }
}

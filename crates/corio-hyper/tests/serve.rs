//! `corio_hyper::serve` with an axum `Router` (axum's tokio feature off): both
//! protocols on one port, peer addresses, limits, graceful drain and its deadline, and
//! which connection errors reach the error hook.

mod support;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Extension, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use corio_hyper::ConnectInfo;
use futures::channel::oneshot;
use futures::{AsyncReadExt, AsyncWriteExt};
use support::{connect_h1, connect_h2, get as get_path};

/// Sends `request` on a fresh connection and reads until the server closes it.
async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    // A server that closes with unread request bytes may reset: keep what arrived.
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Starts `serve` for `app`, returning its address, the stop trigger and the join handle.
async fn start(
    app: Router,
    tune: impl FnOnce(corio_hyper::Serve<Router>) -> corio_hyper::Serve<Router>,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    corio::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = corio::spawn(
        tune(corio_hyper::serve(listener, app))
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .into_future(),
    );
    (addr, stop, server)
}

async fn peer(Extension(ConnectInfo(peer)): Extension<ConnectInfo<SocketAddr>>) -> String {
    peer.to_string()
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Item {
    name: String,
    qty: u32,
}

/// `ConnectInfo` is opt-in, as axum's `into_make_service_with_connect_info`: without
/// `with_connect_info` a handler that asks for it gets a 500 saying what to do.
#[corio::test(start_paused = false)]
async fn peer_address_is_absent_unless_asked_for() {
    let app = Router::new().route("/peer", get(peer));
    let (addr, stop, server) = start(app, |s| s).await;
    let out = raw(
        addr,
        b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(
        out.starts_with("HTTP/1.1 500 Internal Server Error"),
        "{out}"
    );
    assert!(out.contains("ConnectInfo"), "{out}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[corio::test(start_paused = false)]
async fn http1_and_http2_on_one_port_with_peer_addresses() {
    let app = Router::new().route("/peer", get(peer)).route(
        "/double",
        post(|Json(i): Json<Item>| async move {
            Json(Item {
                name: i.name,
                qty: i.qty * 2,
            })
        }),
    );
    let (addr, stop, server) = start(app, |s| s.with_connect_info()).await;

    let mut h1 = connect_h1(addr).await;
    let mut h2 = connect_h2(addr).await;
    let p1: SocketAddr = get_path(&mut h1, "/peer").await.parse().unwrap();
    let p2: SocketAddr = get_path(&mut h2, "/peer").await.parse().unwrap();
    assert_eq!(p1.ip(), addr.ip());
    assert_ne!(p1.port(), p2.port(), "two connections, two peer ports");

    let out = raw(
        addr,
        b"POST /double HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
          content-length: 24\r\nconnection: close\r\n\r\n{\"name\":\"bolt\",\"qty\":21}",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with(r#"{"name":"bolt","qty":42}"#), "{out}");

    drop((h1, h2));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[corio::test(start_paused = false)]
async fn graceful_shutdown_refuses_new_clients_and_finishes_in_flight_requests() {
    let release = Arc::new(Event::new());
    let entered = Arc::new(Event::new());
    let app = Router::new()
        .route(
            "/slow",
            get(
                |State((entered, release)): State<(Arc<Event>, Arc<Event>)>| async move {
                    entered.set();
                    release.wait().await;
                    "finished"
                },
            ),
        )
        .with_state((entered.clone(), release.clone()));
    let (addr, stop, server) = start(app, |s| s).await;

    let in_flight = corio::spawn(raw(addr, b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n"));
    entered.wait().await;
    stop.send(()).unwrap();
    // The listener closes: new clients are refused (invariant 3).
    let mut refused = false;
    for _ in 0..1000 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        corio::yield_now().await;
    }
    assert!(
        refused,
        "the listener still accepts after the shutdown signal"
    );
    assert!(
        !server.is_finished(),
        "the server ended with a request in flight"
    );
    release.set();
    // The in-flight keep-alive request completes, then its connection is closed.
    let out = in_flight.await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with("finished"), "{out}");
    server.await.unwrap().unwrap();
}

#[test]
fn the_drain_deadline_drops_connections_that_do_not_finish() {
    // Real clock: the deadline races real socket I/O, so a paused clock's auto-advance
    // would fire it before the request even arrived.
    corio::run(async {
        let entered = Arc::new(Event::new());
        let e2 = entered.clone();
        let app = Router::new().route(
            "/stuck",
            get(move || async move {
                e2.set();
                std::future::pending::<()>().await;
            }),
        );
        let (addr, stop, server) = start(app, |s| s.drain_timeout(Duration::from_millis(50))).await;
        let stuck = corio::spawn(raw(addr, b"GET /stuck HTTP/1.1\r\nhost: x\r\n\r\n"));
        entered.wait().await;
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        // The connection was dropped without a response.
        assert_eq!(stuck.await.unwrap(), "");
    });
}

#[test]
fn the_connection_limit_holds_further_clients_in_the_backlog() {
    corio::run(async {
        let app = Router::new().route("/", get(|| async { "ok" }));
        let (addr, stop, server) = start(app, |s| s.max_connections(1)).await;
        let mut first = connect_h1(addr).await;
        assert_eq!(get_path(&mut first, "/").await, "ok");
        // The second client connects (the kernel's backlog) but is not served...
        let second = corio::spawn(raw(
            addr,
            b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        ));
        corio::sleep(Duration::from_millis(100)).await;
        assert!(!second.is_finished(), "served past the connection limit");
        // ...until the first one closes.
        drop(first);
        let out = second.await.unwrap();
        assert!(
            out.starts_with("HTTP/1.1 200 OK") && out.ends_with("ok"),
            "{out}"
        );
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    });
}

#[test]
fn a_silent_client_is_cut_off_by_the_header_read_timeout_without_a_log_line() {
    corio::run(async {
        let logged = Arc::new(AtomicUsize::new(0));
        let l2 = logged.clone();
        let app = Router::new().route("/", get(|| async { "ok" }));
        let (addr, stop, server) = start(app, move |s| {
            s.header_read_timeout(Duration::from_millis(50))
                .on_connection_error(move |_, _| {
                    l2.fetch_add(1, Ordering::SeqCst);
                })
        })
        .await;
        // Half a request head, then silence: the server closes the connection.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nhost:").await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("200 OK"), "{text}");
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert_eq!(logged.load(Ordering::SeqCst), 0);
    });
}

#[corio::test(start_paused = false)]
async fn oversized_headers_get_431_and_oversized_bodies_get_413() {
    let app = Router::new().route(
        "/",
        post(|body: axum::body::Bytes| async move { body.len().to_string() }),
    );
    let (addr, stop, server) =
        start(app, |s| s.max_header_size(8 * 1024).max_body_size(1000)).await;

    let big_header = format!(
        "GET / HTTP/1.1\r\nhost: x\r\nx-pad: {}\r\n\r\n",
        "a".repeat(16 * 1024)
    );
    let out = raw(addr, big_header.as_bytes()).await;
    assert!(out.starts_with("HTTP/1.1 431"), "{out}");

    // Declared too large: 413 before the handler runs.
    let out = raw(
        addr,
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");

    // Chunked past the limit: the body stream fails, axum answers 413.
    let mut chunked =
        b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            .to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'z'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let out = raw(addr, &chunked).await;
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");

    // Within the limits: served.
    let out = raw(
        addr,
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
    )
    .await;
    assert!(
        out.starts_with("HTTP/1.1 200") && out.ends_with("\r\n\r\n5"),
        "{out}"
    );

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// A tower service that fails every request: the error is the server's concern.
#[derive(Clone)]
struct Failing;

impl tower_service::Service<http::Request<corio_hyper::Body>> for Failing {
    type Response = http::Response<String>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: http::Request<corio_hyper::Body>) -> Self::Future {
        std::future::ready(Err(std::io::Error::other("database on fire")))
    }
}

/// Serves `svc` with an error hook that records each error with its source chain (hyper
/// wraps the service's error), sends one request, stops, and returns what the hook saw.
async fn errors_seen_serving<S>(svc: S) -> Vec<String>
where
    S: tower_service::Service<
            http::Request<corio_hyper::Body>,
            Response = http::Response<String>,
            Error = std::io::Error,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let errors = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let e2 = errors.clone();
    let server = corio::spawn(
        corio_hyper::serve(listener, svc)
            .on_connection_error(move |_, e| {
                let mut chain = e.to_string();
                let mut cause = e.source();
                while let Some(c) = cause {
                    chain += &format!(": {c}");
                    cause = c.source();
                }
                e2.lock().unwrap().push(chain)
            })
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let out = raw(addr, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(!out.contains("200 OK"), "{out}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    let seen = errors.lock().unwrap().clone();
    seen
}

#[corio::test(start_paused = false)]
async fn a_service_error_reaches_the_error_hook() {
    let errors = errors_seen_serving(Failing).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("database on fire"), "{errors:?}");
}

#[corio::test(start_paused = false)]
async fn a_client_that_resets_mid_response_is_not_logged() {
    let logged = Arc::new(AtomicUsize::new(0));
    let l2 = logged.clone();
    let body = "x".repeat(4 << 20);
    let app = Router::new().route(
        "/big",
        get(move || {
            let b = body.clone();
            async move { b }
        }),
    );
    let (addr, stop, server) = start(app, move |s| {
        s.on_connection_error(move |_, _| {
            l2.fetch_add(1, Ordering::SeqCst);
        })
    })
    .await;
    for _ in 0..20 {
        // A blocking connect to a listening loopback socket completes from the backlog.
        let s = std::net::TcpStream::connect(addr).unwrap();
        socket2::SockRef::from(&s)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        s.set_nonblocking(true).unwrap();
        let mut s = TcpStream::from_std(s).unwrap();
        s.write_all(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 1];
        s.read_exact(&mut first).await.unwrap();
        drop(s); // SO_LINGER 0: an RST, with most of the body unsent
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(logged.load(Ordering::SeqCst), 0);
}

/// A service that is not ready until its gate opens, counting `poll_ready` calls.
#[derive(Clone)]
struct Gated {
    open: Arc<std::sync::atomic::AtomicBool>,
    waker: Arc<futures::task::AtomicWaker>,
    polls: Arc<AtomicUsize>,
    fail: bool,
}

impl tower_service::Service<http::Request<corio_hyper::Body>> for Gated {
    type Response = http::Response<String>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self.fail {
            return Poll::Ready(Err(std::io::Error::other("backend unavailable")));
        }
        self.waker.register(cx.waker());
        if self.open.load(Ordering::SeqCst) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
    fn call(&mut self, _: http::Request<corio_hyper::Body>) -> Self::Future {
        assert!(
            self.open.load(Ordering::SeqCst),
            "called before it was ready"
        );
        std::future::ready(Ok(http::Response::new("through the gate".to_string())))
    }
}

fn gated(fail: bool) -> Gated {
    Gated {
        open: Arc::new(false.into()),
        waker: Arc::default(),
        polls: Arc::default(),
        fail,
    }
}

/// Invariant 1 of the per-request service: a service that is not ready when the request
/// arrives is asked again with the connection task's waker, and called once it wakes it.
#[corio::test(start_paused = false)]
async fn a_service_that_becomes_ready_later_is_called_then() {
    let svc = gated(false);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = corio::spawn(corio_hyper::serve(listener, svc.clone()).into_future());
    let client = corio::spawn(raw(
        addr,
        b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    ));
    // The no-op-waker check when the request arrives, then the first poll's real one.
    let waited = corio::timeout(Duration::from_secs(10), async {
        while svc.polls.load(Ordering::SeqCst) < 2 {
            corio::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "poll_ready was not asked twice");
    assert!(
        !client.is_finished(),
        "answered before the service was ready"
    );
    svc.open.store(true, Ordering::SeqCst);
    svc.waker.wake();
    let out = corio::timeout(Duration::from_secs(10), client)
        .await
        .expect("the woken service was never called")
        .unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with("through the gate"), "{out}");
    server.abort();
}

/// A `poll_ready` error fails that request's connection and reaches the error hook; the
/// service is never called.
#[corio::test(start_paused = false)]
async fn a_poll_ready_error_reaches_the_error_hook() {
    let errors = errors_seen_serving(gated(true)).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("backend unavailable"), "{errors:?}");
}

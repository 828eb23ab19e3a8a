//! Misbehaving servers (small hand-written raw-TCP ones, and `openssl s_server` for a real
//! peer's TLS alert): each gives a clear error naming the cause, the connection is
//! discarded from the pool, nothing hangs past the timeout.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use corio_http::{ClientSession, Error};
use corio_tls::rustls::AlertDescription;
use corio_tls::testing::TestCa;
use corio_tls::TlsAcceptor;
use futures::io::AsyncWriteExt;
use futures::StreamExt;
use support::{raw_server, read_head};

/// A raw server that answers every request on a connection with `response`, keeping
/// the connection open.
async fn answering(
    response: &'static [u8],
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    raw_server(move |mut tcp| async move {
        while read_head(&mut tcp).await.is_some() {
            if tcp.write_all(response).await.is_err() {
                return;
            }
        }
    })
    .await
}

/// After a failure the next request to the same server needs a new connection: the
/// broken one was not pooled.
async fn assert_discarded(
    session: &ClientSession,
    addr: std::net::SocketAddr,
    accepted: &std::sync::atomic::AtomicUsize,
) {
    assert_eq!(
        session.idle_connections(),
        0,
        "the failed connection is not idle in the pool"
    );
    let before = accepted.load(Ordering::SeqCst);
    let _ = session
        .get(&format!("http://{addr}/again"))
        .await
        .map(|_| ());
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        before + 1,
        "a new connection was made"
    );
}

/// `err` is the TLS alert `alert` received from the peer, and says so.
fn assert_peer_alert(err: &Error, alert: AlertDescription) {
    match err {
        Error::Tls {
            source: corio_tls::TlsError::AlertReceived(got),
            ..
        } => assert_eq!(*got, alert),
        other => panic!("not the peer's alert: {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&format!("fatal alert: {alert:?}")), "{msg}");
}

#[corio::test(start_paused = false)]
async fn malformed_status_line() {
    let (addr, accepted) = answering(b"HTTX/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n").await;
    let session = ClientSession::new();
    let err = session.get(&format!("http://{addr}/")).await.unwrap_err();
    assert!(matches!(err, Error::MalformedResponse { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("malformed HTTP response"), "{msg}");
    assert!(msg.contains(&addr.to_string()), "{msg}");
    assert_discarded(&session, addr, &accepted).await;
}

#[corio::test(start_paused = false)]
async fn truncated_chunked_body() {
    let (addr, accepted) = raw_server(|mut tcp| async move {
        if read_head(&mut tcp).await.is_some() {
            // One whole chunk, then half of the next, then the connection closes.
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nhalf")
                .await;
        }
    })
    .await;
    let session = ClientSession::new();
    let response = session.get(&format!("http://{addr}/")).await.unwrap();
    let err = response.bytes().await.unwrap_err();
    assert!(matches!(err, Error::TruncatedBody { .. }), "{err:?}");
    assert!(err.to_string().contains("truncated response body"), "{err}");
    // The stream API hands out what arrived, then the error as the last item.
    let mut stream = session
        .get(&format!("http://{addr}/"))
        .await
        .unwrap()
        .bytes_stream();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    assert_eq!(items.first().unwrap().as_ref().unwrap(), "hello");
    assert!(matches!(
        items.last().unwrap(),
        Err(Error::TruncatedBody { .. })
    ));
    assert_discarded(&session, addr, &accepted).await;
}

#[corio::test(start_paused = false)]
async fn undecodable_compressed_body() {
    // A gzip body with a reserved deflate block type after its header fails while it
    // is fed; a one-byte deflate body fails when the stream ends. Both name the
    // encoding and the URL.
    for (response, encoding, cause) in [
        (
            &b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 14\r\n\r\n\x1f\x8b\x08\0\0\0\0\0\0\x03\xff\xff\xff\xff"[..],
            "gzip",
            "corrupt deflate stream",
        ),
        (
            &b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 1\r\n\r\nx"[..],
            "deflate",
            "ends early",
        ),
    ] {
        let (addr, _) = answering(response).await;
        let session = ClientSession::new();
        let url = format!("http://{addr}/");
        let err = session.get(&url).await.unwrap().bytes().await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { url: u, encoding: e, .. } if *u == url && *e == encoding),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(
                "cannot decode the {encoding} response body from {url}"
            )),
            "{msg}"
        );
        assert!(msg.contains(cause), "{msg}");
    }
}

#[corio::test(start_paused = false)]
async fn body_over_the_limit() {
    // Announced by Content-Length: refused before reading.
    let (addr, accepted) = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n").await;
    let session = ClientSession::builder()
        .max_body_size(1000)
        .build()
        .unwrap();
    let err = session.get(&format!("http://{addr}/")).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("larger than the limit of 1000 bytes"),
        "{err}"
    );
    assert_discarded(&session, addr, &accepted).await;

    // Chunked, with no length announced: stopped when the limit is crossed.
    let (addr, accepted) = raw_server(|mut tcp| async move {
        while read_head(&mut tcp).await.is_some() {
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await;
            for _ in 0..100 {
                if tcp.write_all(b"64\r\n").await.is_err()
                    || tcp.write_all(&[b'x'; 100]).await.is_err()
                    || tcp.write_all(b"\r\n").await.is_err()
                {
                    return;
                }
            }
            let _ = tcp.write_all(b"0\r\n\r\n").await;
        }
    })
    .await;
    let response = session.get(&format!("http://{addr}/")).await.unwrap();
    let err = response.text().await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
    assert_discarded(&session, addr, &accepted).await;
    // A per-request limit overrides the session's: the whole 10 000 bytes.
    let body = session
        .get(&format!("http://{addr}/"))
        .max_body_size(20_000)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 10_000);
}

#[corio::test(start_paused = false)]
async fn redirect_loop_and_too_many_redirects() {
    let (addr, _) =
        answering(b"HTTP/1.1 302 Found\r\nLocation: /same\r\nContent-Length: 0\r\n\r\n").await;
    let session = ClientSession::new();
    let err = session
        .get(&format!("http://{addr}/same"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RedirectLoop { .. }), "{err:?}");
    assert!(err.to_string().contains("redirect loop"), "{err}");

    // An endless chain of distinct URLs: stopped at the limit.
    let (addr, _) = raw_server(|mut tcp| async move {
        while let Some(head) = read_head(&mut tcp).await {
            let n: u64 = head
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.trim_start_matches('/').parse().ok())
                .unwrap_or(0);
            let resp = format!(
                "HTTP/1.1 301 Moved\r\nLocation: /{}\r\nContent-Length: 0\r\n\r\n",
                n + 1
            );
            if tcp.write_all(resp.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let session = ClientSession::builder().max_redirects(5).build().unwrap();
    let err = session.get(&format!("http://{addr}/0")).await.unwrap_err();
    assert!(
        matches!(err, Error::TooManyRedirects { limit: 5, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("too many redirects"), "{err}");
    // The redirect responses' empty bodies were drained: one connection served all.
    assert_eq!(session.connections_opened(), 1);
}

/// TLS failing mid-stream against corio-tls's own server, twice. First a genuine fatal
/// alert after the handshake: a server that requires a client certificate finishes the
/// TLS 1.3 handshake, then sends `certificate_required` while the client waits for its
/// response. Then a forged alert record mid-body (the server writes an unprotected alert
/// record onto the socket, as a broken middlebox could): the client rejects it as a
/// protocol violation. Both are [`Error::Tls`] with the cause, and neither connection is
/// pooled. A real peer's fatal alert in the middle of a body is
/// `tls_alert_mid_body_from_openssl` below.
#[corio::test(start_paused = false)]
async fn tls_alert_mid_stream() {
    let ca = TestCa::new("alert CA");
    let cert = ca.issue(&["localhost"]);
    let strict = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .require_client_cert(ca.cert_pem().as_bytes())
        .build()
        .unwrap();
    let (addr, _) = raw_server(move |tcp| {
        let strict = strict.clone();
        async move {
            let _ = strict.accept(tcp).await;
        }
    })
    .await;
    let session = ClientSession::builder()
        .add_root_pem(ca.cert_pem().as_bytes())
        .build()
        .unwrap();
    let err = session
        .get(&format!("https://localhost:{}/", addr.port()))
        .await
        .unwrap_err();
    assert_peer_alert(&err, AlertDescription::CertificateRequired);
    assert_eq!(session.idle_connections(), 0);

    let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .alpn(&[b"http/1.1"])
        .build()
        .unwrap();
    let (addr, accepted) = raw_server(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            if read_head(&mut tls).await.is_none() {
                return;
            }
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nfirst part")
                .await;
            let _ = tls.flush().await;
            corio::sleep(Duration::from_millis(50)).await;
            // alert(21), TLS 1.2 record version, length 2, fatal(2) internal_error(80).
            let tcp = tls.get_mut();
            let _ = tcp
                .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50])
                .await;
            corio::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let url = format!("https://localhost:{}/", addr.port());
    let mut stream = session.get(&url).await.unwrap().bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first, "first part");
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("tls protocol error"), "{err}");
    assert!(stream.next().await.is_none());
    assert_eq!(session.idle_connections(), 0);
    let before = accepted.load(Ordering::SeqCst);
    let _ = session.get(&url).await.map(|_| ());
    assert_eq!(accepted.load(Ordering::SeqCst), before + 1);
}

/// Lines of a child's stdout and stderr, one by one as they come, read by threads.
struct Lines(std::sync::mpsc::Receiver<String>);

impl Lines {
    fn new(child: &mut std::process::Child) -> Lines {
        fn forward(out: impl std::io::Read + Send + 'static, tx: std::sync::mpsc::Sender<String>) {
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(out).lines() {
                    let Ok(line) = line else { return };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
        }
        let (tx, rx) = std::sync::mpsc::channel();
        forward(child.stdout.take().unwrap(), tx.clone());
        forward(child.stderr.take().unwrap(), tx);
        Lines(rx)
    }

    /// Waits (real time, at most 15 s, off the runtime's threads) for a line containing
    /// `text`; the lines before it are skipped.
    async fn expect(self, text: &'static str) -> Lines {
        corio::spawn_blocking(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(15);
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match self.0.recv_timeout(left) {
                    Ok(line) if line.contains(text) => return self,
                    Ok(_) => {}
                    Err(e) => panic!("no line with {text:?} from the server: {e}"),
                }
            }
        })
        .await
        .unwrap()
    }
}

/// A real TLS peer aborts mid-body with a fatal alert: `openssl s_server` (TLS 1.2,
/// driven through its stdin) sends the response head and part of the body, then is
/// told to renegotiate (`R`). rustls refuses renegotiation with a `no_renegotiation`
/// warning, and OpenSSL answers that with a fatal `handshake_failure` alert (its
/// `SSL_R_NO_RENEGOTIATION`), so the alert on the wire is OpenSSL's own, sent in the
/// middle of the body. The client's error names it, and the connection is not pooled:
/// the next request to the server opens a new one.
#[corio::test(start_paused = false, flavor = "multi_thread", worker_threads = 2)]
async fn tls_alert_mid_body_from_openssl() {
    use corio_test_util::{free_port, tool, Child, TempDir};
    use std::io::Write;
    use std::process::{Command, Stdio};

    let Some(openssl) = tool("openssl") else {
        return;
    };
    let dir = TempDir::new("alert");
    let ca = TestCa::new("openssl alert CA");
    let (cert, key) = ca.issue(&["localhost"]).write(&dir.0, "server").unwrap();
    let port = free_port();
    let mut child = Child(
        Command::new(openssl)
            .arg("s_server")
            .args(["-tls1_2", "-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .current_dir(&dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start openssl s_server"),
    );
    let mut stdin = child.0.stdin.take().unwrap();
    let lines = Lines::new(&mut child.0);
    let lines = lines.expect("ACCEPT").await;

    let session = ClientSession::builder()
        .add_root_pem(ca.cert_pem().as_bytes())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}/big");
    let request = corio::spawn({
        let (session, url) = (session.clone(), url.clone());
        async move { session.get(&url).await.map(|r| r.bytes_stream()) }
    });
    let lines = lines.expect("GET /big").await;
    stdin
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nfirst part")
        .unwrap();
    stdin.flush().unwrap();
    let mut stream = request.await.unwrap().unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), "first part");
    // Only now: the body has begun arriving when the server asks to renegotiate.
    stdin.write_all(b"R\n").unwrap();
    stdin.flush().unwrap();
    let err = stream.next().await.unwrap().unwrap_err();
    assert_peer_alert(&err, AlertDescription::HandshakeFailure);
    assert!(err.to_string().contains(&url), "{err}");
    assert!(stream.next().await.is_none(), "the error ends the body");
    assert_eq!(session.idle_connections(), 0);

    // The server's side of the story (its stderr): it failed the connection because the
    // client refused to renegotiate. It then accepts the next connection, which the
    // next request needs.
    let lines = lines.expect("no renegotiation").await;
    let again = corio::spawn({
        let (session, url) = (session.clone(), format!("https://localhost:{port}/again"));
        async move { session.get(&url).await?.text().await }
    });
    let _lines = lines.expect("GET /again").await;
    stdin
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .unwrap();
    stdin.flush().unwrap();
    assert_eq!(again.await.unwrap().unwrap(), "ok");
    assert_eq!(session.connections_opened(), 2);
}

/// A peer that accepts and reads the request but never answers: the total timeout ends
/// the request at exactly the deadline (virtual time), and the connection is dropped.
#[corio::test(start_paused = true)]
async fn peer_that_never_answers() {
    let (addr, accepted) = raw_server(|mut tcp| async move {
        let _ = read_head(&mut tcp).await;
        corio::sleep(Duration::from_secs(86_400)).await;
    })
    .await;
    let session = ClientSession::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let start = corio::time::Instant::now();
    let err = session.get(&format!("http://{addr}/")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out after 10s"), "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(session.idle_connections(), 0);

    // A head that arrives, then a body that never does: the timeout covers the body.
    let (addr2, _) = raw_server(|mut tcp| async move {
        if read_head(&mut tcp).await.is_some() {
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                .await;
        }
        corio::sleep(Duration::from_secs(86_400)).await;
    })
    .await;
    let start = corio::time::Instant::now();
    let response = session.get(&format!("http://{addr2}/")).await.unwrap();
    let err = response.bytes().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    let _ = accepted;
}

/// A server that closes the connection right after reading the request: the error says
/// the connection closed before a response.
#[corio::test(start_paused = false)]
async fn closed_before_response() {
    let (addr, _) = raw_server(|mut tcp| async move {
        let _ = read_head(&mut tcp).await;
    })
    .await;
    let err = ClientSession::new()
        .get(&format!("http://{addr}/"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("closed the connection before a complete response"),
        "{err}"
    );
}

/// An HTTP/2 server over TLS for the HTTP/2 failures: `/cut` sends part of a body and
/// stalls (the test then kills the connection), `/reset` sends part of a body and then,
/// once `reset` has a permit, resets the stream, `/never` never answers, anything else
/// answers `ok`. Returns the port, the CA, the count of accepted connections and the
/// connections' tasks.
async fn h2_server(
    reset: std::sync::Arc<corio::sync::Semaphore>,
) -> (
    u16,
    TestCa,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::Arc<std::sync::Mutex<Vec<corio::JoinHandle<()>>>>,
) {
    use bytes::Bytes;
    use http_body_util::{combinators::BoxBody, BodyExt, StreamBody};
    use hyper::body::Frame;

    type Chunk = Result<Frame<Bytes>, std::io::Error>;
    fn body(
        s: impl futures::Stream<Item = Chunk> + Send + Sync + 'static,
    ) -> BoxBody<Bytes, std::io::Error> {
        BodyExt::boxed(StreamBody::new(s))
    }
    async fn route(
        req: hyper::Request<hyper::body::Incoming>,
        reset: std::sync::Arc<corio::sync::Semaphore>,
    ) -> Result<hyper::Response<BoxBody<Bytes, std::io::Error>>, std::convert::Infallible> {
        let first = || Ok(Frame::data(Bytes::from_static(b"first part")));
        let b = match req.uri().path() {
            "/cut" => body(futures::stream::iter([first()]).chain(futures::stream::pending())),
            "/reset" => body(
                futures::stream::iter([first()]).chain(futures::stream::once(async move {
                    drop(reset.acquire().await);
                    Err(std::io::Error::other("the handler failed"))
                })),
            ),
            "/never" => futures::future::pending().await,
            _ => body(futures::stream::iter([Ok(Frame::data(
                Bytes::from_static(b"ok"),
            ))])),
        };
        Ok(hyper::Response::new(b))
    }

    let ca = TestCa::new("h2 failures CA");
    let cert = ca.issue(&["localhost"]);
    let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .alpn(&[b"h2"])
        .build()
        .unwrap();
    let tasks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let t = tasks.clone();
    let (addr, accepted) = raw_server(move |tcp| {
        let (acceptor, tasks, reset) = (acceptor.clone(), t.clone(), reset.clone());
        async move {
            let conn = corio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http2::Builder::new(corio_hyper::CorioExecutor::new())
                    .serve_connection(
                        corio_hyper::CorioIo::new(tls),
                        hyper::service::service_fn(move |req| route(req, reset.clone())),
                    )
                    .await;
            });
            tasks.lock().unwrap().push(conn);
        }
    })
    .await;
    (addr.port(), ca, accepted, tasks)
}

/// HTTP/2 failures: the connection lost mid-body fails the request with the cause and
/// the dead connection is not reused; a stream reset mid-body or a request that timed
/// out fail only their own stream, and the healthy connection keeps serving.
#[corio::test(start_paused = false, flavor = "multi_thread", worker_threads = 2)]
async fn http2_connection_lost_stream_reset_and_silent_stream() {
    let reset = std::sync::Arc::new(corio::sync::Semaphore::new(0));
    let (port, ca, accepted, tasks) = h2_server(reset.clone()).await;
    let session = ClientSession::builder()
        .add_root_pem(ca.cert_pem().as_bytes())
        .build()
        .unwrap();
    let url = |path: &str| format!("https://localhost:{port}{path}");

    // The connection dies mid-body (the server's task is killed: no GOAWAY, no stream
    // reset). How TCP reports it is up to timing: a clean FIN reads as an end of stream
    // without TLS close_notify, but if anything the client sent (a SETTINGS ack, a window
    // update) was still unread by the server when its socket was dropped, the kernel
    // answers with a RST and the client reads ECONNRESET. Either is a lost connection.
    let response = session.get(&url("/cut")).await.unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let mut stream = response.bytes_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "first part");
    for task in tasks.lock().unwrap().drain(..) {
        task.abort();
    }
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::TruncatedBody { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&url("/cut")), "{msg}");
    assert!(
        msg.contains("peer closed connection") || msg.contains("connection reset"),
        "{msg}"
    );
    assert!(stream.next().await.is_none());
    // The next request gets a new connection.
    let text = session
        .get(&url("/ok"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "ok");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    assert_eq!(session.connections_opened(), 2);

    // The server resets the stream mid-body: that request fails, naming the reset.
    let mut stream = session.get(&url("/reset")).await.unwrap().bytes_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "first part");
    reset.add_permits(1);
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(stream.next().await.is_none());
    assert!(matches!(err, Error::TruncatedBody { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("stream error received"), "{msg}");
    assert!(msg.contains("internal error"), "{msg}");

    // A stream that never answers: the request's timeout ends it (real time, short).
    let err = session
        .get(&url("/never"))
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");

    // Both were stream failures: the connection still serves, no new one was made.
    let text = session
        .get(&url("/ok"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "ok");
    assert_eq!(session.connections_opened(), 2);
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

//! corio-tls client against corio-tls server on loopback: ALPN, SNI, client
//! certificates, the certificate errors, the handshake timeout, Unix sockets, hyper.

use std::time::Duration;

use corio::net::{TcpListener, TcpStream, UnixStream};
use corio_tls::testing::{TestCa, TestCert};
use corio_tls::{TlsAcceptor, TlsConnector, TlsError, TlsStream};
use futures::channel::oneshot;
use futures::io::{AsyncReadExt, AsyncWriteExt};

/// Starts a one-connection TLS echo server; the receiver gets the server-side outcome
/// (SNI and ALPN seen, client certificate presented) or its error.
async fn echo_once(
    acceptor: TlsAcceptor,
) -> (
    std::net::SocketAddr,
    oneshot::Receiver<Result<(Option<String>, Option<Vec<u8>>, bool), TlsError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    drop(corio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        match acceptor.accept(tcp).await {
            Ok(mut tls) => {
                let seen = (
                    tls.server_name().map(str::to_owned),
                    tls.alpn_protocol().map(<[u8]>::to_vec),
                    tls.peer_certificates().is_some(),
                );
                let _ = tx.send(Ok(seen));
                let mut buf = [0u8; 1024];
                loop {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tls.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = tls.close().await;
            }
            Err(e) => {
                let _ = tx.send(Err(e));
            }
        }
    }));
    (addr, rx)
}

fn acceptor(cert: &TestCert) -> corio_tls::TlsAcceptorBuilder {
    TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
}

fn connector(ca: &TestCa) -> corio_tls::TlsConnectorBuilder {
    TlsConnector::builder().add_root_pem(ca.cert_pem().as_bytes())
}

async fn round_trip(tls: &mut TlsStream<TcpStream>) {
    tls.write_all(b"ping over tls").await.unwrap();
    let mut buf = [0u8; 13];
    tls.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping over tls");
}

#[corio::test(start_paused = false)]
async fn echo_with_sni_and_alpn() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let (addr, seen) =
        echo_once(acceptor(&cert).alpn(&[b"h2", b"http/1.1"]).build().unwrap()).await;
    let conn = connector(&ca).alpn(&[b"http/1.1", b"h2"]).build().unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = conn.connect("localhost", tcp).await.unwrap();
    // The server's preference wins among what the client offered.
    assert_eq!(tls.alpn_protocol(), Some(&b"h2"[..]));
    assert!(tls.is_client());
    assert_eq!(tls.peer_certificates().unwrap().len(), 1);
    round_trip(&mut tls).await;
    let (sni, alpn, client_cert) = seen.await.unwrap().unwrap();
    assert_eq!(sni.as_deref(), Some("localhost"));
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    assert!(!client_cert);
    // close_notify, then the server sees EOF and closes too.
    tls.close().await.unwrap();
}

#[corio::test(start_paused = false)]
async fn ip_address_server_name_has_no_sni() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["127.0.0.1"]);
    let (addr, seen) = echo_once(acceptor(&cert).build().unwrap()).await;
    let conn = connector(&ca).build().unwrap();
    let mut tls = conn
        .connect("127.0.0.1", TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap();
    round_trip(&mut tls).await;
    let (sni, alpn, _) = seen.await.unwrap().unwrap();
    assert_eq!(sni, None);
    assert_eq!(alpn, None);
}

#[corio::test(start_paused = false)]
async fn connect_tcp_resolves_and_handshakes() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let (addr, _seen) = echo_once(acceptor(&cert).build().unwrap()).await;
    let conn = connector(&ca).build().unwrap();
    let mut tls = conn.connect_tcp("localhost", addr.port()).await.unwrap();
    round_trip(&mut tls).await;
}

#[corio::test(start_paused = false)]
async fn expired_certificate_is_named() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue_expired(&["localhost"]);
    let (addr, server) = echo_once(acceptor(&cert).build().unwrap()).await;
    let conn = connector(&ca).build().unwrap();
    let err = conn
        .connect("localhost", TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::CertificateExpired(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("certificate expired"), "{msg}");
    // The client told the server why with an alert.
    match server.await.unwrap() {
        Err(TlsError::AlertReceived(alert)) => {
            assert_eq!(
                alert,
                corio_tls::rustls::AlertDescription::CertificateExpired
            )
        }
        other => panic!("server saw {other:?}"),
    }
}

#[corio::test(start_paused = false)]
async fn wrong_host_name_is_named() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let (addr, _server) = echo_once(acceptor(&cert).build().unwrap()).await;
    let conn = connector(&ca).build().unwrap();
    let err = conn
        .connect("wrong.example", TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::WrongHostName(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("another host name"), "{msg}");
    assert!(msg.contains("wrong.example"), "{msg}");
}

#[corio::test(start_paused = false)]
async fn unknown_ca_is_named() {
    let ca = TestCa::new("corio test CA");
    let other = TestCa::new("some other CA");
    let cert = ca.issue(&["localhost"]);
    let (addr, _server) = echo_once(acceptor(&cert).build().unwrap()).await;
    let conn = connector(&other).build().unwrap();
    let err = conn
        .connect("localhost", TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::UnknownIssuer), "{err:?}");
    assert!(err.to_string().contains("unknown certificate authority"));
    // The Mozilla roots do not trust a private CA either.
    let (addr, _server) = echo_once(acceptor(&cert).build().unwrap()).await;
    let err = TlsConnector::new()
        .unwrap()
        .connect("localhost", TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::UnknownIssuer), "{err:?}");
}

#[corio::test(start_paused = false)]
async fn required_client_certificate() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let alice = ca.issue_client("alice");
    let server = || {
        acceptor(&cert)
            .require_client_cert(ca.cert_pem().as_bytes())
            .build()
            .unwrap()
    };

    // With a certificate from the trusted CA: accepted, and the server sees it.
    let (addr, seen) = echo_once(server()).await;
    let conn = connector(&ca)
        .client_cert_pem(alice.cert_pem.as_bytes(), alice.key_pem.as_bytes())
        .build()
        .unwrap();
    let mut tls = conn
        .connect("localhost", TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap();
    round_trip(&mut tls).await;
    assert!(seen.await.unwrap().unwrap().2);

    // Without one: the server refuses with `certificate_required`. In TLS 1.3 the
    // client's handshake finishes first, so the refusal arrives on the first read.
    let (addr, seen) = echo_once(server()).await;
    let conn = connector(&ca).build().unwrap();
    let outcome = async {
        let mut tls = conn
            .connect("localhost", TcpStream::connect(addr).await.unwrap())
            .await?;
        tls.write_all(b"hi").await?;
        let mut buf = [0u8; 2];
        tls.read_exact(&mut buf).await?;
        Ok::<_, std::io::Error>(())
    }
    .await;
    let err = TlsError::from_io(outcome.unwrap_err());
    assert!(
        matches!(
            err,
            TlsError::AlertReceived(corio_tls::rustls::AlertDescription::CertificateRequired)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("CertificateRequired"), "{err}");
    assert!(seen.await.unwrap().is_err());

    // With one from another CA: the server names the unknown issuer.
    let stranger = TestCa::new("stranger CA").issue_client("mallory");
    let (addr, seen) = echo_once(server()).await;
    let conn = connector(&ca)
        .client_cert_pem(stranger.cert_pem.as_bytes(), stranger.key_pem.as_bytes())
        .build()
        .unwrap();
    let _ = async {
        let mut tls = conn
            .connect("localhost", TcpStream::connect(addr).await.unwrap())
            .await?;
        let mut buf = [0u8; 1];
        let _ = tls.read(&mut buf).await?;
        Ok::<_, std::io::Error>(())
    }
    .await;
    assert!(matches!(seen.await.unwrap(), Err(TlsError::UnknownIssuer)));
}

#[corio::test(start_paused = false)]
async fn optional_client_certificate() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let (addr, seen) = echo_once(
        acceptor(&cert)
            .request_client_cert(ca.cert_pem().as_bytes())
            .build()
            .unwrap(),
    )
    .await;
    let conn = connector(&ca).build().unwrap();
    let mut tls = conn
        .connect("localhost", TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap();
    round_trip(&mut tls).await;
    assert!(!seen.await.unwrap().unwrap().2);
}

/// A peer that accepts the TCP connection and never says a word: the handshake gives up
/// after the timeout on corio's (virtual) clock, in both directions.
#[corio::test(start_paused = true)]
async fn handshake_timeout_on_a_silent_peer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conn = TlsConnector::new()
        .unwrap()
        .with_handshake_timeout(Duration::from_secs(3));
    let start = corio::time::Instant::now();
    let connecting = corio::spawn(async move {
        let tcp = TcpStream::connect(addr).await.unwrap();
        conn.connect("localhost", tcp).await
    });
    let (silent, _) = listener.accept().await.unwrap();
    let err = connecting.await.unwrap().unwrap_err();
    assert!(matches!(err, TlsError::HandshakeTimeout(d) if d == Duration::from_secs(3)));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    drop(silent);

    // Server side: a client that connects and sends nothing.
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let acceptor = acceptor(&cert)
        .handshake_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let _client = TcpStream::connect(addr).await.unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let start = corio::time::Instant::now();
    let err = acceptor.accept(tcp).await.unwrap_err();
    assert!(matches!(err, TlsError::HandshakeTimeout(_)), "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

#[corio::test(start_paused = false)]
async fn over_a_unix_socket() {
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let acceptor = acceptor(&cert).build().unwrap();
    let conn = connector(&ca).build().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    let server = corio::spawn(async move {
        let mut tls = acceptor.accept(b).await.unwrap();
        let mut line = String::new();
        tls.read_to_string(&mut line).await.unwrap();
        line
    });
    let mut tls = conn.connect("localhost", a).await.unwrap();
    tls.write_all(b"over unix").await.unwrap();
    tls.close().await.unwrap();
    assert_eq!(server.await.unwrap(), "over unix");
}

#[corio::test(start_paused = false)]
async fn hyper_over_tls_via_corio_io() {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::{service::service_fn, Request, Response};

    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    let acceptor = acceptor(&cert).alpn(&[b"h2", b"http/1.1"]).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(corio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        assert_eq!(tls.alpn_protocol(), Some(&b"h2"[..]));
        let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
            let body = format!("{} {}", req.version() == hyper::Version::HTTP_2, req.uri());
            Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(body))))
        });
        hyper::server::conn::http2::Builder::new(corio_hyper::CorioExecutor::new())
            .serve_connection(corio_hyper::CorioIo::new(tls), service)
            .await
            .unwrap();
    }));
    let conn = connector(&ca).alpn(&[b"h2"]).build().unwrap();
    let tls = conn.connect_tcp("localhost", addr.port()).await.unwrap();
    assert_eq!(tls.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        corio_hyper::CorioExecutor::new(),
        corio_hyper::CorioIo::new(tls),
    )
    .await
    .unwrap();
    drop(corio::spawn(connection));
    for path in ["/a", "/b"] {
        let req = Request::get(format!("https://localhost{path}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("true https://localhost{path}"));
    }
}

//! corio-tls against real peers started by the test: `openssl s_server`, `openssl
//! s_client` and `curl --cacert`, with certificates generated at run time. Outside CI a
//! missing tool skips the test; in CI (`CI` set) it fails it.

use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use corio::net::{TcpListener, TcpStream};
use corio_test_util::{free_port, tool, wait_listening, Child, TempDir};
use corio_tls::testing::{TestCa, TestCert};
use corio_tls::{TlsAcceptor, TlsConnector, TlsError};
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use http_body_util::Full;
use hyper::{service::service_fn, Request, Response};

/// `openssl s_server -rev` (echoes each line reversed) on a fresh port with `cert`.
fn s_server(dir: &TempDir, cert: &TestCert, extra: &[&str]) -> Option<(Child, u16)> {
    let openssl = tool("openssl")?;
    let (crt, key) = cert.write(&dir.0, "server").unwrap();
    let port = free_port();
    let child = Command::new(openssl)
        .args(["s_server", "-quiet", "-rev"])
        .arg("-accept")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&crt)
        .arg("-key")
        .arg(&key)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let mut child = Child(child);
    wait_listening(port, &mut child);
    Some((child, port))
}

fn connector(ca: &TestCa) -> corio_tls::TlsConnectorBuilder {
    TlsConnector::builder().add_root_pem(ca.cert_pem().as_bytes())
}

#[corio::test(start_paused = false)]
async fn client_against_openssl_s_server_with_alpn_and_client_cert() {
    let dir = TempDir::new("s-server");
    let ca = TestCa::new("corio test CA");
    std::fs::write(dir.0.join("ca.crt"), ca.cert_pem()).unwrap();
    let ca_path = dir.0.join("ca.crt");
    let alice = ca.issue_client("alice");
    let Some((_server, port)) = s_server(
        &dir,
        &ca.issue(&["localhost"]),
        &[
            "-alpn",
            "h2,http/1.1",
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            ca_path.to_str().unwrap(),
        ],
    ) else {
        return;
    };
    let conn = connector(&ca)
        .alpn(&[b"h2", b"http/1.1"])
        .client_cert_pem(alice.cert_pem.as_bytes(), alice.key_pem.as_bytes())
        .build()
        .unwrap();
    let tls = conn.connect_tcp("localhost", port).await.unwrap();
    assert_eq!(tls.alpn_protocol(), Some(&b"h2"[..]));
    let mut tls = BufReader::new(tls);
    tls.write_all(b"hello openssl\n").await.unwrap();
    tls.flush().await.unwrap();
    let mut line = String::new();
    tls.read_line(&mut line).await.unwrap();
    assert_eq!(line, "lssnepo olleh\n");
}

/// The three certificate errors against openssl as the server.
#[corio::test(start_paused = false)]
async fn certificate_errors_against_openssl_s_server() {
    let ca = TestCa::new("corio test CA");
    type Case = (
        TestCert,
        &'static str,
        TestCa,
        fn(&TlsError) -> bool,
        &'static str,
    );
    let cases: [Case; 3] = [
        (
            ca.issue_expired(&["localhost"]),
            "localhost",
            TestCa::new("unused"),
            |e| matches!(e, TlsError::CertificateExpired(_)),
            "certificate expired",
        ),
        (
            ca.issue(&["localhost"]),
            "not-localhost.example",
            TestCa::new("unused"),
            |e| matches!(e, TlsError::WrongHostName(_)),
            "another host name",
        ),
        (
            ca.issue(&["localhost"]),
            "localhost",
            TestCa::new("unrelated CA"),
            |e| matches!(e, TlsError::UnknownIssuer),
            "unknown certificate authority",
        ),
    ];
    for (cert, name, trusted, is_expected, words) in cases {
        let dir = TempDir::new("s-server-bad");
        let Some((_server, port)) = s_server(&dir, &cert, &[]) else {
            return;
        };
        // Trust `ca` for the first two cases, the unrelated CA for the third.
        let roots = if words == "unknown certificate authority" {
            trusted.cert_pem().to_owned()
        } else {
            ca.cert_pem().to_owned()
        };
        let conn = TlsConnector::builder()
            .add_root_pem(roots.as_bytes())
            .build()
            .unwrap();
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let err = conn.connect(name, tcp).await.unwrap_err();
        assert!(is_expected(&err), "{name}: {err:?}");
        assert!(err.to_string().contains(words), "{err}");
    }
}

/// Our server, `openssl s_client` as the client: SNI, ALPN, a client certificate, data
/// both ways, close_notify.
#[corio::test(start_paused = false)]
async fn server_against_openssl_s_client() {
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let dir = TempDir::new("s-client");
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    std::fs::write(dir.0.join("ca.crt"), ca.cert_pem()).unwrap();
    let (client_crt, client_key) = ca.issue_client("bob").write(&dir.0, "client").unwrap();
    let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .alpn(&[b"h2", b"http/1.1"])
        .require_client_cert(ca.cert_pem().as_bytes())
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let ca_path = dir.0.join("ca.crt");
    let client = corio::spawn_blocking(move || {
        let mut child = Command::new(openssl)
            .args(["s_client", "-quiet", "-verify_return_error"])
            .arg("-connect")
            .arg(format!("127.0.0.1:{port}"))
            .args(["-servername", "localhost", "-alpn", "http/1.1"])
            .arg("-CAfile")
            .arg(&ca_path)
            .arg("-cert")
            .arg(&client_crt)
            .arg("-key")
            .arg(&client_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(b"hello corio\n")
            .unwrap();
        child.wait_with_output().unwrap()
    });
    let (tcp, _) = listener.accept().await.unwrap();
    let tls = acceptor.accept(tcp).await.unwrap();
    assert_eq!(tls.server_name(), Some("localhost"));
    assert_eq!(tls.alpn_protocol(), Some(&b"http/1.1"[..]));
    // openssl sends the leaf and, found in -CAfile, the CA.
    assert!(tls.peer_certificates().is_some_and(|c| !c.is_empty()));
    let mut tls = BufReader::new(tls);
    let mut line = String::new();
    tls.read_line(&mut line).await.unwrap();
    assert_eq!(line, "hello corio\n");
    tls.write_all(b"HELLO FROM CORIO\n").await.unwrap();
    tls.close().await.unwrap();
    let out = client.await.unwrap();
    assert!(
        out.status.success(),
        "s_client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HELLO FROM CORIO\n");
}

/// An HTTPS server: hyper over corio-tls, HTTP/2 or HTTP/1.1 by ALPN. Answers
/// `<version> <path>`.
async fn https_server(acceptor: TlsAcceptor, connections: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(corio::spawn(async move {
        for _ in 0..connections {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            drop(corio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let h2 = tls.alpn_protocol() == Some(b"h2");
                let io = corio_hyper::CorioIo::new(tls);
                let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let body = format!("{:?} {}", req.version(), req.uri().path());
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(body))))
                });
                let _ = if h2 {
                    hyper::server::conn::http2::Builder::new(corio_hyper::CorioExecutor::new())
                        .serve_connection(io, service)
                        .await
                } else {
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await
                };
            }));
        }
    }));
    port
}

#[corio::test(start_paused = false)]
async fn curl_with_cacert_over_http1_and_http2() {
    let Some(curl) = tool("curl") else {
        return;
    };
    let dir = TempDir::new("curl");
    let ca = TestCa::new("corio test CA");
    let cert = ca.issue(&["localhost"]);
    std::fs::write(dir.0.join("ca.crt"), ca.cert_pem()).unwrap();
    let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .alpn(&[b"h2", b"http/1.1"])
        .handshake_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let port = https_server(acceptor, 3).await;
    let ca_path = dir.0.join("ca.crt");
    let run = move |version: &'static str, path: &'static str, trust: bool| {
        let curl = curl.clone();
        let ca_path = ca_path.clone();
        corio::spawn_blocking(move || {
            let mut cmd = Command::new(curl);
            cmd.args(["-sS", "--max-time", "10", version])
                .arg("--resolve")
                .arg(format!("localhost:{port}:127.0.0.1"));
            if trust {
                cmd.arg("--cacert").arg(&ca_path);
            }
            cmd.arg(format!("https://localhost:{port}{path}"))
                .output()
                .unwrap()
        })
    };
    let out = run("--http2", "/two", true).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HTTP/2.0 /two");
    let out = run("--http1.1", "/one", true).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HTTP/1.1 /one");
    // Without --cacert curl does not trust our generated CA (exit 60: peer certificate
    // cannot be authenticated).
    let out = run("--http1.1", "/", false).await.unwrap();
    assert_eq!(out.status.code(), Some(60), "{out:?}");
}

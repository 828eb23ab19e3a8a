//! `TlsConnectorBuilder::with_platform_roots`: the platform's store, here pointed at a CA
//! generated for the test through `SSL_CERT_FILE` (which the platform loader reads
//! instead of the system bundle, as curl and Python's `ssl` do). Its own test binary with
//! one test: it sets an environment variable, which must not race another test's reads.

use corio::net::{TcpListener, TcpStream};
use corio_test_util::TempDir;
use corio_tls::testing::TestCa;
use corio_tls::{TlsAcceptor, TlsConnector, TlsError};
use futures::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn platform_roots_come_from_the_platform_store() {
    let dir = TempDir::new("tls-platform-roots");
    let ca = TestCa::new("platform store CA");
    let ca_file = dir.0.join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let empty_file = dir.0.join("empty.pem");
    std::fs::write(&empty_file, "").unwrap();
    let cert = ca.issue(&["localhost"]);
    let acceptor = TlsAcceptor::builder(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .build()
        .unwrap();

    // Before any runtime thread exists: nothing else reads the environment now.
    std::env::remove_var("SSL_CERT_DIR");
    std::env::set_var("SSL_CERT_FILE", &ca_file);
    let trusting = TlsConnector::builder().with_platform_roots().build();
    std::env::set_var("SSL_CERT_FILE", &empty_file);
    let empty = TlsConnector::builder().with_platform_roots().build();
    std::env::remove_var("SSL_CERT_FILE");

    // An empty store is a configuration error naming the platform store.
    let err = empty.unwrap_err();
    assert!(matches!(err, TlsError::Config(_)), "{err:?}");
    assert!(
        err.to_string().contains("platform certificate store"),
        "{err}"
    );

    // The store's CA is trusted: a handshake with a server it issued succeeds, where the
    // Mozilla roots refuse the same server.
    let trusting = trusting.unwrap();
    corio::run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            for _ in 0..2 {
                let (tcp, _) = listener.accept().await.unwrap();
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0u8; 4];
                    tls.read_exact(&mut buf).await.unwrap();
                    tls.write_all(&buf).await.unwrap();
                    tls.close().await.unwrap();
                }
            }
        });
        let mut tls = trusting
            .connect("localhost", TcpStream::connect(addr).await.unwrap())
            .await
            .unwrap();
        tls.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        let err = TlsConnector::new()
            .unwrap()
            .connect("localhost", TcpStream::connect(addr).await.unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, TlsError::UnknownIssuer), "{err:?}");
        server.await.unwrap();
    });
}

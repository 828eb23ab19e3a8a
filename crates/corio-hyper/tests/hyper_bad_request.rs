//! Malformed requests get an error response or a closed connection, never a hang. The
//! runtime is paused, so a hang would show up as the (virtual) 60 s guard timing out.

mod support;

use std::time::Duration;

use corio::net::TcpStream;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use support::{paused, Proto};

/// Sends `bytes` raw and returns everything the server answers before closing.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    corio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut out))
        .await
        .expect("the server hung instead of answering")?;
    Ok(out)
}

/// The shared test server; the malformed requests end their connections in errors.
async fn lenient_server(proto: Proto) -> std::net::SocketAddr {
    support::start_server(proto).await.0
}

#[test]
fn garbage_request_line_gets_400() {
    paused().block_on(async {
        let addr = lenient_server(Proto::Http1).await;
        let out = exchange(addr, b"THIS IS NOT HTTP\r\n\r\n").await.unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    });
}

#[test]
fn invalid_content_length_gets_400() {
    paused().block_on(async {
        let addr = lenient_server(Proto::Http1).await;
        let out = exchange(
            addr,
            b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: banana\r\n\r\n",
        )
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    });
}

#[test]
fn valid_request_after_bad_one_on_a_new_connection_still_works() {
    paused().block_on(async {
        let addr = lenient_server(Proto::Http1).await;
        let _ = exchange(addr, b"\x00\x01\x02\r\n\r\n").await;
        let out = exchange(
            addr,
            b"GET /still-alive HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.ends_with("/still-alive"), "{text}");
    });
}

#[test]
fn http1_request_to_http2_server_is_closed_not_hung() {
    paused().block_on(async {
        let addr = lenient_server(Proto::Http2).await;
        // The connection ends (no hang): closed, or reset because the server dropped it
        // with our request unread. Nothing in it is an HTTP/1 response: h2 answers a bad
        // preface with at most its SETTINGS/GOAWAY frames.
        match exchange(addr, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await {
            Ok(out) => assert!(!out.starts_with(b"HTTP/1.1"), "{out:?}"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    });
}

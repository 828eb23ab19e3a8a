//! Malformed requests get an error response or a closed connection, never a hang. The
//! runtime is paused, so a hang would show up as the (virtual) 60 s guard timing out.

mod support;

use std::time::Duration;

use corio::net::TcpStream;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use support::Proto;

fn paused() -> corio::Runtime {
    corio::Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .expect("runtime")
}

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

/// Like `support::start_server`, but tolerant of connection errors (they are the point here).
async fn lenient_server(proto: Proto) -> std::net::SocketAddr {
    use corio_hyper::{CorioExecutor, CorioIo, CorioTimer};
    use hyper::service::service_fn;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(corio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(corio::spawn(async move {
                let served = Arc::new(AtomicUsize::new(0));
                let svc = service_fn(move |req| support::echo_path(served.clone(), req));
                let io = CorioIo::new(stream);
                let _ = match proto {
                    Proto::Http1 => {
                        hyper::server::conn::http1::Builder::new()
                            .timer(CorioTimer::new())
                            .serve_connection(io, svc)
                            .await
                    }
                    Proto::Http2 => {
                        hyper::server::conn::http2::Builder::new(CorioExecutor::new())
                            .timer(CorioTimer::new())
                            .serve_connection(io, svc)
                            .await
                    }
                };
            }));
        }
    }));
    addr
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

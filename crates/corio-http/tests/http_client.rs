//! corio-http against an in-process hyper server on loopback: bodies, HTTP/1.1 and
//! HTTP/2 (ALPN and prior knowledge), the pool (reuse, limits, idle expiry, servers that
//! close idle connections), redirects, decoding, proxies, timeouts.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use corio_http::{Body, ClientSession, Error, Proxy, StatusCode, Version};
use futures::io::AsyncWriteExt;
use futures::StreamExt;
use support::{pattern, proxy_server, raw_server, read_head, serve, Mode};

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Named {
    name: String,
    n: u32,
}

#[corio::test(start_paused = false)]
async fn bodies_as_text_json_bytes_and_stream_over_each_protocol() {
    for mode in [Mode::PlainH1, Mode::PlainH2, Mode::Tls, Mode::TlsH1] {
        let server = serve(mode).await;
        let session = server.session().build().unwrap();
        let r = session.get(&server.url("/text")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let expected = match mode {
            Mode::PlainH2 | Mode::Tls => Version::HTTP_2,
            _ => Version::HTTP_11,
        };
        assert_eq!(r.version(), expected, "{mode:?}");
        assert_eq!(r.text().await.unwrap(), "hello from corio");
        let json: Named = session
            .get(&server.url("/json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            json,
            Named {
                name: "corio".into(),
                n: 7
            }
        );
        let big = session.get(&server.url("/big?n=300000")).await.unwrap();
        assert_eq!(big.content_length(), Some(300_000));
        assert_eq!(big.bytes().await.unwrap(), pattern(300_000));
        let mut stream = session
            .get(&server.url("/big?n=200000"))
            .await
            .unwrap()
            .bytes_stream();
        let mut got = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = stream.next().await {
            got.extend_from_slice(&chunk.unwrap());
            chunks += 1;
        }
        assert_eq!(got, pattern(200_000));
        assert!(chunks > 1, "a 200 kB body arrives in several chunks");
        // Request bodies: bytes, JSON, a stream of chunks.
        let r = session
            .post(&server.url("/echo"))
            .body("raw bytes")
            .await
            .unwrap();
        assert_eq!(r.headers()["x-method"], "POST");
        assert_eq!(r.text().await.unwrap(), "raw bytes");
        let r = session
            .put(&server.url("/echo"))
            .json(&serde_json::json!({"name": "corio", "n": 7}))
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.json::<Named>().await.unwrap().n, 7);
        let chunks = futures::stream::iter((0..50).map(|i| Ok(Bytes::from(format!("{i},")))));
        let r = session
            .post(&server.url("/echo"))
            .body(Body::wrap_stream(chunks))
            .await
            .unwrap();
        let expected: String = (0..50).map(|i| format!("{i},")).collect();
        assert_eq!(r.text().await.unwrap(), expected);
        assert_eq!(
            session
                .head(&server.url("/text"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
            ""
        );
    }
}

#[corio::test(start_paused = false)]
async fn pool_reuses_connections_http1() {
    let server = serve(Mode::TlsH1).await;
    let session = server.session().build().unwrap();
    for i in 0..50 {
        let body = session
            .get(&server.url(&format!("/n{i}")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, format!("path /n{i}"));
    }
    assert_eq!(
        server.connections(),
        1,
        "50 sequential requests on one connection"
    );
    assert_eq!(session.connections_opened(), 1);
    assert_eq!(session.idle_connections(), 1);
    // 32 concurrent requests with at most 4 connections per host.
    let session = server.session().limit_per_host(4).build().unwrap();
    let before = server.connections();
    let bodies = corio::gather((0..32).map(|i| {
        let session = session.clone();
        let url = server.url(&format!("/c{i}"));
        async move { session.get(&url).await.unwrap().text().await.unwrap() }
    }))
    .await;
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(*body, format!("path /c{i}"));
    }
    let opened = server.connections() - before;
    assert!(
        (1..=4).contains(&opened),
        "opened {opened} connections with limit_per_host(4)"
    );
}

#[corio::test(start_paused = false)]
async fn http2_multiplexes_on_one_connection() {
    let server = serve(Mode::Tls).await;
    let session = server.session().build().unwrap();
    let bodies = corio::gather((0..40).map(|i| {
        let session = session.clone();
        let url = server.url(&format!("/m{i}"));
        async move { session.get(&url).await.unwrap().text().await.unwrap() }
    }))
    .await;
    assert_eq!(bodies.len(), 40);
    // The first connection is made alone (pool rule 5); once it negotiated h2, all
    // 40 concurrent requests share it.
    assert_eq!(server.connections(), 1);
    let first_wave = server.connections();
    for i in 0..20 {
        session
            .get(&server.url(&format!("/s{i}")))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    assert_eq!(server.connections(), first_wave);
}

#[corio::test(start_paused = true)]
async fn idle_connections_expire() {
    let server = serve(Mode::PlainH1).await;
    let session = server
        .session()
        .idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    session
        .get(&server.url("/a"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    corio::sleep(Duration::from_secs(2)).await;
    session
        .get(&server.url("/b"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(server.connections(), 1, "reused within the idle timeout");
    corio::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        session.idle_connections(),
        0,
        "the reaper dropped the expired connection"
    );
    session
        .get(&server.url("/c"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(server.connections(), 2);
}

/// A keep-alive server that closes each connection shortly after answering (like nginx's
/// `keepalive_timeout`, or a server restart): no request fails, each finds a new
/// connection (or is retried on one).
#[corio::test(start_paused = false)]
async fn server_closing_idle_connections_fails_no_request() {
    let (addr, accepted) = raw_server(|mut tcp| async move {
        // Answer one request with keep-alive, then close without telling.
        if read_head(&mut tcp).await.is_some() {
            let _ = tcp
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
                )
                .await;
        }
        corio::sleep(Duration::from_millis(5)).await;
    })
    .await;
    let session = ClientSession::builder().build().unwrap();
    for i in 0..30 {
        let url = format!("http://{addr}/r{i}");
        let body = session.get(&url).await.unwrap().text().await.unwrap();
        assert_eq!(body, "ok");
        if i % 2 == 0 {
            // Let the server's close arrive before the next request (the idle
            // connection is then seen closed); odd rounds race it.
            corio::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 30);
}

/// The keep-alive race proper: the server closes the idle connection right when the
/// next request is written on it. The request is retried on a new connection.
#[corio::test(start_paused = false)]
async fn stale_connection_is_retried() {
    let (addr, accepted) = raw_server(|mut tcp| async move {
        if read_head(&mut tcp).await.is_some() {
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await;
        }
        // Read the second request's head, then close without answering.
        let _ = read_head(&mut tcp).await;
    })
    .await;
    let session = ClientSession::new();
    for i in 0..5 {
        let body = session
            .get(&format!("http://{addr}/x{i}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "ok");
    }
    // Requests 2..5 each met a connection that died under them and were retried.
    assert_eq!(accepted.load(Ordering::SeqCst), 5);
    // A POST is not retried after it was sent: the error names the cause.
    session
        .get(&format!("http://{addr}/prime"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let err = session
        .post(&format!("http://{addr}/p"))
        .body("x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
    assert!(err.to_string().contains("closed the connection"), "{err}");
}

#[corio::test(start_paused = false)]
async fn redirects_are_followed_with_method_rules() {
    let server = serve(Mode::Tls).await;
    let session = server.session().build().unwrap();
    let r = session.get(&server.url("/redirect/3")).await.unwrap();
    assert_eq!(r.url(), server.url("/redirect/0"));
    assert_eq!(r.text().await.unwrap(), "arrived");
    // 303: POST becomes GET without a body.
    let r = session
        .post(&server.url("/see-other"))
        .body("data")
        .await
        .unwrap();
    assert_eq!(r.headers()["x-method"], "GET");
    assert_eq!(r.text().await.unwrap(), "");
    // 307: same method, same body.
    let r = session
        .post(&server.url("/temporary"))
        .body("data")
        .await
        .unwrap();
    assert_eq!(r.headers()["x-method"], "POST");
    assert_eq!(r.text().await.unwrap(), "data");
    // Not followed when disabled.
    let s = server.session().follow_redirects(false).build().unwrap();
    let r = s.get(&server.url("/redirect/1")).await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"], "/redirect/0");
}

#[corio::test(start_paused = false)]
async fn gzip_and_deflate_are_decoded() {
    let server = serve(Mode::PlainH1).await;
    let session = server.session().build().unwrap();
    for path in ["/gzip", "/deflate"] {
        let r = session.get(&server.url(path)).await.unwrap();
        assert!(r.content_length().unwrap() < 100_000, "sent compressed");
        assert_eq!(r.bytes().await.unwrap(), pattern(100_000), "{path}");
    }
    // Decoding off: the compressed bytes as sent.
    let raw = server.session().auto_decompress(false).build().unwrap();
    let r = raw.get(&server.url("/gzip")).await.unwrap();
    assert_eq!(r.bytes().await.unwrap(), support::gzip(&pattern(100_000)));
    // The limit counts decoded bytes (a decompression bomb is stopped).
    let limited = server.session().max_body_size(50_000).build().unwrap();
    let err = limited
        .get(&server.url("/gzip"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 50_000, .. }),
        "{err:?}"
    );
}

#[corio::test(start_paused = false)]
async fn status_errors_and_invalid_input() {
    let server = serve(Mode::PlainH1).await;
    let session = server.session().build().unwrap();
    let err = session
        .get(&server.url("/status?404"))
        .await
        .unwrap()
        .error_for_status()
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    assert!(err.to_string().contains("404"));
    let ok = session
        .get(&server.url("/status?204"))
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    for url in ["ftp://x/", "no-scheme", "http://"] {
        assert!(
            matches!(
                session.get(url).await.unwrap_err(),
                Error::InvalidUrl { .. }
            ),
            "{url}"
        );
    }
    let err = session
        .get(&server.url("/"))
        .header("bad header", "x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
    // Connection refused names the URL and the cause.
    let port = corio_test_util::free_port();
    let err = session
        .get(&format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
}

#[corio::test(start_paused = true)]
async fn total_timeout_on_virtual_time() {
    let server = serve(Mode::Tls).await;
    let session = server
        .session()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let start = corio::time::Instant::now();
    let err = session.get(&server.url("/slow")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    // A per-request timeout overrides the session's.
    let start = corio::time::Instant::now();
    let err = session
        .get(&server.url("/slow"))
        .timeout(Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[corio::test(start_paused = true)]
async fn connect_timeout_on_a_silent_tls_server() {
    // Accepts TCP, never speaks TLS.
    let (addr, _) = raw_server(|tcp| async move {
        corio::sleep(Duration::from_secs(3600)).await;
        drop(tcp);
    })
    .await;
    let session = ClientSession::builder()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let start = corio::time::Instant::now();
    let err = session
        .get(&format!("https://127.0.0.1:{}/", addr.port()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[corio::test(start_paused = false)]
async fn proxies_for_http_and_https_and_no_proxy() {
    let (proxy, seen) = proxy_server().await;
    let tls = serve(Mode::Tls).await;
    let plain = serve(Mode::PlainH1).await;
    let vars = [
        (
            "HTTPS_PROXY".to_owned(),
            format!("http://user:secret@{proxy}"),
        ),
        ("http_proxy".to_owned(), format!("http://{proxy}")),
        ("NO_PROXY".to_owned(), "skip.invalid".to_owned()),
    ];
    let config =
        Proxy::from_vars(|n| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())).unwrap();
    let session = tls.session().proxy(config.clone()).build().unwrap();
    let r = session.get(&tls.url("/text")).await.unwrap();
    assert_eq!(
        r.version(),
        Version::HTTP_2,
        "TLS and ALPN end to end through the tunnel"
    );
    assert_eq!(r.text().await.unwrap(), "hello from corio");
    let body = session
        .get(&plain.url("/json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("corio"));
    let log = seen.lock().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        log[0],
        format!("CONNECT localhost:{} HTTP/1.1", tls.addr.port())
    );
    assert_eq!(log[1], format!("GET {} HTTP/1.1", plain.url("/json")));
    // NO_PROXY: direct.
    let direct = Proxy::all(&format!("http://{proxy}"))
        .unwrap()
        .no_proxy("localhost,127.0.0.1");
    let session = tls.session().proxy(direct).build().unwrap();
    session
        .get(&tls.url("/text"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    // A proxy that refuses the tunnel.
    let refusing = Proxy::all(&format!("http://{proxy}")).unwrap();
    let session = ClientSession::builder().proxy(refusing).build().unwrap();
    let err = session.get("https://127.0.0.1:1/").await.unwrap_err();
    assert!(matches!(err, Error::Proxy { .. }), "{err:?}");
    assert!(err.to_string().contains("502"), "{err}");
}

/// Dropping a request mid-flight (cancellation) leaves the pool usable: the
/// connection it held is dropped, and its permit is released.
#[corio::test(start_paused = false)]
async fn cancelled_request_releases_its_connection_slot() {
    let server = serve(Mode::PlainH1).await;
    let session = server.session().limit_per_host(1).build().unwrap();
    let slow = session.get(&server.url("/slow"));
    let cancelled = corio::time::timeout(Duration::from_millis(200), slow.send()).await;
    assert!(cancelled.is_err());
    // With limit 1 this would wait forever if the permit had leaked.
    let body = corio::time::timeout(Duration::from_secs(10), async {
        session
            .get(&server.url("/text"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
    .await
    .expect("the permit came back");
    assert_eq!(body, "hello from corio");
    // A response dropped unread does not return its connection to the pool either.
    let r = session.get(&server.url("/big?n=100000")).await.unwrap();
    drop(r);
    session
        .get(&server.url("/text"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(server.connections(), 3);
}

#[corio::test(start_paused = false)]
async fn read_exact_size_leaves_the_stream_then_reuses() {
    // A response read through the stream API to the end goes back to the pool.
    let server = serve(Mode::PlainH1).await;
    let session = server.session().build().unwrap();
    let mut s = session
        .get(&server.url("/big?n=10"))
        .await
        .unwrap()
        .bytes_stream();
    let mut all = Vec::new();
    while let Some(c) = s.next().await {
        all.extend_from_slice(&c.unwrap());
    }
    assert_eq!(all, pattern(10));
    assert_eq!(session.idle_connections(), 1);
}

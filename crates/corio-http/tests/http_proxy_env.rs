//! `ClientSessionBuilder::trust_env(true)` with the proxy variables set in the process's
//! real environment (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`), not fed through
//! `Proxy::from_vars`: requests go through a local forward proxy, hosts in `NO_PROXY`
//! bypass it, and a session without `trust_env` ignores the variables.
//!
//! Its own test binary with one test: it sets environment variables, which must not race
//! another test's reads. The proxy's listener is bound before the runtime starts so that
//! its address is known when the variables are set, before any runtime thread exists.

mod support;

use std::time::Duration;

use corio::net::TcpListener;
use corio_http::{ClientSessionBuilder, Version};
use support::{proxy_server_on, serve, Mode};

/// A guard against a hang (never an assertion on time).
const GUARD: Duration = Duration::from_secs(20);

async fn text(session: &corio_http::ClientSession, url: &str) -> (Version, String) {
    let r = session
        .get(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    (r.version(), r.text().await.unwrap())
}

#[test]
fn trust_env_sends_requests_through_the_environment_proxy_except_no_proxy_hosts() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = listener.local_addr().unwrap();

    // Before any runtime thread exists: nothing else reads the environment now.
    for name in [
        "ALL_PROXY",
        "all_proxy",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("HTTP_PROXY", format!("http://{proxy}"));
    std::env::set_var("HTTPS_PROXY", format!("http://{proxy}"));
    // The servers below answer on both `localhost` and `127.0.0.1`: the first name goes
    // through the proxy, the second bypasses it.
    std::env::set_var("NO_PROXY", "example.invalid, 127.0.0.1");

    corio::run(async move {
        let (_, seen) = proxy_server_on(TcpListener::from_std(listener).unwrap());
        let plain = serve(Mode::PlainH1).await;
        let tls = serve(Mode::Tls).await;
        let (p, t) = (plain.addr.port(), tls.addr.port());
        let build = |b: ClientSessionBuilder| b.timeout(GUARD).build().unwrap();

        // Through the proxy: absolute-form for http://, a CONNECT tunnel for https://
        // (TLS and ALPN end to end through it).
        let session = build(tls.session().trust_env(true));
        let (_, body) = text(&session, &format!("http://localhost:{p}/text")).await;
        assert_eq!(body, "hello from corio");
        let (version, body) = text(&session, &format!("https://localhost:{t}/text")).await;
        assert_eq!(body, "hello from corio");
        assert_eq!(version, Version::HTTP_2);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                format!("GET http://localhost:{p}/text HTTP/1.1"),
                format!("CONNECT localhost:{t} HTTP/1.1"),
            ]
        );
        let (plain_before, tls_before) = (plain.connections(), tls.connections());

        // NO_PROXY: 127.0.0.1 is reached directly, over both schemes.
        let (_, body) = text(&session, &format!("http://127.0.0.1:{p}/text")).await;
        assert_eq!(body, "hello from corio");
        let (_, body) = text(&session, &format!("https://127.0.0.1:{t}/text")).await;
        assert_eq!(body, "hello from corio");
        let log = seen.lock().unwrap().clone();
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(plain.connections(), plain_before + 1);
        assert_eq!(tls.connections(), tls_before + 1);

        // Without trust_env the variables are ignored: localhost goes direct too.
        let direct = build(tls.session());
        let (_, body) = text(&direct, &format!("http://localhost:{p}/text")).await;
        assert_eq!(body, "hello from corio");
        let log = seen.lock().unwrap().clone();
        assert_eq!(log.len(), 2, "{log:?}");
    });
}

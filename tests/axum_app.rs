//! The axum app of `examples/axum_app.rs` on corio, driven by real clients: `curl` for
//! the JSON API, the rate limit and HTTP/2, `wrk` for load with 1 000 idle (slowloris)
//! connections open beside it. In CI (`CI` set) a missing `curl` or `wrk` fails the
//! test; elsewhere the test says so and passes.

use std::future::Future;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use corio_examples::axum_app::{run, AppConfig, AppState};

/// `true` if `tool` runs; in CI its absence is a failure.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is not installed (CI requires it)"
        );
        eprintln!("SKIPPED: {tool} is not installed");
    }
    ok
}

/// Runs `body(addr)` against the app with `config`, then shuts the app down and checks
/// that the drain completed.
fn with_app<F, Fut>(config: AppConfig, body: F)
where
    F: FnOnce(SocketAddr) -> Fut,
    Fut: Future<Output = ()>,
{
    corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(Event::new());
        let s2 = stop.clone();
        let app = corio::spawn(run(listener, AppState::new(config), async move {
            s2.wait().await
        }));
        body(addr).await;
        stop.set();
        corio::timeout(Duration::from_secs(30), app)
            .await
            .expect("the app drains within 30 s")
            .unwrap()
            .unwrap();
    });
}

/// `curl -s -i args...` on the blocking pool: the status line's code and the body.
async fn curl(args: &[&str]) -> (u16, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let shown = args.clone();
    let out = corio::to_thread(move || {
        Command::new("curl")
            .args(["-s", "-i", "--max-time", "20"])
            .args(&args)
            .output()
            .expect("run curl")
    })
    .await
    .unwrap();
    assert!(out.status.success(), "curl {shown:?}: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (code, head.to_owned(), body.to_owned())
}

#[test]
fn curl_drives_the_json_api_the_job_queue_and_http2() {
    if !have("curl") {
        return;
    }
    with_app(AppConfig::default(), |addr| async move {
        let url = |p: &str| format!("http://{addr}{p}");
        let json = ["-H", "content-type: application/json", "-d"];
        let (code, _, body) =
            curl(&[&json[..], &[r#"{"name":"bolt","qty":3}"#, &url("/items")]].concat()).await;
        assert_eq!(
            (code, body.as_str()),
            (201, r#"{"id":1,"name":"bolt","qty":3}"#)
        );
        let (code, _, body) = curl(&[&url("/items/1")]).await;
        assert_eq!(
            (code, body.as_str()),
            (200, r#"{"id":1,"name":"bolt","qty":3}"#)
        );
        let (code, _, body) = curl(&["--http2-prior-knowledge", &url("/items")]).await;
        assert_eq!(
            (code, body.as_str()),
            (200, r#"[{"id":1,"name":"bolt","qty":3}]"#)
        );
        let (code, _, body) = curl(&[&url("/items/7")]).await;
        assert_eq!((code, body.as_str()), (404, r#"{"error":"no such item"}"#));
        let (code, _, _) = curl(&["-X", "DELETE", &url("/items/1")]).await;
        assert_eq!(code, 204);
        let (code, _, _) = curl(&[&json[..], &["not json", &url("/items")]].concat()).await;
        assert_eq!(code, 400);
        // The job route awaits the queue and the worker's answer.
        let (code, _, body) = curl(
            &[
                &json[..],
                &[r#"{"text":"to be or not to be"}"#, &url("/jobs")],
            ]
            .concat(),
        )
        .await;
        assert_eq!(
            (code, body.as_str()),
            (200, r#"{"job":1,"words":6,"chars":18}"#)
        );
        let (code, _, body) = curl(&[&url("/stats")]).await;
        assert_eq!(code, 200);
        let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(stats["jobs_done"], 1);
        assert_eq!(stats["items"], 0);
        assert_eq!(stats["clients"], 1, "every curl came from 127.0.0.1");
    });
}

#[test]
fn a_client_past_its_burst_gets_429_with_retry_after() {
    if !have("curl") {
        return;
    }
    let config = AppConfig {
        rate: 1,
        period: Duration::from_secs(3600),
        burst: 3,
        ..AppConfig::default()
    };
    with_app(config, |addr| async move {
        let url = format!("http://{addr}/health");
        for _ in 0..3 {
            assert_eq!(curl(&[&url]).await.0, 200);
        }
        let (code, head, body) = curl(&[&url]).await;
        assert_eq!(code, 429);
        assert!(
            head.to_ascii_lowercase().contains("retry-after: 3600"),
            "{head}"
        );
        assert_eq!(body, r#"{"error":"rate limit exceeded"}"#);
    });
}

/// Raises the soft descriptor limit to the hard one (1 000 idle clients plus the
/// server's side of each need ~2 000 descriptors).
fn raise_fd_limit() {
    // SAFETY: `rlimit` is plain data; getrlimit/setrlimit read and write only it.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

#[test]
fn wrk_is_served_while_1000_slowloris_connections_idle() {
    if !have("wrk") {
        return;
    }
    raise_fd_limit();
    let config = AppConfig {
        rate: 1_000_000,
        burst: 1_000_000,
        ..AppConfig::default()
    };
    with_app(config, |addr| async move {
        // 1 000 connections that send nothing (and one byte short of a request line).
        let mut idle = Vec::new();
        for i in 0..1000 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            if i % 2 == 0 {
                futures::AsyncWriteExt::write_all(&mut s, b"GET / HTTP/1.1\r\nhost")
                    .await
                    .unwrap();
            }
            idle.push(s);
        }
        // A bounded wrk run beside them.
        let url = format!("http://{addr}/items");
        let out = corio::to_thread(move || {
            Command::new("wrk")
                .args(["-t1", "-c20", "-d2s", "--timeout", "5s", &url])
                .output()
                .expect("run wrk")
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "wrk: {out:?}");
        let requests: u64 = text
            .lines()
            .find_map(|l| l.trim().split_once(" requests in "))
            .map(|(n, _)| n.trim().parse().unwrap())
            .unwrap_or_else(|| panic!("no request count in wrk's output:\n{text}"));
        assert!(requests >= 100, "only {requests} requests served:\n{text}");
        assert!(!text.contains("Socket errors"), "{text}");
        assert!(!text.contains("Non-2xx"), "{text}");
        // The idle connections are still open: served clients did not need them gone.
        let mut probe = [0u8; 1];
        let still_open = futures::future::poll_fn(|cx| {
            std::task::Poll::Ready(
                futures::AsyncRead::poll_read(std::pin::Pin::new(&mut idle[1]), cx, &mut probe)
                    .is_pending(),
            )
        })
        .await;
        assert!(
            still_open,
            "an idle connection was closed before its header timeout"
        );
        drop(idle);
    });
}

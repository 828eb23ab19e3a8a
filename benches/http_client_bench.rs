//! corio-http next to reqwest (on tokio) against the same local nginx: requests per
//! second at 1, 16 and 64 requests in flight, HTTP/1.1 and HTTP/2 over TLS, 1 KiB bodies
//! (every body's length checked).
//!
//! `cargo run -p corio-benches --release --example http_client_bench` (needs Debian's
//! nginx; prints Markdown rows for docs/benchmarks.md). Both clients use rustls with the
//! ring provider and the same CA, and run on a 2-worker multi-thread runtime.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BODY: usize = 1024;

struct Nginx {
    child: std::process::Child,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_nginx(ca: &corio_tls::testing::TestCa, h2_port: u16, h1_port: u16) -> Nginx {
    let dir = std::env::temp_dir().join(format!("corio-http-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/f.txt"), vec![b'x'; BODY]).unwrap();
    ca.issue(&["localhost"]).write(&dir, "server").unwrap();
    let d = dir.display();
    let conf = format!(
        "user root; daemon off; master_process off; worker_processes 1;
pid {d}/nginx.pid; error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path {d}/b; proxy_temp_path {d}/p; fastcgi_temp_path {d}/f;
  uwsgi_temp_path {d}/u; scgi_temp_path {d}/s;
  ssl_certificate {d}/server.crt; ssl_certificate_key {d}/server.key;
  server {{ listen 127.0.0.1:{h2_port} ssl http2; root {d}/www; }}
  server {{ listen 127.0.0.1:{h1_port} ssl; root {d}/www; }}
}}"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let nginx = ["/usr/sbin/nginx", "nginx"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("-v")
                .stderr(Stdio::null())
                .status()
                .is_ok()
        })
        .expect("nginx is not installed (apt-get install nginx)");
    let child = Command::new(nginx)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .spawn()
        .unwrap();
    for port in [h1_port, h2_port] {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Nginx { child, dir }
}

async fn run_corio(session: &corio_http::ClientSession, url: &str, n: usize, c: usize) -> Duration {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..c)
        .map(|_| {
            let (session, next, url) = (session.clone(), next.clone(), url.to_owned());
            corio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    let body = session.get(&url).await.unwrap().bytes().await.unwrap();
                    assert_eq!(body.len(), BODY);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

async fn run_reqwest(client: &reqwest::Client, url: &str, n: usize, c: usize) -> Duration {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..c)
        .map(|_| {
            let (client, next, url) = (client.clone(), next.clone(), url.to_owned());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    let body = client
                        .get(&url)
                        .send()
                        .await
                        .unwrap()
                        .bytes()
                        .await
                        .unwrap();
                    assert_eq!(body.len(), BODY);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

fn rustls_config(ca_pem: &str, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    #[allow(deprecated)] // the same ring provider corio-tls uses
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

fn main() {
    let ca = corio_tls::testing::TestCa::new("bench CA");
    let (h2_port, h1_port) = (free_port(), free_port());
    let _nginx = start_nginx(&ca, h2_port, h1_port);
    let corio_rt = corio::Runtime::builder().worker_threads(2).build().unwrap();
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "| protocol | in flight | requests | corio-http req/s | reqwest (tokio) req/s | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    for (proto, port) in [("HTTP/1.1", h1_port), ("HTTP/2", h2_port)] {
        let url = format!("https://localhost:{port}/f.txt");
        let h2 = proto == "HTTP/2";
        let alpn: &[&[u8]] = if h2 {
            &[b"h2", b"http/1.1"]
        } else {
            &[b"http/1.1"]
        };
        let mut corio_builder = corio_http::ClientSession::builder()
            .add_root_pem(ca.cert_pem().as_bytes())
            .limit(0);
        if !h2 {
            corio_builder = corio_builder.http1_only();
        }
        let session = corio_builder.build().unwrap();
        let mut reqwest_builder =
            reqwest::Client::builder().use_preconfigured_tls(rustls_config(ca.cert_pem(), alpn));
        if !h2 {
            reqwest_builder = reqwest_builder.http1_only();
        }
        let client = reqwest_builder.build().unwrap();
        // Warm-up: connections, TLS sessions, caches.
        corio_rt.block_on(run_corio(&session, &url, 500, 64));
        tokio_rt.block_on(run_reqwest(&client, &url, 500, 64));
        for c in [1usize, 16, 64] {
            let n = if c == 1 { 3000 } else { 20_000 };
            // Best of three for each, alternating.
            let mut corio_best = Duration::MAX;
            let mut reqwest_best = Duration::MAX;
            for _ in 0..3 {
                corio_best = corio_best.min(corio_rt.block_on(run_corio(&session, &url, n, c)));
                reqwest_best =
                    reqwest_best.min(tokio_rt.block_on(run_reqwest(&client, &url, n, c)));
            }
            let corio_rps = n as f64 / corio_best.as_secs_f64();
            let reqwest_rps = n as f64 / reqwest_best.as_secs_f64();
            println!(
                "| {proto} over TLS | {c} | {n} | {corio_rps:.0} | {reqwest_rps:.0} | {:.2}x |",
                corio_rps / reqwest_rps
            );
        }
    }
}

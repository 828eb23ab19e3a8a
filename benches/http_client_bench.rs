//! corio-http next to reqwest (on tokio) against the same local nginx: requests per
//! second at 1, 16 and 64 requests in flight, HTTP/1.1 and HTTP/2 over TLS, 1 KiB bodies
//! (every body's length checked).
//!
//! `cargo run -p corio-benches --release --example http_client_bench` (needs Debian's
//! nginx; prints Markdown rows for docs/benchmarks.md). For profiling one side alone:
//! `http_client_bench corio|reqwest h1|h2 IN_FLIGHT REQUESTS` runs only that (one run,
//! after the warm-up) and prints its requests per second, so `strace -c -f` or
//! `perf stat` see one client, with this process's CPU time and context switches per
//! request. Both clients use rustls with the ring provider and the same CA, and run on
//! a 2-worker multi-thread runtime.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BODY: usize = 1024;

/// Runs of each measurement (alternating corio, reqwest); the table shows the best.
const RUNS: usize = 5;

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

/// CPU seconds (user + system) and voluntary and involuntary context switches of this
/// process so far (nginx, a child, is not counted): figures that the machine's load
/// disturbs less than requests per second.
fn usage() -> (f64, f64, f64) {
    // SAFETY: `getrusage` only writes the `rusage` it is given; all-zero is a valid one.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable `rusage`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    assert_eq!(rc, 0, "getrusage failed");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    (
        secs(u.ru_utime) + secs(u.ru_stime),
        u.ru_nvcsw as f64,
        u.ru_nivcsw as f64,
    )
}

/// CPU seconds used so far by this process's threads whose name starts with `prefix`
/// (`corio-worker`, `tokio-rt-worker`), from `/proc/self/task/*/schedstat`: each
/// client's own CPU time, even with both runtimes in one process.
fn thread_cpu(prefix: &str) -> f64 {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
        ns += stat
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0);
    }
    ns as f64 * 1e-9
}

const CORIO_THREADS: &str = "corio-worker";
const TOKIO_THREADS: &str = "tokio";

/// `corio|reqwest h1|h2 IN_FLIGHT REQUESTS`: one client alone.
struct Only {
    corio: bool,
    h2: bool,
    in_flight: usize,
    requests: usize,
}

fn parse_only() -> Option<Only> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        return None;
    }
    let usage = "usage: http_client_bench [corio|reqwest h1|h2 IN_FLIGHT REQUESTS]";
    assert_eq!(args.len(), 4, "{usage}");
    Some(Only {
        corio: match args[0].as_str() {
            "corio" => true,
            "reqwest" => false,
            _ => panic!("{usage}"),
        },
        h2: match args[1].as_str() {
            "h2" => true,
            "h1" => false,
            _ => panic!("{usage}"),
        },
        in_flight: args[2].parse().expect(usage),
        requests: args[3].parse().expect(usage),
    })
}

fn main() {
    let only = parse_only();
    let ca = corio_tls::testing::TestCa::new("bench CA");
    let (h2_port, h1_port) = (free_port(), free_port());
    let _nginx = start_nginx(&ca, h2_port, h1_port);
    let corio_rt = corio::Runtime::builder().worker_threads(2).build().unwrap();
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if only.is_none() {
        println!(
            "| protocol | in flight | requests | corio-http req/s | reqwest (tokio) req/s | ratio \
             | corio-http CPU µs/request | reqwest CPU µs/request |"
        );
        println!("|---|---|---|---|---|---|---|---|");
    }
    for (proto, port) in [("HTTP/1.1", h1_port), ("HTTP/2", h2_port)] {
        let url = format!("https://localhost:{port}/f.txt");
        let h2 = proto == "HTTP/2";
        if only.as_ref().is_some_and(|o| o.h2 != h2) {
            continue;
        }
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
        if let Some(o) = &only {
            let (n, c) = (o.requests, o.in_flight);
            if o.corio {
                corio_rt.block_on(run_corio(&session, &url, 500, 64));
            } else {
                tokio_rt.block_on(run_reqwest(&client, &url, 500, 64));
            }
            let threads = if o.corio {
                CORIO_THREADS
            } else {
                TOKIO_THREADS
            };
            let before = usage();
            let before_threads = thread_cpu(threads);
            let took = if o.corio {
                corio_rt.block_on(run_corio(&session, &url, n, c))
            } else {
                tokio_rt.block_on(run_reqwest(&client, &url, n, c))
            };
            let after = usage();
            let worker_cpu = thread_cpu(threads) - before_threads;
            let per = |a: f64, b: f64| (b - a) / n as f64;
            println!(
                "{:.0} requests/s; per request: {:.1} us CPU (this process), {:.1} us CPU \
                 (its workers), {:.2} voluntary and {:.2} involuntary context switches",
                n as f64 / took.as_secs_f64(),
                per(before.0, after.0) * 1e6,
                per(0.0, worker_cpu) * 1e6,
                per(before.1, after.1),
                per(before.2, after.2),
            );
            continue;
        }
        // Warm-up: connections, TLS sessions, caches.
        corio_rt.block_on(run_corio(&session, &url, 500, 64));
        tokio_rt.block_on(run_reqwest(&client, &url, 500, 64));
        for c in [1usize, 16, 64] {
            let n = if c == 1 { 3000 } else { 20_000 };
            // Best of RUNS for each, alternating; CPU time summed over all runs.
            let mut corio_best = Duration::MAX;
            let mut reqwest_best = Duration::MAX;
            let (corio_cpu, reqwest_cpu) = (thread_cpu(CORIO_THREADS), thread_cpu(TOKIO_THREADS));
            for _ in 0..RUNS {
                corio_best = corio_best.min(corio_rt.block_on(run_corio(&session, &url, n, c)));
                reqwest_best =
                    reqwest_best.min(tokio_rt.block_on(run_reqwest(&client, &url, n, c)));
            }
            let corio_cpu = thread_cpu(CORIO_THREADS) - corio_cpu;
            let reqwest_cpu = thread_cpu(TOKIO_THREADS) - reqwest_cpu;
            let corio_rps = n as f64 / corio_best.as_secs_f64();
            let reqwest_rps = n as f64 / reqwest_best.as_secs_f64();
            let per_request = |cpu: f64| cpu * 1e6 / (n * RUNS) as f64;
            println!(
                "| {proto} over TLS | {c} | {n} | {corio_rps:.0} | {reqwest_rps:.0} | {:.2}x | {:.1} | {:.1} |",
                corio_rps / reqwest_rps,
                per_request(corio_cpu),
                per_request(reqwest_cpu),
            );
        }
    }
}

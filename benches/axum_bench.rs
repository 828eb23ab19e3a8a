//! The axum app's JSON route on corio (`corio_hyper::serve`) and on tokio (hyper-util's
//! auto builder and `TowerToHyperService`, which is what `axum::serve` runs), loaded with
//! `wrk -t1` on loopback.
//!
//! ```text
//! cargo run -p corio-benches --release --example axum_bench               # the table
//! cargo run -p corio-benches --release --example axum_bench -- --secs 5 --rounds 3
//! cargo run -p corio-benches --release --example axum_bench -- --secs 1 --rounds 1 --conns 50
//! ```
//!
//! Each measurement starts this binary as a server (`serve corio|tokio`, one worker
//! thread) pinned to CPU 0 with `taskset`, and `wrk -t1 -cN -dS` pinned to CPU 1;
//! runtimes alternate within each round. CPU per request is the server process's
//! user+system time (from `/proc/PID/stat`) over the requests wrk completed.
//!
//! The route is `GET /items/{id}` of `examples/support/axum_app.rs` (shared state behind
//! a mutex, a JSON body); the app's rate-limit layer is left out on both sides because
//! corio's `RateLimiter` reads corio's clock, which the tokio server does not have.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

#[derive(Clone, serde::Serialize)]
struct Item {
    id: u64,
    name: String,
    qty: u32,
}

type Items = Arc<Mutex<BTreeMap<u64, Item>>>;

async fn get_item(State(items): State<Items>, Path(id): Path<u64>) -> Response {
    match items.lock().unwrap().get(&id) {
        Some(item) => Json(item.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "no such item").into_response(),
    }
}

fn app() -> Router {
    let mut items = BTreeMap::new();
    items.insert(
        1,
        Item {
            id: 1,
            name: "bolt".into(),
            qty: 3,
        },
    );
    Router::new()
        .route("/items/{id}", get(get_item))
        .with_state(Arc::new(Mutex::new(items)))
}

fn serve_corio(addr: SocketAddr) {
    let rt = corio::Runtime::builder()
        .multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = corio::net::TcpListener::bind(addr).await.unwrap();
        std::future::IntoFuture::into_future(corio_hyper::serve(listener, app()))
            .await
            .unwrap();
    });
}

fn serve_tokio(addr: SocketAddr) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let app = app();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            stream.set_nodelay(true).ok();
            let svc = TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let mut b = auto::Builder::new(TokioExecutor::new());
                b.http1().timer(TokioTimer::new());
                let _ = b
                    .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}

/// Reads user+system CPU ticks of `pid`.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); `after` starts at field 3.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

struct Run {
    rps: f64,
    cpu_us_per_req: f64,
}

fn measure(runtime: &str, conns: u32, secs: u32) -> Run {
    let addr = free_port();
    let mut server: Child = Command::new("taskset")
        .args(["-c", "0"])
        .arg(std::env::current_exe().unwrap())
        .args(["serve", runtime, &addr.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("taskset");
    // Wait for the listener.
    for _ in 0..200 {
        if std::net::TcpStream::connect(addr).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let url = format!("http://{addr}/items/1");
    // Warm-up (page faults, first connections), not measured.
    let _ = Command::new("wrk")
        .args(["-t1", "-c8", "-d1s", &url])
        .output();
    let before = cpu_ticks(server.id());
    let out = Command::new("taskset")
        .args([
            "-c",
            "1",
            "wrk",
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            &url,
        ])
        .output()
        .expect("wrk");
    let after = cpu_ticks(server.id());
    server.kill().ok();
    server.wait().ok();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx") && !text.contains("Socket errors"),
        "{text}"
    );
    let requests: f64 = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .map(|(n, _)| n.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("wrk output:\n{text}"));
    let rps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu_secs = (after - before) as f64 / hz;
    Run {
        rps,
        cpu_us_per_req: cpu_secs * 1e6 / requests,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let addr: SocketAddr = args[2].parse().unwrap();
        match args[1].as_str() {
            "corio" => serve_corio(addr),
            "tokio" => serve_tokio(addr),
            other => panic!("unknown runtime {other}"),
        }
        return;
    }
    let get = |flag: &str, default: u32| {
        args.iter()
            .position(|a| a == flag)
            .map(|i| args[i + 1].parse().unwrap())
            .unwrap_or(default)
    };
    let secs = get("--secs", 4);
    let rounds = get("--rounds", 2);
    let conns_list: Vec<u32> = args
        .iter()
        .position(|a| a == "--conns")
        .map(|i| {
            args[i + 1]
                .split(',')
                .map(|c| c.trim().parse().expect("--conns: comma-separated numbers"))
                .collect()
        })
        .unwrap_or_else(|| vec![1, 50, 256]);
    println!("| connections | runtime | requests/s (median of {rounds}) | CPU µs/request | ratio corio/tokio |");
    println!("|---|---|---|---|---|");
    for conns in conns_list {
        let mut corio = Vec::new();
        let mut tokio = Vec::new();
        for round in 0..rounds {
            // Alternate which runtime goes first.
            let order = if round % 2 == 0 {
                ["corio", "tokio"]
            } else {
                ["tokio", "corio"]
            };
            for rt in order {
                let r = measure(rt, conns, secs);
                eprintln!(
                    "c={conns} {rt}: {:.0} req/s, {:.1} µs CPU/req",
                    r.rps, r.cpu_us_per_req
                );
                if rt == "corio" {
                    corio.push(r)
                } else {
                    tokio.push(r)
                }
            }
        }
        let median = |v: &mut Vec<Run>| {
            v.sort_by(|a, b| a.rps.total_cmp(&b.rps));
            let m = &v[v.len() / 2];
            (m.rps, m.cpu_us_per_req)
        };
        let (c_rps, c_cpu) = median(&mut corio);
        let (t_rps, t_cpu) = median(&mut tokio);
        println!(
            "| {conns} | corio | {c_rps:.0} | {c_cpu:.1} | {:.2}× |",
            c_rps / t_rps
        );
        println!("| {conns} | tokio | {t_rps:.0} | {t_cpu:.1} | |");
    }
}

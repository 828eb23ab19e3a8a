//! A load generator for echo servers: N connections, each sending fixed-size messages
//! and waiting for the echo (ping-pong), for a fixed duration. Reports throughput
//! (MB/s, msgs/s) and round-trip latency percentiles (p50, p99).
//!
//! ```text
//! cargo run --release --example echo_bench -- --server corio --conns 64 --size 1024 --secs 5
//! cargo run --release --example echo_bench -- --server tokio --conns 64 --size 65536
//! cargo run --release --example echo_bench -- --addr 127.0.0.1:7878   # external server
//! ```
//!
//! The server (corio or tokio, chosen by `--server`) runs in-process on its own threads;
//! the load generator always runs on corio, so both servers see the same client.
//! DRAFT: needs the facade (`corio::net`, `corio::Runtime`) and tokio as a
//! dev-dependency of the crate hosting it (the benches crate).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt};

struct Args {
    server: String,
    addr: Option<String>,
    conns: usize,
    size: usize,
    secs: u64,
}

fn parse_args() -> Args {
    let mut a = Args { server: "corio".into(), addr: None, conns: 64, size: 1024, secs: 5 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => a.server = val(),
            "--addr" => a.addr = Some(val()),
            "--conns" => a.conns = val().parse().expect("--conns N"),
            "--size" => a.size = val().parse().expect("--size BYTES"),
            "--secs" => a.secs = val().parse().expect("--secs N"),
            other => panic!("unknown flag {other} (use --server corio|tokio, --addr, --conns, --size, --secs)"),
        }
    }
    a
}

fn start_corio_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = corio::Runtime::builder().multi_thread().build().expect("corio runtime");
        rt.block_on(async move {
            let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (s, _) = listener.accept().await.unwrap();
                corio::spawn(async move {
                    s.set_nodelay(true).ok();
                    let (mut r, mut w) = s.into_split();
                    let _ = futures::io::copy(&mut r, &mut w).await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

fn start_tokio_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    s.set_nodelay(true).ok();
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args = parse_args();
    let addr: SocketAddr = match (&args.addr, args.server.as_str()) {
        (Some(a), _) => a.parse().expect("--addr ip:port"),
        (None, "corio") => start_corio_server(),
        (None, "tokio") => start_tokio_server(),
        (None, other) => panic!("--server must be corio or tokio, not {other}"),
    };
    let (conns, size, secs) = (args.conns, args.size, args.secs);
    let rt = corio::Runtime::builder().multi_thread().build().expect("corio runtime");
    let results: Vec<(u64, Vec<Duration>)> = rt.block_on(async move {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let clients = (0..conns).map(|_| {
            corio::spawn(async move {
                let mut s = corio::net::TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let msg = vec![0xA5u8; size];
                let mut back = vec![0u8; size];
                let mut latencies = Vec::new();
                let mut count = 0u64;
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    s.write_all(&msg).await.unwrap();
                    s.read_exact(&mut back).await.unwrap();
                    latencies.push(t0.elapsed());
                    count += 1;
                }
                (count, latencies)
            })
        });
        futures::future::join_all(clients).await.into_iter().map(|r| r.unwrap()).collect()
    });
    let msgs: u64 = results.iter().map(|r| r.0).sum();
    let mut lat: Vec<Duration> = results.into_iter().flat_map(|r| r.1).collect();
    lat.sort_unstable();
    let secs_f = secs as f64;
    println!(
        "server={} conns={conns} size={size}B secs={secs}",
        args.addr.as_deref().unwrap_or(&args.server)
    );
    println!(
        "throughput: {:.1} MB/s, {:.0} msgs/s (each way)",
        (msgs as f64 * size as f64) / secs_f / 1e6,
        msgs as f64 / secs_f
    );
    println!("latency: p50 {:?}, p99 {:?}", percentile(&lat, 0.50), percentile(&lat, 0.99));
}

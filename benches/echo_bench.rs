//! A load generator for echo servers: corio (on epoll and on io_uring) and tokio echo
//! servers side by side on 127.0.0.1, driven by the same client. Each connection sends a fixed-size message and
//! waits for its echo (ping-pong); every run is bounded in time (`--secs`) and in count
//! (`--max-msgs` round trips per connection). It prints throughput (MB/s and messages/s,
//! one direction, MB = 10^6 bytes) and round-trip latency percentiles (p50, p99).
//!
//! ```text
//! cargo run -p corio-benches --release --example echo_bench            # the full sweep
//! cargo run -p corio-benches --release --example echo_bench -- --conns 64 --size 1024
//! cargo run -p corio-benches --release --example echo_bench -- --server corio --rounds 3
//! cargo run -p corio-benches --release --example echo_bench -- --addr 127.0.0.1:7878
//! ```
//!
//! By default it sweeps 1, 64 and 512 connections × 1 KiB and 64 KiB messages, 2 s per
//! run, running the corio, corio-uring and tokio runs of each point back to back (the
//! order reversed every other point), and ends with a comparison table; `--rounds R`
//! repeats each set and reports the median. The servers run in this process on their own
//! runtimes (default worker count, `--workers N` to set it) with the same hand-written
//! echo loop (64 KiB buffer, `TCP_NODELAY`); `corio-uring` is corio built with
//! `io_uring()` (epoll, with a notice, where the kernel refuses it). The client is a
//! single-threaded corio runtime on epoll whatever the server, so it is the same client
//! for all; it opens the connections before a run and starts the clock once all are
//! connected.

use std::fmt;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: echo_bench [--server corio,corio-uring,tokio] [--conns 1,64,512] [--size 1024,65536]
                  [--secs 2] [--rounds 1] [--max-msgs 10000000] [--workers N]
                  [--addr HOST:PORT]   (benchmark an external server instead)";

/// The echo loop's buffer size, the same for both servers.
const SERVER_BUF: usize = 64 * 1024;

/// The command line, parsed.
struct Args {
    servers: Vec<Server>,
    conns: Vec<usize>,
    sizes: Vec<usize>,
    secs: f64,
    rounds: usize,
    max_msgs: u64,
    workers: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Server {
    Corio,
    /// corio on its io_uring driver (`Runtime::builder().io_uring()`).
    CorioUring,
    Tokio,
    External(SocketAddr),
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Server::Corio => f.write_str("corio"),
            Server::CorioUring => f.write_str("corio-uring"),
            Server::Tokio => f.write_str("tokio"),
            Server::External(a) => write!(f, "{a}"),
        }
    }
}

fn parse_list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<Vec<T>, String> {
    v.split(',')
        .map(|x| {
            x.trim()
                .parse()
                .map_err(|_| format!("{flag}: bad value {x:?}"))
        })
        .collect()
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        servers: vec![Server::Corio, Server::CorioUring, Server::Tokio],
        conns: vec![1, 64, 512],
        sizes: vec![1024, 64 * 1024],
        secs: 2.0,
        rounds: 1,
        max_msgs: 10_000_000,
        workers: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        const FLAGS: [&str; 8] = [
            "--server",
            "--addr",
            "--conns",
            "--size",
            "--secs",
            "--rounds",
            "--max-msgs",
            "--workers",
        ];
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown flag {flag}"));
        }
        let val = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--server" => {
                a.servers = val
                    .split(',')
                    .map(|s| match s {
                        "corio" => Ok(Server::Corio),
                        "corio-uring" => Ok(Server::CorioUring),
                        "tokio" => Ok(Server::Tokio),
                        _ => Err(format!(
                            "--server: {s:?} is not corio, corio-uring or tokio"
                        )),
                    })
                    .collect::<Result<_, _>>()?
            }
            "--addr" => {
                let addr = val
                    .parse()
                    .map_err(|_| format!("--addr: {val:?} is not an ip:port"))?;
                a.servers = vec![Server::External(addr)];
            }
            "--conns" => a.conns = parse_list(&flag, &val)?,
            "--size" => a.sizes = parse_list(&flag, &val)?,
            "--secs" => a.secs = parse_list(&flag, &val)?[0],
            "--rounds" => a.rounds = parse_list(&flag, &val)?[0],
            "--max-msgs" => a.max_msgs = parse_list(&flag, &val)?[0],
            "--workers" => a.workers = Some(parse_list(&flag, &val)?[0]),
            _ => unreachable!("checked against FLAGS"),
        }
    }
    let positive = a.conns.iter().chain(&a.sizes).all(|&n| n > 0);
    if !positive || a.rounds == 0 || a.max_msgs == 0 || a.workers == Some(0) {
        return Err("counts and sizes must be at least 1".into());
    }
    if !(a.secs > 0.0 && a.secs < 3600.0) {
        return Err("--secs must be between 0 and 3600".into());
    }
    Ok(a)
}

/// Starts the corio echo server on its own thread (on io_uring if `uring`); returns its
/// address.
fn start_corio_server(workers: Option<usize>, uring: bool) -> SocketAddr {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let mut b = corio::Runtime::builder().multi_thread();
    b = if uring { b.io_uring() } else { b.epoll() };
    if let Some(n) = workers {
        b = b.worker_threads(n);
    }
    let rt = b.build().expect("corio runtime");
    let listener = rt
        .block_on(corio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    std::thread::spawn(move || {
        rt.block_on(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    continue;
                };
                drop(corio::spawn(async move {
                    s.set_nodelay(true).ok();
                    let mut buf = vec![0u8; SERVER_BUF];
                    while let Ok(n @ 1..) = s.read(&mut buf).await {
                        if s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }));
            }
        })
    });
    addr
}

/// Starts the tokio echo server on its own thread; returns its address.
fn start_tokio_server(workers: Option<usize>) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        b.worker_threads(n);
    }
    let rt = b.enable_all().build().expect("tokio runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    std::thread::spawn(move || {
        rt.block_on(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    continue;
                };
                drop(tokio::spawn(async move {
                    s.set_nodelay(true).ok();
                    let mut buf = vec![0u8; SERVER_BUF];
                    while let Ok(n @ 1..) = s.read(&mut buf).await {
                        if s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }));
            }
        })
    });
    addr
}

/// The result of one run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    mb_s: f64,
    msgs_s: f64,
    p50: Duration,
    p99: Duration,
}

/// The load generator: a single-threaded corio runtime, the same for every server.
struct Client {
    rt: corio::Runtime,
}

type Conn = corio::net::TcpStream;

impl Client {
    fn new() -> Client {
        let rt = corio::Runtime::builder()
            .current_thread()
            .build()
            .expect("corio runtime");
        Client { rt }
    }

    /// Opens `n` connections to `addr`, one after another (no SYN flood on the backlog).
    fn connect(&self, addr: SocketAddr, n: usize) -> std::io::Result<Vec<Conn>> {
        self.rt.block_on(async {
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                let s = Conn::connect(addr).await?;
                s.set_nodelay(true)?;
                v.push(s);
            }
            Ok(v)
        })
    }

    /// One run: every connection does ping-pong rounds of `size` bytes until `secs`
    /// have passed or it did `max_msgs` rounds. The connections are handed back.
    fn run(&self, conns: Vec<Conn>, size: usize, secs: f64, max_msgs: u64) -> (Vec<Conn>, Sample) {
        use futures::io::{AsyncReadExt, AsyncWriteExt};
        let (conns, lat, elapsed) = self.rt.block_on(async move {
            let start = Instant::now();
            let deadline = start + Duration::from_secs_f64(secs);
            let tasks: Vec<_> = conns
                .into_iter()
                .map(|mut s| {
                    corio::spawn(async move {
                        let msg = vec![0xA5u8; size];
                        let mut back = vec![0u8; size];
                        let mut lat = Vec::with_capacity(4096);
                        let mut now = Instant::now();
                        while now < deadline && (lat.len() as u64) < max_msgs {
                            s.write_all(&msg).await.expect("write to the echo server");
                            s.read_exact(&mut back).await.expect("read the echo");
                            let end = Instant::now();
                            lat.push((end - now).as_nanos() as u64);
                            now = end;
                        }
                        (s, lat, now)
                    })
                })
                .collect();
            let mut conns = Vec::with_capacity(tasks.len());
            let mut all = Vec::new();
            let mut last = start;
            for t in tasks {
                let (s, lat, end) = t.await.expect("client task");
                conns.push(s);
                all.extend(lat);
                last = last.max(end);
            }
            (conns, all, last - start)
        });
        let mut lat = lat;
        lat.sort_unstable();
        let pct = |p: f64| match lat.len() {
            0 => Duration::ZERO,
            n => Duration::from_nanos(lat[((n - 1) as f64 * p).round() as usize]),
        };
        let msgs_s = lat.len() as f64 / elapsed.as_secs_f64();
        let sample = Sample {
            mb_s: msgs_s * size as f64 / 1e6,
            msgs_s,
            p50: pct(0.50),
            p99: pct(0.99),
        };
        (conns, sample)
    }
}

fn median(mut v: Vec<Sample>) -> Sample {
    let mid = v.len() / 2;
    let by = |f: fn(&Sample) -> f64, v: &mut Vec<Sample>| {
        v.sort_by(|a, b| f(a).total_cmp(&f(b)));
        v[mid]
    };
    let tp = by(|s| s.mb_s, &mut v);
    let p50 = by(|s| s.p50.as_secs_f64(), &mut v).p50;
    let p99 = by(|s| s.p99.as_secs_f64(), &mut v).p99;
    Sample { p50, p99, ..tp }
}

fn size_name(size: usize) -> String {
    if size.is_multiple_of(1024) {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

fn us(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e6)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("echo_bench: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let servers: Vec<(Server, SocketAddr)> = args
        .servers
        .iter()
        .map(|s| {
            let addr = match s {
                Server::Corio => start_corio_server(args.workers, false),
                Server::CorioUring => start_corio_server(args.workers, true),
                Server::Tokio => start_tokio_server(args.workers),
                Server::External(a) => *a,
            };
            (s.clone(), addr)
        })
        .collect();
    let client = Client::new();
    // (conns, size) -> one median sample per server, in `servers` order.
    let mut table: Vec<(usize, usize, Vec<Sample>)> = Vec::new();
    for &n in &args.conns {
        let mut pools = Vec::new();
        for (server, addr) in &servers {
            match client.connect(*addr, n) {
                Ok(p) => pools.push(Some(p)),
                Err(e) => {
                    eprintln!("echo_bench: cannot connect {n} times to {server} at {addr}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        for &size in &args.sizes {
            let mut samples = vec![Vec::new(); servers.len()];
            for round in 0..args.rounds {
                // Back to back, alternating who goes first.
                let mut order: Vec<usize> = (0..servers.len()).collect();
                if (round + table.len()) % 2 == 1 {
                    order.reverse();
                }
                for i in order {
                    let pool = pools[i].take().expect("pool");
                    let (pool, s) = client.run(pool, size, args.secs, args.max_msgs);
                    pools[i] = Some(pool);
                    eprintln!(
                        "{:>6} conns {:>7} {:>16}: {:>8.1} MB/s {:>9.0} msgs/s  p50 {:>6} us  p99 {:>6} us",
                        n,
                        size_name(size),
                        servers[i].0.to_string(),
                        s.mb_s,
                        s.msgs_s,
                        us(s.p50),
                        us(s.p99)
                    );
                    samples[i].push(s);
                }
            }
            table.push((n, size, samples.into_iter().map(median).collect()));
        }
    }
    print_table(&servers, &table, args.rounds);
    ExitCode::SUCCESS
}

fn print_table(
    servers: &[(Server, SocketAddr)],
    table: &[(usize, usize, Vec<Sample>)],
    rounds: usize,
) {
    println!();
    println!(
        "echo ping-pong, 127.0.0.1, median of {rounds} round(s); MB/s one direction; latency in us"
    );
    let head: Vec<String> = servers.iter().map(|s| s.0.to_string()).collect();
    // Each corio server's throughput over tokio's, when tokio ran.
    let tokio = head.iter().position(|h| h == "tokio");
    let ratios: Vec<usize> = match tokio {
        Some(t) => (0..head.len()).filter(|&i| i != t).collect(),
        None => Vec::new(),
    };
    print!("| conns | msg    |");
    for h in &head {
        print!(" {h} MB/s | {h} msgs/s |");
    }
    for &i in &ratios {
        print!(" {}/tokio |", head[i]);
    }
    for h in &head {
        print!(" {h} p50/p99 |");
    }
    println!();
    for (n, size, s) in table {
        print!("| {n:>5} | {:<6} |", size_name(*size));
        for x in s {
            print!(" {:>10.1} | {:>12.0} |", x.mb_s, x.msgs_s);
        }
        if let Some(t) = tokio {
            for &i in &ratios {
                print!(" {:>5.2} |", s[i].mb_s / s[t].mb_s);
            }
        }
        for x in s {
            print!(" {:>13} |", format!("{}/{}", us(x.p50), us(x.p99)));
        }
        println!();
    }
}

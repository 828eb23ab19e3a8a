//! Criterion: corio and tokio echo servers side by side on 127.0.0.1, at 1 and 64
//! concurrent connections, with 1 KiB and 64 KiB messages.
//!
//! Each server runs on its own multi-thread runtime with the same echo loop (64 KiB
//! buffer, `TCP_NODELAY`). The client is the same for both: a single-threaded corio
//! runtime that keeps the connections open across iterations. One iteration is one
//! round of every connection sending one message and reading its echo back, so the
//! reported throughput is bytes echoed per second (one direction).
//!
//! `cargo bench -p corio-benches --bench net`; the longer sweep (up to 512 connections,
//! with latency percentiles) is the `echo_bench` example.

#![allow(missing_docs)]

use std::net::SocketAddr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::io::{AsyncReadExt, AsyncWriteExt};

const CONNS: [usize; 2] = [1, 64];
const SIZES: [usize; 2] = [1024, 64 * 1024];
const SERVER_BUF: usize = 64 * 1024;

/// The corio echo server, on its own runtime (kept alive by the returned value).
fn corio_server() -> (corio::Runtime, SocketAddr) {
    let rt = corio::Runtime::builder()
        .multi_thread()
        .build()
        .expect("corio runtime");
    let listener = rt
        .block_on(corio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    drop(rt.spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
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
    }));
    (rt, addr)
}

/// The tokio echo server, on its own runtime (kept alive by the returned value).
fn tokio_server() -> (tokio::runtime::Runtime, SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    drop(rt.spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
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
    }));
    (rt, addr)
}

/// Benchmarks the echo server at `addr` under the name `server`, with `client`.
fn bench_server(c: &mut Criterion, client: &corio::Runtime, server: &str, addr: SocketAddr) {
    let mut group = c.benchmark_group(format!("echo/{server}"));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    for conns in CONNS {
        let mut streams = client.block_on(async {
            let mut v = Vec::with_capacity(conns);
            for _ in 0..conns {
                let s = corio::net::TcpStream::connect(addr).await.expect("connect");
                s.set_nodelay(true).expect("nodelay");
                v.push(s);
            }
            v
        });
        for size in SIZES {
            let msg = vec![0xA5u8; size];
            let mut backs = vec![vec![0u8; size]; conns];
            group.throughput(Throughput::Bytes((conns * size) as u64));
            group.bench_function(BenchmarkId::new(format!("{conns}conn"), size), |b| {
                b.iter(|| {
                    client.block_on(futures::future::join_all(
                        streams.iter_mut().zip(&mut backs).map(|(s, back)| {
                            let msg = &msg;
                            async move {
                                s.write_all(msg).await.expect("write");
                                s.read_exact(back).await.expect("read");
                            }
                        }),
                    ))
                });
            });
        }
    }
    group.finish();
}

fn echo(c: &mut Criterion) {
    let client = corio::Runtime::builder()
        .current_thread()
        .build()
        .expect("corio runtime");
    let (_corio_rt, corio_addr) = corio_server();
    let (_tokio_rt, tokio_addr) = tokio_server();
    bench_server(c, &client, "corio", corio_addr);
    bench_server(c, &client, "tokio", tokio_addr);
}

criterion_group!(benches, echo);
criterion_main!(benches);

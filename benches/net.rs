//! Criterion: corio and tokio echo servers side by side on 127.0.0.1, at 1 and 64
//! concurrent connections, with 1 KiB and 64 KiB messages. Each iteration is one
//! round of every connection sending one message and reading its echo; the client
//! uses the same runtime as the server it measures.
//!
//! DRAFT for `benches/net_bench.rs` (the benches crate has corio, tokio, criterion).
//! Needs the facade (`corio::net`, `corio::Runtime`).

#![allow(missing_docs)]

use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const CONNS: [usize; 2] = [1, 64];
const SIZES: [usize; 2] = [1024, 64 * 1024];

fn corio_bench(c: &mut Criterion) {
    let rt = corio::Runtime::builder().multi_thread().build().unwrap();
    let addr: SocketAddr = rt.block_on(async {
        let l = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        corio::spawn(async move {
            loop {
                let (s, _) = l.accept().await.unwrap();
                corio::spawn(async move {
                    s.set_nodelay(true).ok();
                    let (mut r, mut w) = s.into_split();
                    let _ = futures::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    });
    let mut group = c.benchmark_group("echo/corio");
    for conns in CONNS {
        for size in SIZES {
            let streams = rt.block_on(async {
                let mut v = Vec::new();
                for _ in 0..conns {
                    let s = corio::net::TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    v.push(s);
                }
                v
            });
            let streams = std::sync::Arc::new(futures::lock::Mutex::new(streams));
            group.throughput(Throughput::Bytes((conns * size) as u64));
            group.bench_with_input(BenchmarkId::new(format!("{conns}conn"), size), &size, |b, &size| {
                b.iter(|| {
                    let streams = streams.clone();
                    rt.block_on(async move {
                        let mut streams = streams.lock().await;
                        let msg = vec![1u8; size];
                        let rounds = streams.iter_mut().map(|s| {
                            let msg = &msg;
                            async move {
                                use futures::io::{AsyncReadExt, AsyncWriteExt};
                                let mut back = vec![0u8; size];
                                let (mut r, mut w) = s.split();
                                let (a, b) = futures::join!(w.write_all(msg), r.read_exact(&mut back));
                                a.unwrap();
                                b.unwrap();
                            }
                        });
                        futures::future::join_all(rounds).await;
                    })
                });
            });
        }
    }
    group.finish();
}

fn tokio_bench(c: &mut Criterion) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let addr: SocketAddr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                tokio::spawn(async move {
                    s.set_nodelay(true).ok();
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    });
    let mut group = c.benchmark_group("echo/tokio");
    for conns in CONNS {
        for size in SIZES {
            let streams = rt.block_on(async {
                let mut v = Vec::new();
                for _ in 0..conns {
                    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    v.push(s);
                }
                v
            });
            let streams = std::sync::Arc::new(tokio::sync::Mutex::new(streams));
            group.throughput(Throughput::Bytes((conns * size) as u64));
            group.bench_with_input(BenchmarkId::new(format!("{conns}conn"), size), &size, |b, &size| {
                b.iter(|| {
                    let streams = streams.clone();
                    rt.block_on(async move {
                        let mut streams = streams.lock().await;
                        let msg = vec![1u8; size];
                        let rounds = streams.iter_mut().map(|s| {
                            let msg = &msg;
                            async move {
                                let mut back = vec![0u8; size];
                                let (mut r, mut w) = s.split();
                                let (a, b) = tokio::join!(w.write_all(msg), r.read_exact(&mut back));
                                a.unwrap();
                                b.unwrap();
                            }
                        });
                        futures::future::join_all(rounds).await;
                    })
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, corio_bench, tokio_bench);
criterion_main!(benches);

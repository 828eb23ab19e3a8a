//! Criterion: issue 15's I/O utilities next to tokio's.
//!
//! - `copy_bidirectional`: a TCP proxy on 127.0.0.1 (client → proxy → echo server), 64
//!   connections each sending 1 MiB and reading its 1 MiB echo back through the proxy.
//!   Each side runs everything (echo server, proxy, clients) on its own multi-thread
//!   runtime with its own `copy_bidirectional`. Throughput: bytes through the proxy in
//!   both directions per second.
//! - `lines`: 1 000 000 lines decoded from memory by corio's `LinesCodec` and by
//!   tokio-util's `LinesCodec`, each through its own `FramedRead`, driven by the same
//!   `futures::executor::block_on` (no runtime, no I/O: the codec and framing cost only).
//!
//! `cargo bench -p corio-benches --bench io`

#![allow(missing_docs)]

use std::net::SocketAddr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::StreamExt;

const CONNS: usize = 64;
const PER_CONN: usize = 1 << 20;
const LINES: usize = 1_000_000;

fn corio_proxy_round(rt: &corio::Runtime, proxy: SocketAddr) {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    rt.block_on(async move {
        let clients: Vec<_> = (0..CONNS)
            .map(|_| {
                corio::spawn(async move {
                    let s = corio::net::TcpStream::connect(proxy).await.unwrap();
                    let (mut rd, mut wr) = s.into_split();
                    let send = async {
                        let chunk = vec![7u8; 64 * 1024];
                        for _ in 0..PER_CONN / chunk.len() {
                            wr.write_all(&chunk).await.unwrap();
                        }
                        wr.close().await.unwrap();
                    };
                    let recv = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        let mut total = 0;
                        loop {
                            let n = rd.read(&mut buf).await.unwrap();
                            if n == 0 {
                                break total;
                            }
                            total += n;
                        }
                    };
                    let ((), got) = futures::join!(send, recv);
                    assert_eq!(got, PER_CONN);
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

fn corio_setup() -> (corio::Runtime, SocketAddr) {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let rt = corio::Runtime::builder().multi_thread().build().unwrap();
    let proxy = rt.block_on(async {
        let echo = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_addr = echo.local_addr().unwrap();
        drop(corio::spawn(async move {
            while let Ok((s, _)) = echo.accept().await {
                drop(corio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut s = s;
                    while let Ok(n @ 1..) = s.read(&mut buf).await {
                        if s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                    let _ = s.close().await;
                }));
            }
        }));
        let front = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = front.local_addr().unwrap();
        drop(corio::spawn(async move {
            while let Ok((mut client, _)) = front.accept().await {
                drop(corio::spawn(async move {
                    let mut up = corio::net::TcpStream::connect(echo_addr).await.unwrap();
                    let _ = corio::io::copy_bidirectional(&mut client, &mut up).await;
                }));
            }
        }));
        proxy
    });
    (rt, proxy)
}

fn tokio_setup() -> (tokio::runtime::Runtime, SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt.block_on(async {
        let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_addr = echo.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n @ 1..) = s.read(&mut buf).await {
                        if s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                    let _ = s.shutdown().await;
                });
            }
        });
        let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = front.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = front.accept().await {
                tokio::spawn(async move {
                    let mut up = tokio::net::TcpStream::connect(echo_addr).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
                });
            }
        });
        proxy
    });
    (rt, proxy)
}

fn tokio_proxy_round(rt: &tokio::runtime::Runtime, proxy: SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    rt.block_on(async move {
        let clients: Vec<_> = (0..CONNS)
            .map(|_| {
                tokio::spawn(async move {
                    let s = tokio::net::TcpStream::connect(proxy).await.unwrap();
                    let (mut rd, mut wr) = s.into_split();
                    let send = async {
                        let chunk = vec![7u8; 64 * 1024];
                        for _ in 0..PER_CONN / chunk.len() {
                            wr.write_all(&chunk).await.unwrap();
                        }
                        wr.shutdown().await.unwrap();
                    };
                    let recv = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        let mut total = 0;
                        loop {
                            let n = rd.read(&mut buf).await.unwrap();
                            if n == 0 {
                                break total;
                            }
                            total += n;
                        }
                    };
                    let ((), got) = tokio::join!(send, recv);
                    assert_eq!(got, PER_CONN);
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

fn copy_bidirectional(c: &mut Criterion) {
    let mut group = c.benchmark_group("copy_bidirectional_proxy_64x1MiB");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes((2 * CONNS * PER_CONN) as u64));
    let (crt, caddr) = corio_setup();
    group.bench_function("corio", |b| b.iter(|| corio_proxy_round(&crt, caddr)));
    drop(crt);
    let (trt, taddr) = tokio_setup();
    group.bench_function("tokio", |b| b.iter(|| tokio_proxy_round(&trt, taddr)));
    drop(trt);
    group.finish();
}

fn lines_input() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..LINES {
        v.extend_from_slice(format!("line {i} of the lines codec benchmark\n").as_bytes());
    }
    v
}

fn lines(c: &mut Criterion) {
    let input = lines_input();
    let mut group = c.benchmark_group("lines_codec_1M_lines");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("corio", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let mut s = corio::io::codec::FramedRead::new(
                    &input[..],
                    corio::io::codec::LinesCodec::new(),
                );
                let mut n = 0;
                while let Some(line) = s.next().await {
                    n += line.unwrap().len();
                }
                n
            })
        })
    });
    group.bench_function("tokio_util", |b| {
        b.iter(|| {
            futures::executor::block_on(async {
                let mut s = tokio_util::codec::FramedRead::new(
                    &input[..],
                    tokio_util::codec::LinesCodec::new(),
                );
                let mut n = 0;
                while let Some(line) = s.next().await {
                    n += line.unwrap().len();
                }
                n
            })
        })
    });
    group.finish();
}

criterion_group!(benches, lines, copy_bidirectional);
criterion_main!(benches);

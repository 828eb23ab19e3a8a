//! The io_uring driver (`Runtime::builder().io_uring()`, `CORIO_IO=uring`): selection and
//! fallback, TCP and Unix streams on completion I/O, and buffer ownership under
//! cancellation (the numbered rules of `corio_reactor`'s `uring` module).
//!
//! Where the kernel refuses io_uring these tests check the fallback instead; with `CI=1`
//! a refused io_uring fails them (CI machines have it).

mod support;

use std::io;
use std::pin::pin;
use std::process::Command;
use std::task::Poll;

use corio::net::{TcpListener, TcpStream, UnixStream};
use corio::runtime::io_driver;
use corio::Runtime;
use corio_test_util::{poll_once, Rng};
use futures::io::{AsyncReadExt, AsyncWriteExt};

use support::on;

/// Both flavors on io_uring (real time: the tests wait on the kernel).
fn uring_runtimes() -> [(&'static str, Runtime); 2] {
    [
        (
            "current_thread",
            Runtime::builder()
                .current_thread()
                .io_uring()
                .build()
                .unwrap(),
        ),
        (
            "multi_thread",
            Runtime::builder()
                .multi_thread()
                .worker_threads(2)
                .io_uring()
                .build()
                .unwrap(),
        ),
    ]
}

/// The test that counts this process's descriptors takes it exclusively; every other
/// test (they open sockets, pipes to children) shares it, so the count sees only its own.
static FDS: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn shared_fds() -> std::sync::RwLockReadGuard<'static, ()> {
    FDS.read().unwrap_or_else(|e| e.into_inner())
}

/// Whether io_uring is available; with `CI=1` it must be.
fn have_uring() -> bool {
    let ok = corio_reactor::UringReactor::new().is_ok();
    if !ok && std::env::var_os("CI").is_some() {
        panic!("io_uring refused on a CI machine");
    }
    ok
}

#[test]
fn builder_and_env_select_the_driver() {
    let _fds = shared_fds();
    if !have_uring() {
        return;
    }
    for (flavor, rt) in uring_runtimes() {
        assert_eq!(
            on(&rt, async { io_driver() }).unwrap(),
            "io_uring",
            "{flavor}"
        );
    }
    let rt = Runtime::builder().current_thread().epoll().build().unwrap();
    assert_eq!(rt.block_on(async { io_driver() }).unwrap(), "epoll");
    // CORIO_IO in a child process (the environment is process-wide).
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_reports_its_driver", "--nocapture"])
        .env("CORIO_IO", "uring")
        .env("CORIO_URING_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("driver=io_uring"), "{stdout}");
}

#[test]
fn a_refused_io_uring_falls_back_to_epoll_with_one_notice() {
    let _fds = shared_fds();
    for (refuse, why) in [
        ("setup", "io_uring_setup refused"),
        ("probe", "lacks the IORING_OP_RECV"),
    ] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_reports_its_driver", "--nocapture"])
            .env("CORIO_IO", "uring")
            .env("CORIO_URING_REFUSE", refuse)
            .env("CORIO_URING_CHILD", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}{stderr}");
        // The program still runs (its TCP echo worked), on epoll.
        assert!(stdout.contains("driver=epoll echo=ok"), "{stdout}");
        let notices: Vec<_> = stderr
            .lines()
            .filter(|l| l.starts_with("corio: io_uring unavailable"))
            .collect();
        assert_eq!(notices.len(), 1, "{stderr}");
        assert!(notices[0].contains(why), "{stderr}");
        assert!(notices[0].ends_with("falling back to epoll"), "{stderr}");
    }
}

/// Run by the two tests above in a child process (does nothing otherwise).
#[test]
fn child_reports_its_driver() {
    if std::env::var_os("CORIO_URING_CHILD").is_none() {
        return;
    }
    let rt = Runtime::builder().current_thread().build().unwrap();
    let (driver, echo) = rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        c.write_all(b"ping").await.unwrap();
        let mut b = [0; 4];
        s.read_exact(&mut b).await.unwrap();
        (io_driver().unwrap(), &b == b"ping")
    });
    println!("driver={driver} echo={}", if echo { "ok" } else { "bad" });
}

async fn echo_server(l: TcpListener, conns: usize) {
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (s, _) = l.accept().await.unwrap();
        tasks.push(corio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = (&s).read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                (&s).write_all(&buf[..n]).await.unwrap();
            }
            (&s).close().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[test]
fn tcp_echo_1k_and_64k_over_many_connections() {
    let _fds = shared_fds();
    if !have_uring() {
        return;
    }
    for (flavor, rt) in uring_runtimes() {
        for (conns, size, rounds) in [(1usize, 1024usize, 50usize), (64, 1024, 10), (16, 65536, 4)]
        {
            on(&rt, async move {
                let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = l.local_addr().unwrap();
                let server = corio::spawn(echo_server(l, conns));
                let mut clients = Vec::new();
                for c in 0..conns {
                    clients.push(corio::spawn(async move {
                        let mut s = TcpStream::connect(addr).await.unwrap();
                        let msg: Vec<u8> = (0..size).map(|i| (i * 7 + c) as u8).collect();
                        let mut back = vec![0u8; size];
                        for _ in 0..rounds {
                            s.write_all(&msg).await.unwrap();
                            s.read_exact(&mut back).await.unwrap();
                            assert_eq!(back, msg);
                        }
                        s.close().await.unwrap();
                        let mut rest = Vec::new();
                        s.read_to_end(&mut rest).await.unwrap();
                        assert!(rest.is_empty());
                    }));
                }
                for c in clients {
                    c.await.unwrap();
                }
                server.await.unwrap();
            });
            let _ = flavor;
        }
    }
}

/// The echo test again in child processes with multishot receive into a pool of
/// provided buffers (`CORIO_URING_BUFS`): 1024 buffers; 2 buffers (the multishot
/// receives run out, `ENOBUFS`, and fall back to plain receives); and the pool refused
/// (as on a kernel before 6.0: plain receives only). Same bytes back.
#[test]
fn echo_with_a_buffer_pool_exhausted_or_missing() {
    let _fds = shared_fds();
    if !have_uring() {
        return;
    }
    for (var, value) in [
        ("CORIO_URING_REFUSE", "none"),
        ("CORIO_URING_BUFS", "2"),
        ("CORIO_URING_REFUSE", "bufring"),
    ] {
        let bufs = if var == "CORIO_URING_BUFS" {
            value
        } else {
            "1024"
        };
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "tcp_echo_1k_and_64k_over_many_connections"])
            .env("CORIO_URING_BUFS", bufs)
            .env(var, value)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{var}={value}: {stdout}{stderr}");
        assert!(stdout.contains("1 passed"), "{var}={value}: {stdout}");
        assert!(
            !stderr.contains("falling back to epoll"),
            "{var}={value}: {stderr}"
        );
    }
}

/// 100 000 read futures dropped at random points (never polled, polled once so the
/// `RECV` is in the kernel, or after the completion arrived) while the peer writes a
/// numbered byte stream in random bursts: the stream still reads every byte exactly
/// once, in order (rule 1 of the stream module: the dropped future's operation belongs
/// to the stream). Then 2 000 streams are dropped with a `RECV` in flight and the peer
/// writes right after: the orphaned buffers take the data (rules 2–3; under valgrind,
/// no invalid write).
#[test]
fn dropping_100k_in_flight_reads_loses_nothing() {
    let _fds = shared_fds();
    if !have_uring() {
        return;
    }
    let rt = Runtime::builder()
        .current_thread()
        .io_uring()
        .build()
        .unwrap();
    on(&rt, async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut ar = &a;
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut sent: u64 = 0;
        let mut got: u64 = 0;
        let mut buf = [0u8; 512];
        for i in 0..100_000u32 {
            if rng.below(3) == 0 {
                let n = 1 + rng.below(700);
                let burst: Vec<u8> = (0..n as u64).map(|k| ((sent + k) % 251) as u8).collect();
                (&b).write_all(&burst).await.unwrap();
                sent += n as u64;
            }
            let n = {
                let mut read = pin!(ar.read(&mut buf));
                let mut n = 0;
                if rng.below(4) != 0 {
                    // Polled once: the RECV goes to the kernel (or buffered bytes come
                    // back at once).
                    match poll_once(&mut read) {
                        Poll::Ready(r) => n = r.unwrap(),
                        Poll::Pending if rng.below(2) == 0 => {
                            // Let the driver run (the completion may arrive), then drop.
                            corio::task::yield_now().await;
                        }
                        Poll::Pending => {}
                    }
                }
                n
            }; // the read future is dropped here
            for &x in &buf[..n] {
                assert_eq!(x as u64, got % 251, "byte {got} at round {i}");
                got += 1;
            }
        }
        // Drain: everything sent arrives exactly once.
        drop(b);
        let mut rest = Vec::new();
        (&a).read_to_end(&mut rest).await.unwrap();
        for x in rest {
            assert_eq!(x as u64, got % 251);
            got += 1;
        }
        assert_eq!(got, sent);

        for _ in 0..2_000 {
            let (a, b) = UnixStream::pair().unwrap();
            {
                let mut ar = &a;
                let mut read = pin!(ar.read(&mut buf));
                assert!(poll_once(&mut read).is_pending());
            }
            corio::task::yield_now().await; // the RECV reaches the kernel
            drop(a); // cancels it; the slot keeps the buffer
            let _ = (&b).write_all(&[7u8; 300]).await; // may land in the orphan
        }
    });
}

#[test]
fn write_behind_reports_errors_and_close_flushes() {
    let _fds = shared_fds();
    if !have_uring() {
        return;
    }
    for (_flavor, rt) in uring_runtimes() {
        on(&rt, async {
            // A write to a reset peer fails (on the write or the flush after it).
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let (s, _) = l.accept().await.unwrap();
            let s2 = socket2::SockRef::from(s.get_ref());
            s2.set_linger(Some(std::time::Duration::ZERO)).unwrap();
            drop(s);
            let mut failed = None;
            for _ in 0..100 {
                let r = match (&c).write_all(&[1u8; 1024]).await {
                    Ok(()) => (&c).flush().await,
                    Err(e) => Err(e),
                };
                if let Err(e) = r {
                    failed = Some(e);
                    break;
                }
                corio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            let e = failed.expect("writes to a reset peer must fail");
            assert!(
                matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                ),
                "{e:?}"
            );

            // 1 MiB written, then the owned write half dropped at once: the peer reads
            // every byte, then EOF (the shutdown waits for the send in flight).
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let (s, _) = l.accept().await.unwrap();
            let reader = corio::spawn(async move {
                let mut all = Vec::new();
                (&s).read_to_end(&mut all).await.unwrap();
                all
            });
            let (_rd, mut wr) = c.into_split();
            let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 253) as u8).collect();
            wr.write_all(&data).await.unwrap();
            drop(wr);
            assert_eq!(reader.await.unwrap(), data);
        });
    }
}

/// Multishot accept: 200 connections accepted through the one operation; then a
/// listener dropped with connections accepted by the kernel but never taken closes
/// them all (the peer sees EOF, no descriptor leaks).
#[test]
fn multishot_accept_serves_all_and_a_dropped_listener_leaks_nothing() {
    let _fds = FDS.write().unwrap_or_else(|e| e.into_inner());
    if !have_uring() {
        return;
    }
    let fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    for (_flavor, rt) in uring_runtimes() {
        on(&rt, async move {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let server = corio::spawn(echo_server(l, 200));
            let mut clients = Vec::new();
            for _ in 0..200 {
                clients.push(corio::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.write_all(b"hi").await.unwrap();
                    let mut b = [0; 2];
                    s.read_exact(&mut b).await.unwrap();
                    assert_eq!(&b, b"hi");
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            server.await.unwrap();

            let before = fds();
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let (first, _) = {
                let c = corio::spawn(TcpStream::connect(addr));
                let a = l.accept().await.unwrap();
                (a, c.await.unwrap().unwrap())
            };
            drop(first);
            // Five more connect; the armed multishot accept takes them in the kernel.
            let mut peers = Vec::new();
            for _ in 0..5 {
                peers.push(TcpStream::connect(addr).await.unwrap());
            }
            corio::time::sleep(std::time::Duration::from_millis(20)).await;
            drop(l);
            for p in peers {
                let mut rest = Vec::new();
                let r = (&p).read_to_end(&mut rest).await;
                assert!(r.is_ok() || r.unwrap_err().kind() == io::ErrorKind::ConnectionReset);
            }
            corio::time::sleep(std::time::Duration::from_millis(20)).await;
            assert!(fds() <= before, "descriptors leaked: {before} -> {}", fds());
        });
    }
}

/// A connection reset while it waits in the listener's backlog is still accepted, with
/// its peer's address, as `accept(2)` on epoll does (the multishot accept cannot return
/// addresses and `getpeername` answers `ENOTCONN` for it); its first read reports the
/// reset. IPv4 and IPv6 listeners (the address sizes differ).
#[test]
fn a_connection_reset_in_the_backlog_is_accepted_with_its_address() {
    let _fds = shared_fds();
    if !have_uring() {
        return;
    }
    for (flavor, rt) in uring_runtimes() {
        on(&rt, async move {
            for host in ["127.0.0.1:0", "[::1]:0"] {
                let Ok(l) = TcpListener::bind(host).await else {
                    continue; // no IPv6 loopback here
                };
                let addr = l.local_addr().unwrap();
                let client = std::net::TcpStream::connect(addr).unwrap();
                let client_addr = client.local_addr().unwrap();
                socket2::SockRef::from(&client)
                    .set_linger(Some(std::time::Duration::ZERO))
                    .unwrap();
                drop(client); // RST while the connection waits to be accepted
                let (s, peer) = l.accept().await.unwrap();
                assert_eq!(peer, client_addr, "{flavor} {host}");
                let mut b = [0u8; 8];
                let r = (&s).read(&mut b).await;
                assert!(
                    matches!(&r, Ok(0))
                        || r.as_ref().unwrap_err().kind() == io::ErrorKind::ConnectionReset,
                    "{flavor} {host}: {r:?}"
                );
            }
        });
    }
}

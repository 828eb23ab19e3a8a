//! Accept under descriptor exhaustion, at the facade level: an accept loop running as a
//! corio task sees `EMFILE` (the process's `RLIMIT_NOFILE` is lowered to the next free
//! descriptor), keeps running, and serves every pending client once descriptors are
//! available again. Own test binary: the limit is process-wide.
//!
//! (`corio` has no `libc` dev-dependency; the two rlimit calls are declared here.)
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use corio::net::{TcpListener, TcpSocket};
use futures::io::{AsyncReadExt, AsyncWriteExt};

const RLIMIT_NOFILE: i32 = 7;
const EMFILE: i32 = 24;

#[repr(C)]
struct Rlimit {
    cur: u64,
    max: u64,
}

extern "C" {
    fn getrlimit(resource: i32, rlim: *mut Rlimit) -> i32;
    fn setrlimit(resource: i32, rlim: *const Rlimit) -> i32;
}

/// Sets the soft descriptor limit; returns the old one.
fn set_soft_limit(n: u64) -> u64 {
    let mut lim = Rlimit { cur: 0, max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit (the C layout: two 64-bit words).
    assert_eq!(unsafe { getrlimit(RLIMIT_NOFILE, &mut lim) }, 0);
    let old = lim.cur;
    lim.cur = n;
    // SAFETY: `lim` is a valid rlimit; lowering, or restoring up to the hard limit, is
    // always allowed.
    assert_eq!(unsafe { setrlimit(RLIMIT_NOFILE, &lim) }, 0);
    old
}

/// The lowest descriptor number not in use (the next `open` would get it).
fn lowest_free_fd() -> u64 {
    let f = std::fs::File::open("/dev/null").unwrap();
    f.as_raw_fd() as u64
}

#[test]
fn accept_loop_survives_emfile_and_recovers() {
    let rt = corio::Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let errors = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let server = {
        let (errors, served) = (errors.clone(), served.clone());
        rt.spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((mut conn, _)) => {
                        let served = served.clone();
                        let _detached = corio::spawn(async move {
                            let mut buf = [0u8; 4];
                            conn.read_exact(&mut buf).await.unwrap();
                            conn.write_all(&buf).await.unwrap();
                            served.fetch_add(1, SeqCst);
                        });
                    }
                    Err(e) => {
                        assert_eq!(e.raw_os_error(), Some(EMFILE), "unexpected: {e}");
                        errors.fetch_add(1, SeqCst);
                        // Back off, as a real server would, and try again.
                        corio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
        })
    };

    // A first client is served normally.
    let mut first = std::net::TcpStream::connect(addr).unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    first.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    first.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");

    // Client sockets are created while descriptors are available; then the limit drops
    // to the next free descriptor, and they connect (connecting needs no new one). The
    // handshakes complete in the kernel's backlog; the server's accept gets EMFILE.
    let sockets: Vec<TcpSocket> =
        rt.block_on(async { (0..7).map(|_| TcpSocket::new_v4().unwrap()).collect() });
    let old = set_soft_limit(lowest_free_fd());
    let pending: Vec<corio::net::TcpStream> = rt.block_on(async {
        let mut streams = Vec::new();
        for s in sockets {
            streams.push(s.connect(addr).await.unwrap());
        }
        // Wait (bounded) until the accept loop has hit EMFILE a few times.
        for _ in 0..10_000 {
            if errors.load(SeqCst) >= 3 {
                break;
            }
            corio::time::sleep(Duration::from_millis(1)).await;
        }
        streams
    });
    set_soft_limit(old);
    let hit = errors.load(SeqCst);
    assert!(hit >= 3, "the accept loop never saw EMFILE ({hit})");
    assert_eq!(served.load(SeqCst), 1, "accepted while out of descriptors?");

    // Descriptors are back: every pending client is served.
    let clients = pending.len() + 1;
    rt.block_on(async {
        for mut c in pending {
            c.write_all(b"pong").await.unwrap();
            let mut buf = [0u8; 4];
            let read = corio::time::timeout(Duration::from_secs(10), c.read_exact(&mut buf));
            read.await
                .expect("a pending client was never served")
                .unwrap();
            assert_eq!(&buf, b"pong");
        }
    });
    for _ in 0..10_000 {
        if served.load(SeqCst) == clients {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(served.load(SeqCst), clients);
    // And new clients too.
    let mut late = std::net::TcpStream::connect(addr).unwrap();
    late.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    late.write_all(b"late").unwrap();
    late.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"late");
    assert!(!server.is_finished(), "the accept loop stopped");
    server.abort();
    assert!(rt.block_on(server).unwrap_err().is_cancelled());
}

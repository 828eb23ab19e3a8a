//! Loopback echo under peer resets: many clients (at most 200 at a time, to stay well
//! under descriptor limits) send a random payload to a corio echo server; about one in
//! five resets its connection part-way (`SO_LINGER` 0, then close: the kernel sends RST).
//!
//! Asserts: every client that did not reset gets its exact bytes back; the server keeps
//! serving (a clean client after the storm still echoes); every connection task ends
//! (a live-connection counter returns to 0 and `Handle::num_alive_tasks()` to its
//! baseline); the accept loop saw no error.
//!
//! Size: 2 000 connections per runtime by default; `CORIO_STRESS=big` runs 10 000,
//! `CORIO_STRESS=<factor>` scales the default.

mod stress_support;

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::Semaphore;
use corio::{Handle, Runtime};
use futures::io::{AsyncReadExt, AsyncWriteExt};

use stress_support::{on, settle, size, Rng, Watchdog};

const CONCURRENCY: usize = 200;
const MAX_PAYLOAD: usize = 32 * 1024;

#[derive(Default)]
struct Stats {
    /// Connection tasks alive now.
    live: AtomicUsize,
    accepted: AtomicUsize,
    /// Connections that ended with an error (a reset peer).
    errored: AtomicUsize,
    accept_errors: AtomicUsize,
}

/// Counts a connection task while it is alive.
struct Live(Arc<Stats>);
impl Drop for Live {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, SeqCst);
    }
}

async fn echo(stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 8 * 1024];
    loop {
        let n = (&stream).read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        (&stream).write_all(&buf[..n]).await?;
    }
}

async fn serve(listener: TcpListener, stats: Arc<Stats>) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                // A connection reset while in the backlog (ECONNABORTED) is the only
                // expected error; count everything and keep serving.
                eprintln!("accept: {e}");
                stats.accept_errors.fetch_add(1, SeqCst);
                continue;
            }
        };
        stats.accepted.fetch_add(1, SeqCst);
        stats.live.fetch_add(1, SeqCst);
        let live = Live(stats.clone());
        // Detached: the live counter tracks it.
        let _detached = corio::spawn(async move {
            if echo(stream).await.is_err() {
                live.0.errored.fetch_add(1, SeqCst);
            }
            drop(live);
        });
    }
}

fn payload(rng: &mut Rng) -> Vec<u8> {
    let len = 1 + rng.below(MAX_PAYLOAD);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// Sets `SO_LINGER` to 0 and closes: the peer gets RST instead of FIN.
fn reset(stream: TcpStream) {
    socket2::SockRef::from(stream.get_ref())
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

/// One client; returns whether it reset its connection.
async fn client(addr: SocketAddr, mut rng: Rng) -> bool {
    let data = payload(&mut rng);
    let stream = TcpStream::connect(addr).await.unwrap();
    if rng.one_in(5) {
        // Part of the payload, maybe part of the echo, then RST.
        let part = rng.below(data.len() + 1);
        (&stream).write_all(&data[..part]).await.unwrap();
        if rng.one_in(2) && part > 0 {
            let mut some = vec![0u8; 1 + rng.below(part)];
            let n = (&stream).read(&mut some).await.unwrap();
            assert_eq!(&some[..n], &data[..n], "echo corrupted before the reset");
        }
        reset(stream);
        return true;
    }
    let write = async {
        (&stream).write_all(&data).await.unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
    };
    let read = async {
        let mut got = Vec::with_capacity(data.len());
        (&stream).read_to_end(&mut got).await.unwrap();
        got
    };
    let ((), got) = futures::join!(write, read);
    assert!(
        got == data,
        "echo differs: sent {} bytes, got {}",
        data.len(),
        got.len()
    );
    false
}

fn storm(rt: &Runtime, flavor: &'static str, conns: usize, seed: u64) {
    let _guard = Watchdog::arm(flavor, Duration::from_secs(300));
    on(rt, async move {
        let handle = Handle::current();
        let baseline = handle.num_alive_tasks();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(Stats::default());
        let server = corio::spawn(serve(listener, stats.clone()));

        let limit = Arc::new(Semaphore::new(CONCURRENCY));
        let mut rng = Rng::new(seed);
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                let limit = limit.clone();
                let rng = Rng::new(rng.next());
                corio::spawn(async move {
                    let _permit = limit.acquire_owned().await.unwrap();
                    client(addr, rng).await
                })
            })
            .collect();
        let mut resets = 0;
        for c in clients {
            match c.await {
                Ok(true) => resets += 1,
                Ok(false) => {}
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        assert!(resets > 0, "{flavor}: no client reset");

        // The server keeps serving.
        assert!(!client_clean(addr).await.is_empty());
        let total = conns + 1;
        settle("server accepted every client", 20_000, || {
            stats.accepted.load(SeqCst) == total
        })
        .await;
        settle("connection tasks ended", 20_000, || {
            stats.live.load(SeqCst) == 0
        })
        .await;
        assert_eq!(
            stats.accept_errors.load(SeqCst),
            0,
            "{flavor}: accept failed"
        );
        assert!(
            stats.errored.load(SeqCst) <= resets,
            "{flavor}: a connection that was not reset failed"
        );
        // Only the accept loop is left besides this task.
        settle("alive tasks", 20_000, || {
            handle.num_alive_tasks() == baseline + 1
        })
        .await;
        server.abort();
        assert!(server.await.unwrap_err().is_cancelled());
        assert_eq!(handle.num_alive_tasks(), baseline, "{flavor}: tasks left");
        eprintln!(
            "{flavor}: {conns} connections, {resets} reset, {} server-side errors",
            stats.errored.load(SeqCst)
        );
    });
}

async fn client_clean(addr: SocketAddr) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"still serving").await.unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"still serving");
    got
}

#[test]
fn echo_with_resets_multi_thread() {
    let conns = size(2_000, 10_000);
    let rt = Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    storm(&rt, "multi_thread(2)", conns, 7);
}

#[test]
fn echo_with_resets_current_thread() {
    let conns = size(2_000, 10_000);
    let rt = Runtime::builder().current_thread().build().unwrap();
    storm(&rt, "current_thread", conns, 11);
}

//! A mixed workload for leak checking: tasks spawned and aborted, channels, queues,
//! timers, TCP loopback echo with resets, blocking jobs, and runtimes shut down while
//! busy — then the process exits. A test without the libtest harness (`harness = false`
//! in the root `Cargo.toml`): `cargo test --test stress_leakcheck` runs it natively, and
//! `.ci/run` runs the same binary under valgrind, which must report no definite or
//! indirect leak:
//!
//! ```text
//! CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="valgrind --fair-sched=yes \
//!     --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect" \
//!     cargo test --test stress_leakcheck
//! ```
//!
//! (`--fair-sched=yes`: valgrind runs one thread at a time, and with its default lock a
//! worker spinning through yielding tasks can starve the thread that shuts the runtime
//! down for minutes.)
//!
//! A numeric first argument sets the number of rounds (default 10): `cargo test --test
//! stress_leakcheck -- 50`. Other arguments (a test filter, `--nocapture`) are ignored.

use std::net::Shutdown;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::{broadcast, mpsc, oneshot, Mutex, Queue, Semaphore};
use corio::Runtime;
use futures::io::{AsyncReadExt, AsyncWriteExt};

/// Counts live instances, to check the workload itself drops everything it made.
struct Tracked(Arc<AtomicUsize>);
impl Tracked {
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, SeqCst);
        Tracked(live.clone())
    }
}
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

async fn tasks_and_aborts(live: &Arc<AtomicUsize>) {
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let t = Tracked::new(live);
            corio::spawn(async move {
                let _t = t;
                for _ in 0..i % 5 {
                    corio::yield_now().await;
                }
                if i % 7 == 0 {
                    std::future::pending::<()>().await;
                }
                i
            })
        })
        .collect();
    for (i, t) in tasks.iter().enumerate() {
        if i % 3 == 0 {
            t.abort();
        }
    }
    for (i, t) in tasks.into_iter().enumerate() {
        if i % 7 == 0 {
            t.abort(); // pending forever otherwise
        }
        let _ = t.await;
    }
}

async fn channels_and_sync(live: &Arc<AtomicUsize>) {
    let (tx, mut rx) = mpsc::channel::<Tracked>(4);
    let (utx, mut urx) = mpsc::unbounded_channel::<Tracked>();
    let (btx, mut brx) = broadcast::channel::<u32>(8);
    let queue = Queue::<Tracked>::new(4);
    let sem = Arc::new(Semaphore::new(2));
    let mutex = Arc::new(Mutex::new(0u32));
    let producer = {
        let (live, queue, sem, mutex) = (live.clone(), queue.clone(), sem.clone(), mutex.clone());
        corio::spawn(async move {
            for i in 0..50 {
                let _p = sem.acquire().await.unwrap();
                *mutex.lock().await += 1;
                tx.send(Tracked::new(&live)).await.unwrap();
                utx.send(Tracked::new(&live)).unwrap();
                queue.put(Tracked::new(&live)).await.unwrap();
                let _ = btx.send(i);
            }
            // Leave some in flight: dropped with the channels.
            let _ = tx.try_send(Tracked::new(&live));
            let _ = utx.send(Tracked::new(&live));
        })
    };
    for _ in 0..50 {
        rx.recv().await.unwrap();
        urx.recv().await.unwrap();
        queue.get().await.unwrap();
        queue.task_done().unwrap();
        let _ = brx.recv().await;
    }
    producer.await.unwrap();
    let (otx, orx) = oneshot::channel::<Tracked>();
    drop(orx);
    let _ = otx.send(Tracked::new(live));
    assert_eq!(*mutex.lock().await, 50);
}

async fn timers(live: &Arc<AtomicUsize>) {
    let sleeps: Vec<_> = (0..200u64)
        .map(|i| {
            let t = Tracked::new(live);
            corio::spawn(async move {
                let _t = t;
                corio::time::sleep(Duration::from_micros(i * 37 % 3000)).await;
            })
        })
        .collect();
    // Cancel half of them mid-sleep (their timer entries are removed).
    for s in sleeps.iter().step_by(2) {
        s.abort();
    }
    for s in sleeps {
        let _ = s.await;
    }
    let mut iv = corio::time::interval(Duration::from_millis(1));
    for _ in 0..5 {
        iv.tick().await;
    }
    let _ = corio::time::timeout(Duration::from_millis(1), std::future::pending::<()>()).await;
}

async fn tcp_echo() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = corio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                continue;
            };
            let _detached = corio::spawn(async move {
                let mut buf = [0u8; 1024];
                loop {
                    match (&conn).read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if (&conn).write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    for i in 0..20usize {
        let s = TcpStream::connect(addr).await.unwrap();
        let msg = vec![i as u8; 100 + i * 50];
        (&s).write_all(&msg).await.unwrap();
        if i % 4 == 0 {
            // Reset it: SO_LINGER 0 then close.
            socket2::SockRef::from(s.get_ref())
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(s);
            continue;
        }
        s.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        (&s).read_to_end(&mut got).await.unwrap();
        assert_eq!(got, msg);
    }
    // A connection still open when the runtime shuts down.
    let open = TcpStream::connect(addr).await.unwrap();
    drop(corio::spawn(async move {
        let mut b = [0u8; 1];
        let _ = (&open).read(&mut b).await;
    }));
    server.abort();
    let _ = server.await;
}

fn round(flavor: &str, live: &Arc<AtomicUsize>) {
    let rt = match flavor {
        "current_thread" => Runtime::builder().current_thread().build().unwrap(),
        _ => Runtime::builder()
            .multi_thread()
            .worker_threads(2)
            .max_blocking_threads(4)
            .build()
            .unwrap(),
    };
    let l = live.clone();
    rt.block_on(async move {
        tasks_and_aborts(&l).await;
        channels_and_sync(&l).await;
        timers(&l).await;
        tcp_echo().await;
        let jobs: Vec<_> = (0..16u64)
            .map(|i| corio::spawn_blocking(move || i * 2))
            .collect();
        for (i, j) in jobs.into_iter().enumerate() {
            assert_eq!(j.await.unwrap(), i as u64 * 2);
        }
        // Busy at shutdown: spinners, sleepers, pending tasks, queued blocking jobs.
        for i in 0..100u64 {
            let t = Tracked::new(&l);
            let _detached = corio::spawn(async move {
                let _t = t;
                loop {
                    if i % 2 == 0 {
                        corio::yield_now().await;
                    } else {
                        corio::time::sleep(Duration::from_millis(i)).await;
                    }
                }
            });
        }
        for _ in 0..8 {
            let t = Tracked::new(&l);
            let _detached = corio::spawn_blocking(move || {
                let _t = t;
                std::thread::sleep(Duration::from_millis(2));
            });
        }
        corio::yield_now().await;
    });
    if flavor == "current_thread" {
        drop(rt);
    } else {
        rt.shutdown_timeout(Duration::from_secs(5));
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let live = Arc::new(AtomicUsize::new(0));
    for r in 0..rounds {
        for flavor in ["current_thread", "multi_thread"] {
            round(flavor, &live);
            // Blocking jobs left running by `shutdown_timeout` finish on their own.
            for _ in 0..5_000 {
                if live.load(SeqCst) == 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            assert_eq!(
                live.load(SeqCst),
                0,
                "round {r} {flavor}: objects not dropped"
            );
        }
    }
    // `corio::run` too: the default runtime, built and dropped.
    assert_eq!(
        corio::run(async { corio::spawn(async { 3 }).await.unwrap() }),
        3
    );
    println!("stress_leakcheck: {rounds} rounds, everything dropped");
}

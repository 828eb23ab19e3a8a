//! A paused clock cannot fire early: auto-advance never jumps over work outside the
//! runtime that holds the clock (a child process, `corio::time::hold()` around a thread or
//! a socket peer); while held, virtual time flows at real speed, and a hold that is never
//! released does not hang the runtime.
mod support;

use std::io::{Read, Write};
use std::time::Duration;

use corio::net::TcpStream;
use corio::time::{hold, sleep, timeout, Instant};
use corio::Runtime;
use futures::io::{AsyncReadExt, AsyncWriteExt};

fn both(check: impl Fn(Runtime)) {
    check(support::paused_current_thread());
    check(support::paused_multi_thread());
}

/// Without a hold the idle runtime jumps straight to the deadline: the thread, which
/// answers only when told to, is "too late" in virtual time. This is what a hold is for.
#[test]
fn unheld_thread_is_jumped_over() {
    both(|rt| {
        rt.block_on(async {
            let (tx, rx) = corio::sync::oneshot::channel::<u8>();
            let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
            let worker = std::thread::spawn(move || {
                go_rx.recv().unwrap();
                let _ = tx.send(1);
            });
            let start = Instant::now();
            assert!(timeout(Duration::from_secs(5), rx).await.is_err());
            assert_eq!(start.elapsed(), Duration::from_secs(5));
            go_tx.send(()).unwrap();
            worker.join().unwrap();
        })
    });
}

#[test]
fn held_thread_answers_before_the_timeout() {
    both(|rt| {
        rt.block_on(async {
            let (tx, rx) = corio::sync::oneshot::channel::<u8>();
            let worker = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                tx.send(9).unwrap();
            });
            let held = hold();
            let got = timeout(Duration::from_secs(5), rx).await;
            drop(held);
            assert_eq!(got.expect("fired early while held").unwrap(), 9);
            worker.join().unwrap();
        })
    });
}

#[test]
fn child_process_holds_the_clock() {
    both(|rt| {
        rt.block_on(async {
            let start = Instant::now();
            let status = timeout(
                Duration::from_secs(5),
                corio::process::Command::new("sleep").arg("0.2").status(),
            )
            .await
            .expect("the timeout fired while the child ran")
            .unwrap();
            assert!(status.success());
            // Virtual time flowed with real time while the child ran, never jumped to 5 s.
            assert!(start.elapsed() < Duration::from_secs(5));
            // Reaped: the hold is gone and the clock jumps again.
            let t = Instant::now();
            sleep(Duration::from_secs(3600)).await;
            assert_eq!(t.elapsed(), Duration::from_secs(3600));
        })
    });
}

#[test]
fn socket_peer_outside_the_runtime_under_a_hold() {
    both(|rt| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4];
            conn.read_exact(&mut buf).unwrap();
            std::thread::sleep(Duration::from_millis(50)); // a slow outside server
            conn.write_all(&buf).unwrap();
        });
        rt.block_on(async move {
            let _held = hold();
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"ping").await.unwrap();
            let mut back = [0u8; 4];
            timeout(Duration::from_secs(5), stream.read_exact(&mut back))
                .await
                .expect("fired early while held")
                .unwrap();
            assert_eq!(&back, b"ping");
        });
        peer.join().unwrap();
    });
}

/// A hold that nobody releases only makes time real: a 300 ms sleep still ends, at
/// exactly its deadline, and dropping the hold brings the jumps back.
#[test]
fn a_hold_never_released_flows_instead_of_hanging() {
    both(|rt| {
        rt.block_on(async {
            let held = hold();
            let start = Instant::now();
            sleep(Duration::from_millis(300)).await;
            assert_eq!(start.elapsed(), Duration::from_millis(300));
            drop(held);
            let t = Instant::now();
            sleep(Duration::from_secs(3600)).await;
            assert_eq!(t.elapsed(), Duration::from_secs(3600));
        })
    });
}

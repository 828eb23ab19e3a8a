//! A TCP server that drains on `SIGTERM` (what systemd, Docker and Kubernetes send before
//! they kill): it stops accepting, lets every request in flight finish, then exits 0.
//!
//! The protocol is one request per line: `work <ms>` answers `accepted` at once and
//! `done <ms>` after `<ms>` milliseconds of "work". After `SIGTERM` a connection is
//! closed once its current request is answered; connections still busy after the drain
//! deadline (10 s) are cut and the exit status is 1.
//!
//! ```text
//! cargo run --example graceful_shutdown               # listens on 127.0.0.1:7879
//! printf 'work 2000\n' | nc 127.0.0.1 7879 & kill -TERM <pid>   # the request completes
//! ```
//!
//! `tests/graceful_shutdown.rs` runs it as a child process, sends `SIGTERM` mid-load and
//! checks that every request in flight was answered and the exit status.

use std::sync::Arc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::signal::unix::{signal, SignalKind};
use corio::sync::Event;
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const DEFAULT_ADDR: &str = "127.0.0.1:7879";
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

fn main() {
    let addr = std::env::args().nth(1);
    std::process::exit(run(addr.as_deref().unwrap_or(DEFAULT_ADDR)));
}

/// Serves on `addr` until `SIGTERM` and drains; returns the exit status.
pub(crate) fn run(addr: &str) -> i32 {
    corio::run(serve(addr.to_owned()))
}

/// Serves until `SIGTERM`, then drains; returns the exit status.
async fn serve(addr: String) -> i32 {
    // Listen for SIGTERM before announcing the address: from then on it cannot be missed.
    let mut terminate = signal(SignalKind::terminate()).expect("cannot listen for SIGTERM");
    let listener = match TcpListener::bind(addr.as_str()).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("graceful_shutdown: cannot listen on {addr}: {e}");
            return 1;
        }
    };
    println!("listening on {}", listener.local_addr().unwrap());
    let draining = Arc::new(Event::new());
    let mut connections = Vec::new();
    loop {
        corio::select! {
            conn = listener.accept() => match conn {
                Ok((stream, _)) => {
                    connections.retain(|c: &corio::JoinHandle<()>| !c.is_finished());
                    connections.push(corio::spawn(handle(stream, draining.clone())));
                }
                Err(e) => eprintln!("graceful_shutdown: accept failed: {e}"),
            },
            _ = terminate.recv() => break,
        }
    }
    // Stop accepting: new clients are refused from here on.
    drop(listener);
    draining.set();
    println!("SIGTERM: draining {} connections", connections.len());
    match corio::timeout(DRAIN_DEADLINE, corio::gather(connections)).await {
        Ok(_) => {
            println!("drained");
            0
        }
        Err(_) => {
            eprintln!("graceful_shutdown: drain deadline passed, cutting connections");
            1
        }
    }
}

/// Answers requests until the client closes, or until the server drains: an idle
/// connection is closed at once, a busy one after its current request is answered.
async fn handle(stream: TcpStream, draining: Arc<Event>) {
    let (rd, mut wr) = stream.into_split();
    let mut lines = BufReader::new(rd);
    let mut line = String::new();
    loop {
        line.clear();
        corio::select! {
            read = lines.read_line(&mut line) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            _ = draining.wait() => return,
        }
        let reply = match line.trim().strip_prefix("work ").map(str::parse::<u64>) {
            Some(Ok(ms)) => {
                if wr.write_all(b"accepted\n").await.is_err() {
                    return;
                }
                corio::sleep(Duration::from_millis(ms)).await;
                format!("done {ms}\n")
            }
            _ => "error: expected `work <ms>`\n".to_owned(),
        };
        if wr.write_all(reply.as_bytes()).await.is_err() || draining.is_set() {
            return;
        }
    }
}

//! `examples/graceful_shutdown.rs` as a real child process: `SIGTERM` arrives while
//! requests are in flight; every one of them is answered, new clients are refused, and
//! the exit status is 0.
//!
//! The child is this test binary re-run with `CORIO_GRACEFUL_CHILD=1`, which makes the
//! `child_server` entry run the example's server (the example file is compiled in here).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[allow(dead_code)]
#[path = "../examples/graceful_shutdown.rs"]
mod example;

const CHILD_ENV: &str = "CORIO_GRACEFUL_CHILD";
/// A guard against a hang (never an assertion on time).
const IO_GUARD: Duration = Duration::from_secs(20);

#[test]
fn child_server() {
    if std::env::var_os(CHILD_ENV).is_some() {
        std::process::exit(example::run("127.0.0.1:0"));
    }
}

#[test]
fn sigterm_mid_load_drains_every_request_in_flight() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_server", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert_ne!(
            out.read_line(&mut line).unwrap(),
            0,
            "the child exited early"
        );
        // The harness prints `test child_server ... ` first, on the same line.
        if let Some((_, a)) = line.trim().split_once("listening on ") {
            break a.parse::<std::net::SocketAddr>().unwrap();
        }
    };

    // 32 clients, each with a request in flight (the server said `accepted`), plus 8
    // connected clients with no request yet.
    let mut busy = Vec::new();
    for i in 0..32u64 {
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(IO_GUARD)).unwrap();
        let ms = 300 + 10 * i;
        writeln!(c, "work {ms}").unwrap();
        let mut r = BufReader::new(c.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, "accepted\n");
        busy.push((ms, r));
    }
    let idle: Vec<_> = (0..8)
        .map(|_| {
            // A bad request gets an error reply: the server has accepted this client,
            // which is now idle between requests.
            let mut c = TcpStream::connect(addr).unwrap();
            c.set_read_timeout(Some(IO_GUARD)).unwrap();
            writeln!(c, "ping").unwrap();
            let mut r = BufReader::new(c);
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            assert!(line.starts_with("error"), "{line}");
            r
        })
        .collect();

    // SAFETY: sending SIGTERM to our own child, which listens for it.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);

    // Every request in flight completes, then its connection is closed.
    for (ms, mut r) in busy {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, format!("done {ms}\n"));
        line.clear();
        assert_eq!(r.read_line(&mut line).unwrap(), 0, "closed after draining");
    }
    // Idle connections are closed without a reply.
    for mut r in idle {
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut r, &mut rest).unwrap();
        assert!(rest.is_empty());
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(rest.contains("SIGTERM: draining"), "{rest}");
    assert!(rest.contains("drained"), "{rest}");
    // The listener is gone: new clients are refused.
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

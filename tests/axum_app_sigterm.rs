//! `examples/axum_app.rs` as a real child process, its own `main` on a loopback port:
//! `SIGTERM` arrives while 16 requests are in flight (8 `POST /items`, 8 `POST /jobs`
//! through the job queue) and 4 keep-alive clients are idle. New connections are refused
//! at once, the idle clients are closed without a reply, every request in flight is
//! answered in full before its connection closes, and the exit status is 0.
//!
//! A request is known to be in flight, not merely sent, by `Expect: 100-continue`: hyper
//! answers `100 Continue` only when the handler starts reading the body, so the test
//! holds each body back until after the signal.
//!
//! No libtest harness (`harness = false` in Cargo.toml): the child is this binary re-run
//! with `CORIO_AXUM_APP_CHILD=1` and the example's command line (`127.0.0.1:0`), which
//! its `main` parses itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use corio_test_util::Child;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/axum_app.rs"]
mod example;

const CHILD_ENV: &str = "CORIO_AXUM_APP_CHILD";
const TEST: &str = "sigterm_mid_request_drains_every_request_in_flight";
/// Guards against a hang (never an assertion on time): each socket read, and the whole
/// test (the child is killed after it).
const IO_GUARD: Duration = Duration::from_secs(20);
const TEST_GUARD: Duration = Duration::from_secs(120);

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return example::main();
    }
    // Enough of libtest's command line for `cargo test <filter>` and `--list`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{TEST}: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| TEST.contains(f.as_str())) {
        println!("running 0 tests ({TEST} filtered out)");
        return ExitCode::SUCCESS;
    }
    println!("running 1 test");
    sigterm_mid_request_drains_every_request_in_flight();
    println!("test {TEST} ... ok");
    ExitCode::SUCCESS
}

/// A client connected to the app, with a read timeout.
fn connect(addr: SocketAddr) -> TcpStream {
    let c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(IO_GUARD)).unwrap();
    c
}

/// Reads one response head (up to the blank line).
fn read_head(c: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(c.read(&mut b).unwrap(), 1, "closed mid-head: {head:?}");
        head.push(b[0]);
    }
    String::from_utf8(head).unwrap()
}

/// A request held in flight: the head was sent, the body is held back.
struct InFlight {
    conn: TcpStream,
    path: &'static str,
    body: String,
}

fn sigterm_mid_request_drains_every_request_in_flight() {
    let child = Command::new(std::env::current_exe().unwrap())
        .arg("127.0.0.1:0")
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let mut child = Child(child);
    // The watchdog: kills the child if the test is still running after TEST_GUARD, so
    // every blocking read below ends.
    let (done, watched) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if watched.recv_timeout(TEST_GUARD) == Err(mpsc::RecvTimeoutError::Timeout) {
            eprintln!("{TEST}: still running after {TEST_GUARD:?}, killing the app");
            // SAFETY: signals our own child (reaped only after `done` is sent).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("axum_app: listening on http://")
        .unwrap_or_else(|| panic!("not the listening line: {line:?}"))
        .parse()
        .unwrap();

    // 4 keep-alive clients, each served once, now idle between requests.
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut c = connect(addr);
            c.write_all(b"GET /health HTTP/1.1\r\nhost: app\r\n\r\n")
                .unwrap();
            let head = read_head(&mut c);
            assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
            assert!(head.contains("content-length: 2\r\n"), "{head}");
            let mut ok = [0u8; 2];
            c.read_exact(&mut ok).unwrap();
            assert_eq!(&ok, b"ok");
            c
        })
        .collect();

    // 16 requests in flight: each handler is reading its body (`100 Continue`).
    let in_flight: Vec<InFlight> = (0..16)
        .map(|i| {
            let (path, body) = if i % 2 == 0 {
                ("/items", format!(r#"{{"name":"item{i}","qty":{i}}}"#))
            } else {
                ("/jobs", format!(r#"{{"text":"{}"}}"#, "word ".repeat(i)))
            };
            let mut conn = connect(addr);
            write!(
                conn,
                "POST {path} HTTP/1.1\r\nhost: app\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nexpect: 100-continue\r\n\r\n",
                body.len()
            )
            .unwrap();
            assert_eq!(read_head(&mut conn), "HTTP/1.1 100 Continue\r\n\r\n");
            InFlight { conn, path, body }
        })
        .collect();

    // SAFETY: sending SIGTERM to our own child, which listens for it.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "axum_app: SIGTERM, draining\n");

    // New clients are refused while the drain waits for the requests in flight. (The
    // listener is dropped right after the signal's future completes: a connect racing
    // that moment may still land in the backlog, or be reset by the closing listener,
    // so retry until the kernel refuses outright.)
    let mut refused = false;
    for _ in 0..200 {
        match TcpStream::connect(addr) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                refused = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("connect during the drain: {e}"),
            Ok(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    assert!(
        refused,
        "new connections are still accepted during the drain"
    );
    // Idle clients are closed without a reply.
    for mut c in idle {
        let mut rest = Vec::new();
        c.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    }

    // Every request in flight is answered in full, then its connection is closed.
    let (mut items, mut jobs) = (0, 0);
    for (i, mut r) in in_flight.into_iter().enumerate() {
        r.conn.write_all(r.body.as_bytes()).unwrap();
        let mut response = String::new();
        r.conn.read_to_string(&mut response).unwrap();
        let (head, body) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{} #{i}: {response:?}", r.path));
        let expected = if r.path == "/items" {
            items += 1;
            assert!(head.starts_with("HTTP/1.1 201 "), "{head}");
            format!(r#"{{"id":{items},"name":"item{i}","qty":{i}}}"#)
        } else {
            jobs += 1;
            assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
            format!(r#"{{"job":{jobs},"words":{i},"chars":{}}}"#, 5 * i)
        };
        assert_eq!(body, expected, "{} #{i}", r.path);
        assert!(head.contains("connection: close\r\n"), "{head}");
    }

    let status = child.0.wait().unwrap();
    let _ = done.send(());
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "axum_app: drained, bye\n");
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

//! An echo client: connects to an echo server, sends each line, prints what comes back
//! and exits (asyncio's `open_connection`).
//!
//! ```text
//! cargo run --example echo_server &
//! cargo run --example echo_client                                  # sends "hello, corio"
//! cargo run --example echo_client -- 127.0.0.1:7878 one "two three"  # one line per argument
//! ```
//!
//! A bad address or an unreachable server prints a clear error and exits with status 1
//! (status 2 and the usage line for a malformed address).

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use corio::net::TcpStream;
use futures::io::{AsyncReadExt, AsyncWriteExt};

const DEFAULT_ADDR: &str = "127.0.0.1:7878";
const DEFAULT_LINE: &str = "hello, corio";
const USAGE: &str =
    "usage: echo_client [ADDR [LINE]...]   (ADDR is host:port, default 127.0.0.1:7878)";
/// How long to wait for the server to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    if addr.starts_with('-') {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut lines: Vec<String> = args.collect();
    if lines.is_empty() {
        lines.push(DEFAULT_LINE.to_owned());
    }
    match corio::run(talk(&addr, &lines)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            eprintln!("echo_client: bad address {addr:?}: {e}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("echo_client: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Connects to `addr`, then sends each line and prints its echo.
async fn talk(addr: &str, lines: &[String]) -> io::Result<()> {
    let mut stream = corio::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    println!("connected to {}", stream.peer_addr()?);
    for line in lines {
        let sent = format!("{line}\n");
        stream.write_all(sent.as_bytes()).await?;
        // An echo server returns exactly the bytes it got.
        let mut echo = vec![0; sent.len()];
        stream
            .read_exact(&mut echo)
            .await
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => {
                    io::Error::new(e.kind(), "the server closed the connection")
                }
                _ => e,
            })?;
        println!(
            "sent {line:?}, got {:?}",
            String::from_utf8_lossy(&echo).trim_end()
        );
    }
    Ok(())
}

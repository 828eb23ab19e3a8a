//! An echo server: every connection gets its own task that copies what it reads back,
//! until Ctrl-C stops the server (asyncio's `start_server` + `serve_forever`).
//!
//! ```text
//! cargo run --example echo_server                    # listens on 127.0.0.1:7878
//! cargo run --example echo_server -- 0.0.0.0:9000
//! cargo run --example echo_client -- 127.0.0.1:7878 hello   # or: nc 127.0.0.1 7878
//! ```
//!
//! A bad address prints the usage line and exits with status 2; other errors (the port
//! is taken, ...) exit with status 1.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio_examples::server_main::run_server;

const DEFAULT_ADDR: &str = "127.0.0.1:7878";
const USAGE: &str = "usage: echo_server [ADDR]   (ADDR is host:port, default 127.0.0.1:7878)";

fn main() -> ExitCode {
    run_server("echo_server", USAGE, DEFAULT_ADDR, |addr| async move {
        serve(&addr).await
    })
}

/// Binds `addr` and serves until Ctrl-C.
async fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!(
        "echo server listening on {} (Ctrl-C to stop)",
        listener.local_addr()?
    );
    // Whichever finishes first wins; the other is cancelled. Connection tasks still
    // running are cancelled when `corio::run` shuts the runtime down.
    corio::select! {
        _ = accept_forever(&listener) => unreachable!("the accept loop never ends"),
        stop = corio::signal::ctrl_c() => {
            stop?;
            println!("\nshutting down");
            Ok(())
        }
    }
}

/// Accepts connections and detaches one echo task per connection.
async fn accept_forever(listener: &TcpListener) -> std::convert::Infallible {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => drop(corio::spawn(echo(stream, peer))),
            // Out of descriptors (EMFILE) and friends: report, back off, keep serving.
            Err(e) => {
                eprintln!("accept failed: {e}");
                corio::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Copies everything `peer` sends back to it, until it closes its side.
async fn echo(stream: TcpStream, peer: SocketAddr) {
    stream.set_nodelay(true).ok();
    let (mut reader, mut writer) = stream.into_split();
    match futures::io::copy(&mut reader, &mut writer).await {
        Ok(n) => println!("{peer}: echoed {n} bytes"),
        Err(e) => eprintln!("{peer}: {e}"),
    }
}

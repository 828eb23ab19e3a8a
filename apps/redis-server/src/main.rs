//! A Redis-protocol server (strings with expiry, pub/sub) that the stock `redis-cli` and
//! `redis-benchmark` talk to; Ctrl-C stops it gracefully. The server logic is this
//! package's library (`src/lib.rs`), which the tests drive in-process.
//!
//! ```text
//! cargo run --release -p redis-server -- --port 6390 --max-connections 1000
//! redis-cli -p 6390 set greeting hello
//! redis-cli -p 6390 get greeting
//! redis-benchmark -p 6390 -t set,get -n 100000 -c 50 -q
//! ```
//!
//! A bad argument prints the usage line and exits with status 2; other errors (the port
//! is taken, ...) exit with status 1.

use std::io;
use std::process::ExitCode;

use corio::net::TcpListener;
use redis_server::{serve, ServerConfig};

const USAGE: &str = "usage: redis-server [--port N] [--max-connections N]   \
                     (defaults: port 6379, 10000 connections)";

/// The command line: where to listen and how many clients to admit.
struct Args {
    port: u16,
    config: ServerConfig,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Option<Args> {
    let mut parsed = Args {
        port: 6379,
        config: ServerConfig::default(),
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let value = args.next()?;
        match flag.as_str() {
            "--port" => parsed.port = value.parse().ok()?,
            "--max-connections" => {
                parsed.config.max_connections = value.parse().ok().filter(|n| *n > 0)?;
            }
            _ => return None,
        }
    }
    Some(parsed)
}

fn main() -> ExitCode {
    let Some(args) = parse_args(std::env::args().skip(1)) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match corio::run(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("redis-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!(
        "redis server listening on {} (max {} connections; Ctrl-C to stop)",
        listener.local_addr()?,
        args.config.max_connections
    );
    serve(listener, args.config, async {
        if let Err(e) = corio::signal::ctrl_c().await {
            eprintln!("redis-server: cannot watch for Ctrl-C ({e}); stopping");
        }
        println!("\nshutting down: letting connections finish");
    })
    .await?;
    println!("bye");
    Ok(())
}

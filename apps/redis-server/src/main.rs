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
//! The limits on what one client may make the server hold are Redis' settings, with
//! Redis' defaults and units: `--proto-max-bulk-len 512mb` (the longest argument),
//! `--client-query-buffer-limit 1gb` (what one request may hold), and `--max-args
//! 1048576` (arguments per request). A client that breaks one gets Redis' protocol error
//! reply and is disconnected; see `docs/reliability.md` for how hostile clients are
//! tested.
//!
//! A bad argument prints the usage line and exits with status 2; other errors (the port
//! is taken, ...) exit with status 1.

use std::io;
use std::process::ExitCode;

use corio::net::TcpListener;
use redis_server::{serve, ServerConfig};

const USAGE: &str = "usage: redis-server [--port N] [--max-connections N] [--worker-threads N]
                    [--max-args N] [--proto-max-bulk-len BYTES] [--client-query-buffer-limit BYTES]
defaults: port 6379, 10000 connections, one worker thread per core, 1048576 arguments,
          512mb, 1gb (BYTES takes Redis' units: 100, 64k = 64000, 64kb = 65536, mb, gb)";

/// The command line: where to listen, how many clients to admit, how many threads.
struct Args {
    port: u16,
    config: ServerConfig,
    /// Worker threads of the runtime (`None`: one per core).
    workers: Option<usize>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Option<Args> {
    let mut parsed = Args {
        port: 6379,
        config: ServerConfig::default(),
        workers: None,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let value = args.next()?;
        match flag.as_str() {
            "--port" => parsed.port = value.parse().ok()?,
            "--max-connections" => {
                parsed.config.max_connections = value.parse().ok().filter(|n| *n > 0)?;
            }
            "--max-args" => {
                parsed.config.limits.max_args = value.parse().ok().filter(|n| *n > 0)?;
            }
            "--proto-max-bulk-len" => {
                parsed.config.limits.max_bulk_len = memory(&value).filter(|n| *n > 0)?;
            }
            "--client-query-buffer-limit" => {
                parsed.config.limits.max_query_buffer = memory(&value).filter(|n| *n > 0)?;
            }
            "--worker-threads" => {
                parsed.workers = Some(value.parse().ok().filter(|n| *n > 0)?);
            }
            _ => return None,
        }
    }
    Some(parsed)
}

/// A byte count in Redis' configuration units: `100`, `64k` (64 000), `64kb` (65 536),
/// `m`/`mb`, `g`/`gb`, case-insensitive.
fn memory(value: &str) -> Option<usize> {
    let lower = value.to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit: usize = match &lower[digits.len()..] {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1 << 10,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}

fn main() -> ExitCode {
    let Some(args) = parse_args(std::env::args().skip(1)) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut builder = corio::Runtime::builder().multi_thread();
    if let Some(n) = args.workers {
        builder = builder.worker_threads(n);
    }
    let served = builder.build().and_then(|rt| rt.block_on(run(args)));
    match served {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Option<Args> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn memory_units_are_redis_units() {
        assert_eq!(memory("100"), Some(100));
        assert_eq!(memory("64k"), Some(64_000));
        assert_eq!(memory("64KB"), Some(65_536));
        assert_eq!(memory("512mb"), Some(512 << 20));
        assert_eq!(memory("2g"), Some(2_000_000_000));
        for bad in ["", "mb", "1.5mb", "-1", "12tb", "99999999999999999999gb"] {
            assert_eq!(memory(bad), None, "{bad}");
        }
    }

    #[test]
    fn flags_set_the_limits() {
        let parsed = args(
            "--port 0 --max-args 10 --proto-max-bulk-len 1mb \
--client-query-buffer-limit 2mb --worker-threads 1",
        )
        .unwrap();
        assert_eq!(parsed.port, 0);
        assert_eq!(parsed.workers, Some(1));
        let limits = parsed.config.limits;
        assert_eq!(
            (
                limits.max_args,
                limits.max_bulk_len,
                limits.max_query_buffer
            ),
            (10, 1 << 20, 2 << 20)
        );
        for bad in [
            "--max-args 0",
            "--proto-max-bulk-len 0",
            "--client-query-buffer-limit x",
            "--worker-threads 0",
            "--port",
            "--nope 1",
        ] {
            assert!(args(bad).is_none(), "{bad}");
        }
    }
}

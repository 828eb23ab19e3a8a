//! An axum app on corio: a JSON API with shared state, a job route that awaits a corio
//! `Queue` served by a background task, per-client rate limiting with corio's
//! `RateLimiter`, and a graceful drain on SIGTERM or Ctrl-C. axum runs with its `tokio`
//! feature off, served by `corio_hyper::serve` (HTTP/1.1 and HTTP/2 on one port).
//!
//! ```text
//! cargo run --example axum_app                        # listens on 127.0.0.1:3000
//! cargo run --example axum_app -- 127.0.0.1:8080
//! curl -d '{"name":"bolt","qty":3}' -H 'content-type: application/json' http://127.0.0.1:3000/items
//! curl http://127.0.0.1:3000/items/1                  # {"id":1,"name":"bolt","qty":3}
//! curl -d '{"text":"to be or not"}' -H 'content-type: application/json' http://127.0.0.1:3000/jobs
//! curl http://127.0.0.1:3000/stats
//! wrk -t1 -c50 -d5s http://127.0.0.1:3000/items/1
//! kill -TERM <pid>                                    # drains, then exits 0
//! ```
//!
//! The routes are in `examples/support/axum_app.rs` (a library module, so the tests
//! start the same app in-process). Each client IP may make 1000 requests at once and
//! 1000 per second after that; past it, `429` with `Retry-After`.
//!
//! SIGTERM comes from `corio::signal::unix::signal(SignalKind::terminate())`, Ctrl-C
//! from `corio::signal::ctrl_c()`; SIGTERM's handler is installed before the server
//! accepts, Ctrl-C's when the server first polls its shutdown signal.

use std::process::ExitCode;

use corio::net::TcpListener;
use corio::signal::unix::{signal, SignalKind};
use corio_examples::axum_app::{run, AppConfig, AppState};
use corio_examples::server_main::run_server;
use futures::future::{select, Either};

/// `pub`: `tests/axum_app_sigterm.rs` runs this `main` as its child process.
pub fn main() -> ExitCode {
    run_server(
        "axum_app",
        "usage: axum_app [ADDR]",
        "127.0.0.1:3000",
        |addr| async move {
            let listener = TcpListener::bind(&addr).await?;
            println!("axum_app: listening on http://{}", listener.local_addr()?);
            let mut terminate = signal(SignalKind::terminate())?;
            let shutdown = async move {
                let ctrl_c = Box::pin(corio::signal::ctrl_c());
                match select(ctrl_c, Box::pin(terminate.recv())).await {
                    Either::Left(_) => println!("axum_app: Ctrl-C, draining"),
                    Either::Right(_) => println!("axum_app: SIGTERM, draining"),
                }
            };
            run(listener, AppState::new(AppConfig::default()), shutdown).await?;
            println!("axum_app: drained, bye");
            Ok(())
        },
    )
}

//! A Redis-protocol server on corio: strings with expiry, pub/sub, and enough of the
//! introspection commands that the stock `redis-cli` and `redis-benchmark` work against it.
//!
//! The idea follows tokio's mini-redis tutorial: a shared keyspace behind a mutex, one task
//! per connection, a broadcast channel per pub/sub channel, and a background task that
//! expires keys on the runtime's timers. The `redis-server` binary of this package
//! (`src/main.rs`) runs it: `cargo run --release -p redis-server -- --port 6390`.
//!
//! | module | responsibility |
//! |---|---|
//! | [`request`] | incremental RESP2 request parser (multibulk and inline), [`Limits`] |
//! | `inline` | splitting an inline command line into arguments |
//! | [`resp`] | RESP2 reply encoders |
//! | [`db`] | the keyspace, expiry (lazy + a purge task), the channel registry |
//! | [`pubsub`] | one connection's subscriptions |
//! | `cmd` | command parsing ([`check_command`]), arity/option errors, applying a command |
//! | `connection` | one client: read, run, reply; subscribe mode; protocol errors |
//! | `server` | [`serve`]: accept loop, connection limit, graceful shutdown |
//!
//! # Examples
//!
//! ```no_run
//! use corio::net::TcpListener;
//! use redis_server::{serve, ServerConfig};
//!
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:6379").await?;
//!     let config = ServerConfig { max_connections: 1000, ..ServerConfig::default() };
//!     // Serve until Ctrl-C, then let the connections finish.
//!     serve(listener, config, async {
//!         corio::signal::ctrl_c().await.ok();
//!     })
//!     .await
//! })
//! .unwrap();
//! ```

mod cmd;
mod connection;
pub mod db;
mod inline;
pub mod pubsub;
pub mod request;
pub mod resp;
mod server;

pub use cmd::check_command;
pub use request::Limits;
pub use server::{serve, ServerConfig};

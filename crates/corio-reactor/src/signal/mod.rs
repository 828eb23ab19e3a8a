//! Signals: [`ctrl_c`], and any Unix signal as a stream with [`unix::signal`] (tokio's
//! `tokio::signal`, asyncio's `loop.add_signal_handler`).
//!
//! # Examples
//!
//! A server that drains on `SIGTERM` (what systemd, Docker and Kubernetes send) and stops
//! at once on a second Ctrl-C:
//!
//! ```no_run
//! use corio_reactor::signal::unix::{signal, SignalKind};
//!
//! # corio::run(async {
//! let mut terminate = signal(SignalKind::terminate())?;
//! let mut reload = signal(SignalKind::hangup())?;
//! loop {
//!     futures::select! {
//!         _ = terminate.recv().fuse() => break, // stop accepting, drain, exit
//!         _ = reload.recv().fuse() => println!("reloading the configuration"),
//!     }
//! }
//! # Ok::<(), std::io::Error>(()) }).unwrap();
//! # use futures::FutureExt;
//! ```
//!
//! # Implementation
//! One process-wide handler per signal number, installed while at least one listener of
//! it exists (`registry.rs`, whose numbered rules say how a delivery reaches every
//! listener without being lost or swallowed).

mod registry;
pub mod unix;

use std::future::Future;
use std::io;

/// Completes at the next `SIGINT` (Ctrl-C) delivered after this call.
///
/// The listener is created by the call itself, so a Ctrl-C that arrives between the
/// call and the first poll is not lost. While the future exists, `SIGINT` does not
/// terminate the process; once it is dropped (and no other `SIGINT` listener exists),
/// Ctrl-C terminates the process again: a Ctrl-C nobody waits for is never swallowed.
///
/// # Errors
/// Outside a runtime, the `NoRuntime` error naming `corio::signal::ctrl_c`; the OS
/// error if the handler cannot be installed.
///
/// # Cancel safety
/// Cancel safe; a `SIGINT` is consumed only when the future completes with it.
///
/// # Examples
///
/// ```no_run
/// # corio::run(async {
/// corio_reactor::signal::ctrl_c().await?;
/// println!("interrupted, shutting down");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> + Send {
    unix::next(unix::SignalKind::interrupt(), "corio::signal::ctrl_c")
}

//! The accept loop: a connection limit, one task per connection, graceful shutdown.
//!
//! # Protocol
//! 1. Before accepting, the loop takes a permit from a [`Semaphore`] of
//!    `max_connections` permits; the connection's task holds it until it ends. At the
//!    limit, new clients wait in the listen backlog (their `connect` succeeds, their first
//!    reply comes once a connection closes).
//! 2. When the `shutdown` future completes, the loop stops accepting (the listener is
//!    dropped on return) and sets the stop [`Event`]: every connection finishes the
//!    requests it has received, sends their replies and closes.
//! 3. `serve` returns once every connection task has returned its permit — taking all
//!    `max_connections` permits back is the proof — and then stops the keyspace's purge
//!    task.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::net::TcpListener;
use corio::sync::{Event, Semaphore};

use super::cmd::Session;
use super::connection;
use super::db::DbGuard;
use super::pubsub::Subscriptions;
use super::request::Limits;

/// The server's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// How many clients may be connected at once (at least 1); more wait in the backlog.
    pub max_connections: u32,
    /// What one client's request may make the server hold (each limit at least 1).
    pub limits: Limits,
}

impl Default for ServerConfig {
    /// Redis' defaults: `maxclients` 10 000 and the [`Limits`] defaults.
    fn default() -> Self {
        ServerConfig {
            max_connections: 10_000,
            limits: Limits::default(),
        }
    }
}

/// Serves the Redis protocol on `listener` until `shutdown` completes, then lets the
/// connections finish (see the module docs) and returns.
///
/// Commands: `PING`, `ECHO`, `GET`, `SET` (`EX`, `PX`, `NX`, `XX`), `DEL`, `EXISTS`,
/// `INCR`, `TTL`, `PTTL`, `DBSIZE`, `PUBLISH`, `SUBSCRIBE`, `UNSUBSCRIBE`, `CONFIG GET`,
/// `COMMAND`, `CLIENT SETNAME|GETNAME|ID`, `SELECT 0`, `QUIT`.
///
/// # Examples
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
/// use corio::sync::Event;
/// use redis_server::{serve, ServerConfig};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use std::sync::Arc;
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let stop = Arc::new(Event::new());
///     let server = corio::spawn({
///         let stop = stop.clone();
///         async move { serve(listener, ServerConfig::default(), async move { stop.wait().await }).await }
///     });
///
///     let mut client = TcpStream::connect(addr).await.unwrap();
///     client.write_all(b"SET greeting hello\r\nGET greeting\r\n").await.unwrap();
///     let mut reply = [0; 16];
///     client.read_exact(&mut reply).await.unwrap();
///     assert_eq!(&reply, b"+OK\r\n$5\r\nhello\r\n");
///
///     stop.set();
///     server.await.unwrap().unwrap(); // the client's connection closed, serve returned
/// });
/// ```
///
/// # Errors
/// `InvalidInput` if `max_connections` or a limit is 0. Accept errors (out of file descriptors, ...)
/// are reported on stderr and retried after a pause; they do not end the server.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let max = config.max_connections;
    let limits = config.limits;
    if max == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "max_connections must be at least 1",
        ));
    }
    if limits.max_args == 0 || limits.max_bulk_len == 0 || limits.max_query_buffer == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "every limit must be at least 1",
        ));
    }
    let limit = Arc::new(Semaphore::new(max as usize));
    let stop = Arc::new(Event::new());
    let keyspace = DbGuard::new();
    let next_id = AtomicU64::new(1);
    let mut shutdown = pin!(shutdown);

    loop {
        // Rule 1: a permit first, then the connection.
        let permit = corio::select! {
            biased;
            _ = &mut shutdown => break,
            permit = limit.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let stream = corio::select! {
            biased;
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match stream {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of descriptors (EMFILE) and friends: report, back off, keep serving.
                eprintln!("redis server: accept failed: {e}");
                drop(permit);
                corio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    _ = corio::sleep(Duration::from_millis(100)) => continue,
                }
            }
        };
        let db = keyspace.db();
        let session = Session {
            subs: Subscriptions::new(db.clone()),
            db,
            id: next_id.fetch_add(1, Ordering::Relaxed),
            name: None,
            max_clients: max,
            limits,
        };
        let stop = stop.clone();
        drop(corio::spawn(async move {
            // The client going away (reset, broken pipe) is its business, not the
            // server's: the connection just ends.
            let _ = connection::handle(stream, session, stop).await;
            drop(permit);
        }));
    }

    // Rule 2, then rule 3.
    drop(listener);
    stop.set();
    let all = limit
        .acquire_many(max)
        .await
        .expect("the semaphore is never closed");
    drop(all);
    drop(keyspace);
    Ok(())
}

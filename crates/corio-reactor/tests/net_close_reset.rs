//! `close` (`poll_close`, a write shutdown) on a stream whose peer reset the connection
//! succeeds: `shutdown(2)` then fails with `ENOTCONN`, which means there is nothing left
//! to close (tokio treats it the same way). `shutdown` itself still reports it.
//! (Linux never reports `ENOTCONN` for a Unix stream's shutdown; `UnixStream` shares
//! the same `close` code, `net/stream_io.rs`.)

use std::io::ErrorKind;
use std::net::Shutdown;

use corio_reactor::net::{TcpListener, TcpStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use socket2::SockRef;

/// A server-side stream whose client reset the connection (`SO_LINGER` 0, then close),
/// read until the reset is seen.
async fn reset_by_peer() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    SockRef::from(client.get_ref())
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(client);
    let mut buf = [0; 16];
    let err = server.read(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    server
}

#[corio::test(start_paused = true)]
async fn close_after_peer_reset_is_ok() {
    let mut server = reset_by_peer().await;
    // The OS reports ENOTCONN to a plain shutdown...
    let raw = server.shutdown(Shutdown::Write).unwrap_err();
    assert_eq!(raw.raw_os_error(), Some(libc::ENOTCONN));
    // ...which close, through the stream and through a shared reference, passes as success.
    server.close().await.unwrap();
    (&server).close().await.unwrap();
}

#[corio::test(start_paused = true)]
async fn close_of_halves_after_peer_reset_is_ok() {
    let mut server = reset_by_peer().await;
    let (_rd, mut wr) = TcpStream::split(&mut server);
    wr.close().await.unwrap();
    let (_rd, mut wr) = server.into_split();
    wr.close().await.unwrap();
}

#[corio::test(start_paused = true)]
async fn close_of_a_healthy_stream_half_closes_it() {
    // A half-closed healthy stream closes again without error; the data still arrives.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    client.write_all(b"bye").await.unwrap();
    client.close().await.unwrap();
    let mut got = Vec::new();
    server.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"bye");
}

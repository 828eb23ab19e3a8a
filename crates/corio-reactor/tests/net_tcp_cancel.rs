//! Cancellation safety: a dropped read or write loses no data, and readiness that was
//! not consumed is kept (edge-triggered: no new event would come).
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use std::pin::pin;
use std::task::Poll;

use corio_reactor::net::{TcpListener, TcpStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};

fn pair(rt: &mut support::Rt) -> (TcpStream, TcpStream) {
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        (c, s)
    })
}

#[test]
fn dropped_read_loses_no_data() {
    let mut rt = support::Rt::new();
    let (mut client, mut server) = pair(&mut rt);
    {
        let mut buf = [0u8; 16];
        let mut read = Box::pin(server.read(&mut buf));
        assert!(rt.poll_once(&mut read).is_pending());
        // Dropped while pending.
    }
    rt.block_on(async {
        client.write_all(b"kept").await.unwrap();
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"kept");
    });
}

#[test]
fn partial_read_keeps_readiness() {
    let mut rt = support::Rt::new();
    let (mut client, mut server) = pair(&mut rt);
    rt.block_on(async {
        client.write_all(&[1u8; 100]).await.unwrap();
        let mut small = [0u8; 10];
        // Wait for the first bytes, then read only 10 of the 100.
        server.read_exact(&mut small).await.unwrap();
    });
    // The other 90 bytes are readable with no new epoll event: the next read must
    // complete on its first poll, without parking the reactor.
    let mut rest = [0u8; 200];
    let mut read = pin!(server.read(&mut rest));
    match rt.poll_once(&mut read.as_mut()) {
        Poll::Ready(Ok(n)) => assert_eq!(n, 90),
        other => panic!("expected the remaining 90 bytes at once, got {other:?}"),
    }
}

#[test]
fn dropped_write_loses_no_data() {
    let mut rt = support::Rt::new();
    let (mut client, mut server) = pair(&mut rt);
    // Fill the socket buffers until a write is pending, counting what was accepted.
    let chunk = vec![9u8; 64 * 1024];
    let mut written = 0usize;
    loop {
        let mut w = Box::pin(client.write(&chunk));
        match rt.poll_once(&mut w) {
            Poll::Ready(Ok(n)) => written += n,
            Poll::Ready(Err(e)) => panic!("{e}"),
            Poll::Pending => break, // dropped while pending
        }
    }
    drop(client); // closes: the server reads exactly what the writes reported
    let got = rt.block_on(async {
        let mut all = Vec::new();
        server.read_to_end(&mut all).await.unwrap();
        all.len()
    });
    assert_eq!(got, written);
}

#[test]
fn read_after_peer_close_is_zero() {
    let mut rt = support::Rt::new();
    let (client, mut server) = pair(&mut rt);
    drop(client);
    rt.block_on(async {
        let mut buf = [0u8; 8];
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);
    });
}

//! Unix-domain streams and datagrams.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use corio_reactor::net::{UnixDatagram, UnixListener, UnixStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::StreamExt;

fn temp_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("corio-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn listener_accepts_and_streams_echo() {
    let path = temp_path("echo.sock");
    support::block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let server = async {
            let mut s = listener.incoming().next().await.unwrap().unwrap();
            let (mut r, mut w) = UnixStream::split(&mut s);
            futures::io::copy(&mut r, &mut w).await.unwrap();
        };
        let client = async {
            let mut c = UnixStream::connect(&path).await.unwrap();
            c.write_all(&[5u8; 300_000]).await.unwrap();
            c.close().await.unwrap();
            let mut back = Vec::new();
            c.read_to_end(&mut back).await.unwrap();
            back
        };
        let ((), back) = futures::join!(server, client);
        assert_eq!(back.len(), 300_000);
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn connect_to_missing_path_is_not_found() {
    support::block_on(async {
        let err = UnixStream::connect(temp_path("missing.sock"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn binding_an_existing_path_is_addr_in_use() {
    let path = temp_path("dup.sock");
    support::block_on(async {
        let _a = UnixListener::bind(&path).unwrap();
        let err = UnixListener::bind(&path).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn writing_to_a_closed_peer_is_broken_pipe_without_sigpipe() {
    support::block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        drop(b);
        let err = a.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn datagrams_round_trip() {
    let pa = temp_path("a.dgram");
    let pb = temp_path("b.dgram");
    support::block_on(async {
        let a = UnixDatagram::bind(&pa).unwrap();
        let b = UnixDatagram::bind(&pb).unwrap();
        a.send_to(b"hello", &pb).await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(pa.as_path()));
        b.connect(&pa).unwrap();
        b.send(b"back").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
        let (x, y) = UnixDatagram::pair().unwrap();
        x.send(b"p").await.unwrap();
        assert_eq!(y.recv(&mut buf).await.unwrap(), 1);
    });
    std::fs::remove_file(&pa).unwrap();
    std::fs::remove_file(&pb).unwrap();
}

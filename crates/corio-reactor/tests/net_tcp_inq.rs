//! A TCP read that fills its whole buffer turns `TCP_INQ` on (stream rule 6): later reads
//! learn from the kernel how many bytes are still queued, and one that leaves nothing
//! clears readiness (saving the `recv` that would return `WouldBlock`), while one that
//! leaves bytes keeps it; new data and end-of-stream still wake the reader. Only a read
//! that follows a full one asks the kernel (rule 7): after a short read, reads are plain
//! `recv` calls until one fills its buffer.
// Sockets and epoll are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use std::io;
use std::os::fd::AsRawFd;

use corio_reactor::net::TcpStream;
use futures::io::{AsyncReadExt, AsyncWriteExt};

const N: usize = 4096;

/// Bytes in `s`'s receive queue (`FIONREAD`).
fn queued(s: &TcpStream) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int to the valid pointer passed.
    let rc = unsafe { libc::ioctl(s.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(rc, 0, "FIONREAD: {}", io::Error::last_os_error());
    n as usize
}

/// Waits (bounded) until loopback has queued `want` bytes at `s`.
fn wait_queued(s: &TcpStream, want: usize) {
    for _ in 0..2000 {
        if queued(s) >= want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("loopback never queued {want} bytes");
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Waits until `len` bytes the client sent are queued at the server, then makes `full`
/// reads of `N` bytes that must each fill their buffer; returns the buffer and the bytes
/// read so far (`TCP_INQ` turns on at the first of them).
async fn read_full_buffers(server: &mut TcpStream, len: usize, full: usize) -> (Vec<u8>, Vec<u8>) {
    wait_queued(server, len);
    let mut buf = vec![0u8; N];
    let mut got = Vec::new();
    for _ in 0..full {
        assert_eq!(server.read(&mut buf).await.unwrap(), N);
        got.extend_from_slice(&buf);
    }
    (buf, got)
}

#[test]
fn a_full_read_that_drains_the_queue_clears_readiness() {
    support::block_on(async {
        let (mut client, mut server) = support::tcp_pair().await;
        let sent = data(3 * N);
        client.write_all(&sent).await.unwrap();
        // The first full read turns TCP_INQ on; the second leaves N bytes, the third none.
        let (mut buf, got) = read_full_buffers(&mut server, 3 * N, 3).await;
        assert!(got == sent, "the stream was corrupted");
        // Readiness was cleared by the last read: bytes that arrive now are not read
        // until the reactor reports them (without TCP_INQ, `try_read` would `recv` them).
        client.write_all(b"more").await.unwrap();
        wait_queued(&server, 4);
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::WouldBlock,
            "readiness not cleared"
        );
        // ...and their event wakes the reader.
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"more");
    });
}

#[test]
fn a_full_read_that_leaves_bytes_keeps_readiness() {
    support::block_on(async {
        let (mut client, mut server) = support::tcp_pair().await;
        let sent = data(3 * N);
        client.write_all(&sent).await.unwrap();
        let (mut buf, mut got) = read_full_buffers(&mut server, 3 * N, 2).await;
        // N bytes are still queued: readiness must still be set, so `try_read` (which
        // never makes a syscall without it) reads them at once.
        let n = server
            .try_read(&mut buf)
            .expect("readiness was cleared with bytes left");
        got.extend_from_slice(&buf[..n]);
        while got.len() < sent.len() {
            let n = server.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got == sent, "the stream was corrupted");
    });
}

#[test]
fn end_of_stream_after_full_reads_is_seen() {
    support::block_on(async {
        let (mut client, mut server) = support::tcp_pair().await;
        let sent = data(2 * N);
        client.write_all(&sent).await.unwrap();
        client.close().await.unwrap();
        drop(client);
        let (mut buf, got) = read_full_buffers(&mut server, 2 * N, 2).await;
        assert!(got == sent, "the stream was corrupted");
        assert_eq!(server.read(&mut buf).await.unwrap(), 0, "EOF lost");
    });
}

#[test]
fn ping_pong_of_whole_buffers_never_stalls() {
    // Every read fills its buffer exactly and drains the queue (the echo pattern that
    // rule 6 is for): each clear must be followed by the next message's wake-up.
    support::block_on(async {
        let (mut client, mut server) = support::tcp_pair().await;
        let mut sbuf = vec![0u8; N];
        let mut cbuf = vec![0u8; N];
        for round in 0..300usize {
            let msg: Vec<u8> = (0..N).map(|i| ((i + round) % 253) as u8).collect();
            let echo = async {
                let mut got = 0;
                while got < N {
                    let n = server.read(&mut sbuf[got..]).await.unwrap();
                    assert!(n > 0, "unexpected EOF");
                    got += n;
                }
                server.write_all(&sbuf).await.unwrap();
            };
            let ping = async {
                client.write_all(&msg).await.unwrap();
                client.read_exact(&mut cbuf).await.unwrap();
            };
            futures::join!(echo, ping);
            assert!(cbuf == msg, "round {round}: the echo was corrupted");
        }
    });
}

#[test]
fn after_a_short_read_only_a_full_read_asks_the_kernel_again() {
    support::block_on(async {
        let (mut client, mut server) = support::tcp_pair().await;
        let mut buf = vec![0u8; N];
        // A full read turns TCP_INQ on; the short read after it turns the report off.
        let sent = data(N + N / 2);
        client.write_all(&sent).await.unwrap();
        let (_, mut got) = read_full_buffers(&mut server, N + N / 2, 1).await;
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(n, N / 2, "the second read should be short");
        got.extend_from_slice(&buf[..n]);
        assert!(got == sent, "the stream was corrupted");

        // A plain `recv` after the short read: a full read that happens to drain the queue
        // cannot know it, so readiness stays and `try_read` reads what comes next.
        let sent = data(N);
        client.write_all(&sent).await.unwrap();
        wait_queued(&server, N);
        assert_eq!(server.read(&mut buf).await.unwrap(), N);
        assert!(buf == sent, "the stream was corrupted");
        client.write_all(&sent).await.unwrap();
        wait_queued(&server, N);
        let n = server
            .try_read(&mut buf)
            .expect("a plain recv after a short read cleared readiness");
        assert_eq!(n, N);

        // That full read made the next one a `recvmsg` again: it drains the queue and
        // says so, which clears readiness.
        client.write_all(&sent).await.unwrap();
        wait_queued(&server, N);
        assert_eq!(server.read(&mut buf).await.unwrap(), N);
        client.write_all(b"more").await.unwrap();
        wait_queued(&server, 4);
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::WouldBlock,
            "readiness not cleared"
        );
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"more");
    });
}

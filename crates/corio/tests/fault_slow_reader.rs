//! A peer that never reads: the writer's `write` stays pending on back-pressure once
//! the kernel's buffers are full. corio buffers nothing of its own on epoll, and at most
//! one write on io_uring (its write-behind): every other byte a `write` reported as
//! accepted is in the kernel's queues of the connection, and when the peer finally reads
//! it gets exactly those bytes, in order. A pending
//! write cancelled by a timeout (or by aborting its task) takes no byte, and the stream
//! stays usable afterwards.

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use corio::net::{TcpSocket, TcpStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};

const BUF: u32 = 64 * 1024;
const CHUNK: usize = 16 * 1024;

fn byte(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

/// Writes the byte pattern from offset `sent` until a write stays pending for 50 ms;
/// returns the new offset. A write pending that long is the sign the kernel is full on
/// a quiet machine, not a proof: on io_uring the send that makes room completes as task
/// work of the thread that submitted it, which a loaded machine may keep off the CPU
/// for longer. So what this returns is checked against the kernel ([`in_kernel`]), not
/// against a second `fill`.
async fn fill(stream: &TcpStream, mut sent: u64) -> u64 {
    loop {
        let chunk: Vec<u8> = (sent..sent + CHUNK as u64).map(byte).collect();
        let mut w = stream;
        match corio::time::timeout(Duration::from_millis(50), w.write(&chunk)).await {
            Ok(n) => sent += n.unwrap() as u64,
            Err(_elapsed) => return sent, // back-pressure: the write was cancelled
        }
        assert!(
            sent < 64 << 20,
            "back-pressure was lost: {sent} bytes accepted"
        );
    }
}

/// A queue length the kernel reports for `fd` (`SIOCOUTQ`, `SIOCINQ`).
fn queued(fd: RawFd, request: libc::Ioctl) -> u64 {
    let mut n: libc::c_int = 0;
    // SAFETY: `fd` is an open socket and both requests write one `int` to `&mut n`.
    let r = unsafe { libc::ioctl(fd, request, &mut n) };
    assert_eq!(r, 0, "ioctl: {}", std::io::Error::last_os_error());
    u64::try_from(n).unwrap()
}

/// The bytes the kernel holds for the connection: the writer's send queue (written, not
/// yet acknowledged) plus the reader's receive queue. Nobody reads, so a byte leaves the
/// send queue only once it is in the receive queue: every byte the writer's `write`
/// accepted is counted here at least once, unless something outside the kernel holds
/// it.
fn in_kernel(writer: &TcpStream, reader: &TcpStream) -> u64 {
    queued(writer.as_raw_fd(), libc::TIOCOUTQ) + queued(reader.as_raw_fd(), libc::FIONREAD)
}

async fn pair() -> (TcpStream, TcpStream) {
    let ls = TcpSocket::new_v4().unwrap();
    ls.set_recv_buffer_size(BUF).unwrap();
    ls.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = ls.listen(16).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let cs = TcpSocket::new_v4().unwrap();
    cs.set_send_buffer_size(BUF).unwrap();
    let (client, accepted) = futures::join!(cs.connect(addr), listener.accept());
    let (server, _) = accepted.unwrap();
    (client.unwrap(), server)
}

async fn read_and_check(peer: &TcpStream, from: u64, n: u64) {
    let mut got = vec![0u8; n as usize];
    let mut r = peer;
    r.read_exact(&mut got).await.unwrap();
    for (k, b) in got.iter().enumerate() {
        assert_eq!(
            *b,
            byte(from + k as u64),
            "byte {} differs",
            from + k as u64
        );
    }
}

#[test]
fn never_reading_peer_bounds_what_the_writer_gets_accepted() {
    for flavor in ["current_thread", "multi_thread"] {
        let b = corio::Runtime::builder();
        let rt = match flavor {
            "current_thread" => b.current_thread().build().unwrap(),
            _ => b.multi_thread().worker_threads(2).build().unwrap(),
        };
        rt.block_on(async {
            let (writer, peer) = pair().await;
            let sent = fill(&writer, 0).await;
            assert!(sent > 0, "{flavor}: nothing was accepted");
            // What the kernel says it holds, not what the buffer sizes predict: its
            // accounting is by memory (`truesize`), and how many payload bytes fit
            // varies with how the segments arrived (a loaded machine collapses them
            // differently: 281 684 bytes once with buffers of 262 144). io_uring's
            // write-behind keeps at most one write (one chunk) in its own send buffer
            // while the kernel has no room (uring stream rule 2); epoll keeps nothing.
            let own = match corio::runtime::io_driver().unwrap() {
                "io_uring" => CHUNK as u64,
                _ => 0,
            };
            let check = |sent: u64, what: &str| {
                let held = in_kernel(&writer, &peer);
                assert!(
                    sent <= held + own,
                    "{flavor}: {what}: {sent} bytes accepted, {held} in the kernel"
                );
            };
            check(sent, "something buffers");
            // Still pending: the cancelled write left back-pressure in place, so whatever
            // more is accepted now (nothing on a quiet machine) is in the kernel too.
            let sent = fill(&writer, sent).await;
            check(sent, "back-pressure was lost after a cancelled write");

            // A pending write in a task, aborted. (If the kernel had room after all, the
            // write took some bytes of the pattern: they are part of the stream.)
            let writer = std::sync::Arc::new(writer);
            let w2 = writer.clone();
            let stuck = corio::spawn(async move {
                let chunk: Vec<u8> = (sent..sent + CHUNK as u64).map(byte).collect();
                let mut w = &*w2;
                w.write(&chunk).await
            });
            corio::time::sleep(Duration::from_millis(20)).await;
            let sent = if stuck.is_finished() {
                sent + stuck.await.unwrap().unwrap() as u64
            } else {
                stuck.abort();
                assert!(stuck.await.unwrap_err().is_cancelled());
                sent
            };

            // The peer reads everything: exactly the accepted bytes, in order.
            read_and_check(&peer, 0, sent).await;
            // Nothing more is in flight: a short read times out.
            let mut one = [0u8; 1];
            let mut r = &peer;
            assert!(
                corio::time::timeout(Duration::from_millis(20), r.read(&mut one))
                    .await
                    .is_err(),
                "{flavor}: the cancelled writes leaked bytes"
            );
            // The writer still works.
            let mut w = &*writer;
            let tail: Vec<u8> = (sent..sent + 1000).map(byte).collect();
            w.write_all(&tail).await.unwrap();
            read_and_check(&peer, sent, 1000).await;
        });
    }
}

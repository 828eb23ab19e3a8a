//! A peer that never reads: the writer's `write` stays pending on back-pressure once
//! the kernel's buffers are full. corio buffers nothing of its own: every byte a
//! `write` reported as accepted is in the kernel (bounded by the two socket buffers),
//! and when the peer finally reads it gets exactly those bytes, in order. A pending
//! write cancelled by a timeout (or by aborting its task) takes no byte, and the stream
//! stays usable afterwards.

use std::net::SocketAddr;
use std::time::Duration;

use corio::net::{TcpSocket, TcpStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};

const BUF: u32 = 64 * 1024;
const CHUNK: usize = 16 * 1024;

fn byte(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

/// Writes the byte pattern from offset `sent` until a write stays pending for 50 ms;
/// returns the new offset.
async fn fill(stream: &TcpStream, mut sent: u64) -> u64 {
    loop {
        let chunk: Vec<u8> = (sent..sent + CHUNK as u64).map(byte).collect();
        let mut w = stream;
        match corio::time::timeout(Duration::from_millis(50), w.write(&chunk)).await {
            Ok(n) => sent += n.unwrap() as u64,
            Err(_elapsed) => return sent, // back-pressure: the write was cancelled
        }
    }
}

async fn pair() -> (TcpStream, TcpStream, u64) {
    let ls = TcpSocket::new_v4().unwrap();
    ls.set_recv_buffer_size(BUF).unwrap();
    ls.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = ls.listen(16).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let cs = TcpSocket::new_v4().unwrap();
    cs.set_send_buffer_size(BUF).unwrap();
    let bound = u64::from(cs.send_buffer_size().unwrap());
    let (client, accepted) = futures::join!(cs.connect(addr), listener.accept());
    let (server, _) = accepted.unwrap();
    // What the kernel may hold: both buffers (as the kernel reports them, i.e. doubled
    // for bookkeeping), the peer's also taken from its side.
    let peer = TcpSocket::new_v4().unwrap();
    peer.set_recv_buffer_size(BUF).unwrap();
    let bound = bound + u64::from(peer.recv_buffer_size().unwrap());
    (client.unwrap(), server, bound)
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
            let (writer, peer, bound) = pair().await;
            let sent = fill(&writer, 0).await;
            assert!(sent > 0, "{flavor}: nothing was accepted");
            assert!(
                sent <= bound + CHUNK as u64,
                "{flavor}: {sent} bytes accepted with buffers of {bound}: something buffers"
            );
            // Still pending: more writes after the cancelled one are refused too.
            let again = fill(&writer, sent).await;
            assert!(
                again - sent <= CHUNK as u64,
                "{flavor}: back-pressure was lost"
            );
            let sent = again;

            // A pending write in a task, aborted.
            let writer = std::sync::Arc::new(writer);
            let w2 = writer.clone();
            let stuck = corio::spawn(async move {
                let chunk = vec![0xEE; CHUNK];
                let mut w = &*w2;
                w.write(&chunk).await
            });
            corio::time::sleep(Duration::from_millis(20)).await;
            let stuck_result = if stuck.is_finished() {
                // The peer's window opened a little: the write took some bytes; then
                // they are part of the stream (checked below by count).
                Some(stuck.await.unwrap().unwrap())
            } else {
                stuck.abort();
                assert!(stuck.await.unwrap_err().is_cancelled());
                None
            };
            assert_eq!(
                stuck_result, None,
                "{flavor}: a write succeeded with no reader"
            );

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

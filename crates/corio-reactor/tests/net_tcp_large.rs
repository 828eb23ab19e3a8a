//! A large transfer with a checksum: 100 MB in release builds, 16 MB in debug builds
//! (debug-mode checksumming of 100 MB is too slow for the test budget).
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use corio_reactor::net::{TcpListener, TcpStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};

const TOTAL: usize = if cfg!(debug_assertions) {
    16 << 20
} else {
    100 << 20
};
const CHUNK: usize = 256 * 1024;

fn fill(buf: &mut [u8], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        let x = (offset + i) as u64;
        *b = (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8;
    }
}

fn checksum(state: &mut u64, buf: &[u8]) {
    for &b in buf {
        *state = (*state ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
}

#[test]
fn large_transfer_arrives_intact() {
    support::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let send = async {
            let mut sum = 0xcbf2_9ce4_8422_2325u64;
            let mut buf = vec![0u8; CHUNK];
            let mut sent = 0;
            while sent < TOTAL {
                let n = CHUNK.min(TOTAL - sent);
                fill(&mut buf[..n], sent);
                checksum(&mut sum, &buf[..n]);
                client.write_all(&buf[..n]).await.unwrap();
                sent += n;
            }
            client.close().await.unwrap();
            sum
        };
        let recv = async {
            let mut sum = 0xcbf2_9ce4_8422_2325u64;
            let mut buf = vec![0u8; CHUNK];
            let mut total = 0;
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                checksum(&mut sum, &buf[..n]);
                total += n;
            }
            (sum, total)
        };
        let (sent_sum, (recv_sum, total)) = futures::join!(send, recv);
        assert_eq!(total, TOTAL);
        assert_eq!(sent_sum, recv_sum);
    });
}

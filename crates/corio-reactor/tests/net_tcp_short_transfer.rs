//! A short `recv`/`send` on a TCP stream clears the readiness it used (saving the
//! `WouldBlock` syscall): data or buffer space that shows up afterwards must still
//! wake the task, in both directions, and nothing is lost or reordered.
// Sockets and epoll are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use futures::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn data_after_a_short_read_wakes_the_reader() {
    support::block_on(async {
        let (mut client, mut server) = support::tcp_pair().await;
        let mut buf = [0u8; 256];
        for round in 0..200u32 {
            let msg = round.to_le_bytes().repeat(1 + round as usize % 7);
            // The read starts first (and parks after its short read of the previous
            // round cleared readiness); the write lands while it waits.
            let (n, ()) = futures::join!(async { server.read(&mut buf).await.unwrap() }, async {
                client.write_all(&msg).await.unwrap()
            },);
            assert!(n > 0 && n <= msg.len());
            let mut got = buf[..n].to_vec();
            while got.len() < msg.len() {
                let n = server.read(&mut buf).await.unwrap();
                assert!(n > 0, "unexpected EOF");
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, msg, "round {round}");
        }
        // EOF after a short read is still seen.
        client.close().await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn space_after_a_short_write_wakes_the_writer() {
    support::block_on(async {
        let (mut client, mut server) = support::tcp_pair().await;
        // Far more than the socket buffers hold: the writer sees short writes (which
        // clear write readiness) and must be woken as the reader frees space.
        let data: Vec<u8> = (0..8usize << 20).map(|i| (i % 251) as u8).collect();
        let write = async {
            client.write_all(&data).await.unwrap();
            client.close().await.unwrap();
        };
        let read = async {
            let mut got = Vec::with_capacity(data.len());
            server.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), got) = futures::join!(write, read);
        assert!(got == data, "the stream was corrupted");
    });
}

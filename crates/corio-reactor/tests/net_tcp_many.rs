//! 1 000 concurrent loopback connections exchanging data, driven by one thread.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use corio_reactor::net::{TcpListener, TcpStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::stream::{FuturesUnordered, StreamExt};

const CONNECTIONS: usize = 1000;
const MESSAGE: usize = 4096;

fn pattern(i: usize) -> Vec<u8> {
    (0..MESSAGE).map(|j| (i * 31 + j) as u8).collect()
}

#[test]
fn thousand_concurrent_echo_connections() {
    support::raise_fd_limit();
    let mut rt = support::Rt::new();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server =
            listener
                .incoming()
                .take(CONNECTIONS)
                .for_each_concurrent(None, |s| async move {
                    let s = s.unwrap();
                    let (mut r, mut w) = s.split();
                    futures::io::copy(&mut r, &mut w).await.unwrap();
                    w.close().await.unwrap();
                });
        let clients = (0..CONNECTIONS)
            .map(|i| async move {
                let mut c = TcpStream::connect(addr).await.unwrap();
                let msg = pattern(i);
                c.write_all(&msg).await.unwrap();
                c.close().await.unwrap();
                let mut back = Vec::new();
                c.read_to_end(&mut back).await.unwrap();
                assert_eq!(back, msg, "connection {i}");
            })
            .collect::<FuturesUnordered<_>>()
            .count();
        let ((), done) = futures::join!(server, clients);
        assert_eq!(done, CONNECTIONS);
    });
    // Every registration was removed on drop.
    assert_eq!(rt.reactor.handle().registered(), 0);
}

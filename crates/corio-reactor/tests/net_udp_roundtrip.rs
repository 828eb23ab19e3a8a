//! UDP round trips: send_to/recv_from, connected send/recv, shared by many waiters.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use std::sync::Arc;

use corio_reactor::net::UdpSocket;

#[test]
fn send_to_and_recv_from_round_trip() {
    support::block_on(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let saddr = server.local_addr().unwrap();
        for i in 0..100u32 {
            client.send_to(&i.to_be_bytes(), saddr).await.unwrap();
            let mut buf = [0; 16];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, client.local_addr().unwrap());
            server.send_to(&buf[..n], from).await.unwrap();
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&i.to_be_bytes()[..], saddr));
        }
    });
}

#[test]
fn connected_send_and_recv() {
    support::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        a.send(b"ping").await.unwrap();
        let mut buf = [0; 8];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        b.send(b"pong").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");
    });
}

#[test]
fn connected_send_to_closed_port_reports_refused() {
    support::block_on(async {
        let closed = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(closed).await.unwrap();
        a.send(b"x").await.unwrap();
        let err = a.recv(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn several_tasks_can_wait_on_one_socket() {
    support::block_on(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let saddr = server.local_addr().unwrap();
        let receivers = (0..4).map(|_| {
            let s = server.clone();
            async move {
                let mut buf = [0; 4];
                s.recv_from(&mut buf).await.unwrap().0
            }
        });
        let sender = async {
            for _ in 0..4 {
                client.send_to(b"abcd", saddr).await.unwrap();
            }
        };
        let (got, ()) = futures::join!(futures::future::join_all(receivers), sender);
        assert_eq!(got, vec![4, 4, 4, 4]);
    });
}

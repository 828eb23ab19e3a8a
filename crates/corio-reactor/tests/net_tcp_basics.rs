//! TCP basics: connect/accept, echo, half-close, errors from the OS unchanged.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use std::io::ErrorKind;
use std::net::Shutdown;

use corio_reactor::net::{TcpListener, TcpSocket, TcpStream};
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use futures::StreamExt;
use support::block_on;

#[test]
fn connect_accept_and_exchange() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
        client.write_all(b"hello\nworld\n").await.unwrap();
        let mut lines = BufReader::new(&mut server).lines();
        assert_eq!(lines.next().await.unwrap().unwrap(), "hello");
        assert_eq!(lines.next().await.unwrap().unwrap(), "world");
    });
}

#[test]
fn connect_by_host_name_uses_blocking_pool() {
    block_on(async {
        let listener = TcpListener::bind("localhost:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        let (_s, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
    });
}

#[test]
fn half_close_lets_peer_read_eof_and_still_reply() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"request").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"request");
        // Reading again after EOF keeps returning Ok(0).
        assert_eq!(server.read(&mut [0; 8]).await.unwrap(), 0);
        server.write_all(b"reply").await.unwrap();
        server.close().await.unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"reply");
    });
}

#[test]
fn connection_refused_is_the_os_error() {
    block_on(async {
        // Bind then drop to get a port with nothing listening.
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    });
}

#[test]
fn binding_a_used_port_is_addr_in_use() {
    block_on(async {
        let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = TcpListener::bind(a.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
    });
}

#[test]
fn reset_by_peer_and_broken_pipe_are_os_errors() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // SO_LINGER 0 makes close send RST.
        socket2::SockRef::from(server.get_ref())
            .set_linger(Some(std::time::Duration::ZERO))
            .unwrap();
        drop(server);
        let mut buf = [0; 16];
        let err = client.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        // Writing to a reset connection: EPIPE, and no SIGPIPE kills the test.
        let mut saw_pipe = false;
        for _ in 0..4 {
            match client.write(b"x").await {
                Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                    saw_pipe = true;
                    break;
                }
                Err(e) => panic!("unexpected {e:?}"),
                Ok(_) => {}
            }
        }
        assert!(saw_pipe);
    });
}

#[test]
fn incoming_stream_yields_connections() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let c1 = TcpStream::connect(addr).await.unwrap();
        let c2 = TcpStream::connect(addr).await.unwrap();
        let got: Vec<_> = listener.incoming().take(2).collect().await;
        let peers: Vec<_> = got
            .into_iter()
            .map(|s| s.unwrap().peer_addr().unwrap())
            .collect();
        assert_eq!(
            peers,
            vec![c1.local_addr().unwrap(), c2.local_addr().unwrap()]
        );
    });
}

#[test]
fn peek_does_not_consume() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"abc").await.unwrap();
        let mut buf = [0; 3];
        let n = server.peek(&mut buf).await.unwrap();
        assert!(n >= 1 && buf[..n] == b"abc"[..n]);
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abc");
    });
}

#[test]
fn socket_builder_sets_options() {
    block_on(async {
        let s = TcpSocket::new_v4().unwrap();
        s.set_reuseaddr(true).unwrap();
        s.set_reuseport(true).unwrap();
        s.set_send_buffer_size(64 * 1024).unwrap();
        s.set_recv_buffer_size(64 * 1024).unwrap();
        assert!(s.send_buffer_size().unwrap() >= 64 * 1024);
        assert!(s.recv_buffer_size().unwrap() >= 64 * 1024);
        s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = s.local_addr().unwrap();
        let listener = s.listen(16).unwrap();
        // SO_REUSEPORT: a second listener on the same port works.
        let s2 = TcpSocket::new_v4().unwrap();
        s2.set_reuseport(true).unwrap();
        s2.bind(addr).unwrap();
        let _l2 = s2.listen(16).unwrap();
        let c = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        assert!(c.nodelay().unwrap());
        drop(listener);
    });
}

#[test]
fn outside_a_runtime_names_the_function() {
    let err = futures::executor::block_on(TcpStream::connect("127.0.0.1:1")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("corio::net::TcpStream::connect"), "{msg}");
    assert!(msg.contains("outside of a corio runtime"), "{msg}");
    let err = futures::executor::block_on(TcpListener::bind("127.0.0.1:0")).unwrap_err();
    assert!(err.to_string().contains("corio::net::TcpListener::bind"));
}

#[test]
fn split_halves_work_from_two_futures() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let (mut rd, mut wr) = client.into_split();
        let writer = async {
            wr.write_all(&vec![7u8; 1 << 20]).await.unwrap();
            drop(wr); // shuts down the write side
        };
        let echo = async {
            // The inherent borrowed split (not `AsyncReadExt::split`).
            let (mut r, mut w) = TcpStream::split(&mut server);
            futures::io::copy(&mut r, &mut w).await.unwrap();
            w.close().await.unwrap();
        };
        let reader = async {
            let mut got = Vec::new();
            rd.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), (), got) = futures::join!(writer, echo, reader);
        assert_eq!(got.len(), 1 << 20);
        assert!(got.iter().all(|&b| b == 7));
    });
}

#[test]
fn reunite_checks_the_halves_match() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let b = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        let err = ar.reunite(bw).unwrap_err();
        let (ar, bw) = (err.0, err.1);
        assert!(ar.reunite(aw).is_ok());
        assert!(br.reunite(bw).is_ok());
    });
}

#[test]
fn vectored_writes_send_all_slices() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let bufs = [std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"cd")];
        let n = client.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, 4);
        let mut got = [0; 4];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"abcd");
    });
}

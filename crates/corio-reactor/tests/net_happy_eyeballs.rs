//! Happy Eyeballs on loopback, on virtual time: an address that never answers (a
//! listener whose backlog is full) does not stop the connection going through the other
//! family within the delay. Also `lookup_host` and its errors.
#![cfg(not(miri))]

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream as StdStream};
use std::time::Duration;

use corio_reactor::net::{lookup_host, HappyEyeballs, TcpListener, TcpStream};
use socket2::{Domain, Socket, Type};

/// A `[::1]` listener that accepts nothing: its backlog (0, so one connection) is full,
/// so the kernel drops further SYNs and a connect to it never completes. The returned
/// values must stay alive.
fn full_backlog_v6() -> (Socket, StdStream, SocketAddr) {
    let l = Socket::new(Domain::IPV6, Type::STREAM, None).unwrap();
    l.bind(&"[::1]:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    l.listen(0).unwrap();
    let addr = l.local_addr().unwrap().as_socket().unwrap();
    let filler = StdStream::connect(addr).unwrap();
    (l, filler, addr)
}

/// An address where nothing listens: connecting is refused at once.
fn refused(v6: bool) -> SocketAddr {
    let s = std::net::TcpListener::bind(if v6 { "[::1]:0" } else { "127.0.0.1:0" }).unwrap();
    s.local_addr().unwrap()
}

#[corio::test(start_paused = true)]
async fn an_unanswering_v6_address_connects_through_v4_after_the_delay() {
    let (_l, _filler, v6) = full_backlog_v6();
    let v4_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let v4 = v4_listener.local_addr().unwrap();
    for delay in [Duration::from_millis(250), Duration::from_millis(40)] {
        let start = corio_core::context::now();
        let stream = if delay == Duration::from_millis(250) {
            // The default: TcpStream::connect itself.
            TcpStream::connect(&[v6, v4][..]).await.unwrap()
        } else {
            HappyEyeballs::new()
                .delay(delay)
                .connect(&[v6, v4][..])
                .await
                .unwrap()
        };
        // Exactly one delay of virtual time: the v4 attempt started when it ran out.
        assert_eq!(corio_core::context::now() - start, delay);
        assert_eq!(stream.peer_addr().unwrap(), v4);
        let (_server, _) = v4_listener.accept().await.unwrap();
    }
}

#[corio::test(start_paused = true)]
async fn a_refused_address_falls_through_at_once() {
    let v4_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let v4 = v4_listener.local_addr().unwrap();
    let start = corio_core::context::now();
    let stream = TcpStream::connect(&[refused(true), v4][..]).await.unwrap();
    assert_eq!(
        corio_core::context::now(),
        start,
        "no delay after a failure"
    );
    assert_eq!(stream.peer_addr().unwrap(), v4);
}

#[corio::test(start_paused = true)]
async fn when_every_address_fails_the_last_error_is_returned() {
    let err = TcpStream::connect(&[refused(true), refused(false)][..])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    let err = TcpStream::connect(&[][..]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[corio::test(start_paused = true)]
async fn lookup_host_resolves_and_reports_the_resolvers_error() {
    let addrs: Vec<SocketAddr> = lookup_host("localhost:4242").await.unwrap().collect();
    assert!(!addrs.is_empty());
    assert!(addrs
        .iter()
        .all(|a| a.ip().is_loopback() && a.port() == 4242));
    let addrs: Vec<SocketAddr> = lookup_host(("127.0.0.1", 80)).await.unwrap().collect();
    assert_eq!(addrs, ["127.0.0.1:80".parse::<SocketAddr>().unwrap()]);
    // `.invalid` never resolves (RFC 2606): the resolver's error, not a hang.
    let err = lookup_host("no-such-host.invalid:80")
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(
        err.to_string().contains("lookup") || err.to_string().contains("resol"),
        "{err}"
    );
    let err = lookup_host("no port here").await.map(|_| ()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn outside_a_runtime_the_error_names_the_function() {
    let err = futures::executor::block_on(lookup_host("localhost:1"))
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("corio::net::lookup_host"), "{err}");
}

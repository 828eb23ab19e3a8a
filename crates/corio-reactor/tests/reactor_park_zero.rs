//! Zero-timeout polls: with nothing registered and no unpark pending they return at once
//! (no syscall); an unpark or a registered descriptor's event is still reported.
mod support;

use std::time::Duration;

use corio_core::Driver;
use corio_reactor::net::UdpSocket;
use support::Rt;

#[test]
fn nothing_registered_nothing_pending_is_not_a_wake_up() {
    let mut rt = Rt::new();
    assert_eq!(rt.reactor.handle().registered(), 0);
    assert!(!rt.reactor.park(Some(Duration::ZERO)));
}

#[test]
fn a_pending_unpark_is_reported_by_a_zero_timeout_poll() {
    let mut rt = Rt::new();
    rt.reactor.unparker().unpark();
    assert!(rt.reactor.park(Some(Duration::ZERO)));
    // Consumed: the next zero-timeout poll reports nothing.
    assert!(!rt.reactor.park(Some(Duration::ZERO)));
}

#[test]
fn an_event_of_a_registered_socket_is_reported_by_a_zero_timeout_poll() {
    let mut rt = Rt::new();
    let (a, b) = rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (a, b)
    });
    assert_eq!(rt.reactor.handle().registered(), 2);
    // Drain the writable edges of the fresh registrations.
    while rt.reactor.park(Some(Duration::ZERO)) {}
    let to = b.local_addr().unwrap();
    rt.block_on(async { a.send_to(b"ping", to).await.unwrap() });
    // The datagram's readable edge is waiting in epoll: a zero-timeout poll sees it
    // (poll a few times: loopback delivery is immediate but the edge may follow the send).
    let mut seen = false;
    for _ in 0..1000 {
        if rt.reactor.park(Some(Duration::ZERO)) {
            seen = true;
            break;
        }
        std::thread::yield_now();
    }
    assert!(seen, "the readable edge was not reported");
    drop((a, b));
    assert_eq!(rt.reactor.handle().registered(), 0);
    assert!(!rt.reactor.park(Some(Duration::ZERO)));
}

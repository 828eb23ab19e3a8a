//! `ready(Interest)`, `try_read`/`try_write` on streams and UDP, and UDP multicast on
//! the loopback interface.
#![cfg(not(miri))]

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use corio_reactor::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use corio_reactor::Interest;

#[corio::test(start_paused = true)]
async fn try_read_and_try_write_with_ready() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let mut buf = [0; 16];
    // Nothing sent yet: WouldBlock, which clears readiness.
    assert_eq!(
        server.try_read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert!(server
        .ready(Interest::WRITABLE)
        .await
        .unwrap()
        .is_writable());
    assert_eq!(client.try_write(b"abc").unwrap(), 3);
    let ready = server.ready(Interest::READABLE).await.unwrap();
    assert!(ready.is_readable() && !ready.is_read_closed());
    assert_eq!(server.try_read(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
    drop(client);
    // The usual loop: wait, try, and on WouldBlock wait again.
    loop {
        server.ready(Interest::READABLE).await.unwrap();
        match server.try_read(&mut buf) {
            Ok(n) => {
                assert_eq!(n, 0, "end-of-stream");
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
}

#[corio::test(start_paused = true)]
async fn try_write_fills_the_buffer_then_would_block() {
    let (a, b) = UnixStream::pair().unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut total = 0;
    loop {
        match a.try_write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(total > 0);
    // Draining the peer makes it writable again.
    let mut sink = vec![0; 1 << 20];
    let mut drained = 0;
    while drained < total {
        b.ready(Interest::READABLE).await.unwrap();
        match b.try_read(&mut sink) {
            Ok(n) => drained += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
    assert!(a.try_write(b"x").unwrap() == 1);
}

#[corio::test(start_paused = true)]
async fn udp_try_recv_and_ready() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut buf = [0; 8];
    assert_eq!(
        b.try_recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    a.try_send_to(b"dgram", b.local_addr().unwrap()).unwrap();
    b.ready(Interest::READABLE).await.unwrap();
    let (n, from) = b.try_recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"dgram"[..], a.local_addr().unwrap()));
}

/// Receives one datagram on `rx`, or fails after 10 s of real time: a datagram that
/// never arrives fails the test rather than hanging it.
async fn recv_within(rx: &UdpSocket) -> Vec<u8> {
    let mut buf = [0; 8];
    let n = corio::timeout(Duration::from_secs(10), rx.recv(&mut buf))
        .await
        .expect("no datagram within 10 s")
        .unwrap();
    buf[..n].to_vec()
}

// Real time, not paused: the looped-back datagram may be delivered by the kernel's
// softirq thread a moment after `send_to` returns, and a paused clock would take that
// idle moment for a deadlock and fire the timeout at once.
#[corio::test]
async fn multicast_join_and_leave_on_loopback() {
    let group = Ipv4Addr::new(239, 255, 42, 99);
    // Bound to the group itself, not 0.0.0.0: the socket takes only datagrams sent to
    // the group (joined on loopback only), never unicast from another interface.
    let rx = UdpSocket::bind((group, 0)).await.unwrap();
    rx.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    tx.set_multicast_if_v4(Ipv4Addr::LOCALHOST).unwrap();
    tx.set_multicast_loop_v4(true).unwrap();
    tx.set_multicast_ttl_v4(0).unwrap(); // never beyond this host
    let port = rx.local_addr().unwrap().port();
    tx.send_to(b"one", (group, port)).await.unwrap();
    assert_eq!(recv_within(&rx).await, b"one");
    rx.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    // Leaving twice, or joining a unicast address, is the OS error.
    assert!(rx.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err());
    let err = rx
        .join_multicast_v4(Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::LOCALHOST)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // After leaving, the group's datagrams no longer arrive: "two", sent while out of
    // the group, is not queued ahead of "three", sent after joining again.
    tx.send_to(b"two", (group, port)).await.unwrap();
    rx.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
    tx.send_to(b"three", (group, port)).await.unwrap();
    assert_eq!(recv_within(&rx).await, b"three");
}

#[corio::test(start_paused = true)]
async fn multicast_v6_join_and_leave_on_loopback() {
    // Bound to ::1, so nothing off loopback reaches it. Delivery over IPv6 multicast needs a multicast route, which a loopback-only
    // machine may lack; joining and leaving on `lo` (index 1) always work.
    let group = Ipv6Addr::new(0xff12, 0, 0, 0, 0, 0, 0, 0x4242);
    let lo = 1;
    let rx = UdpSocket::bind("[::1]:0").await.unwrap();
    rx.join_multicast_v6(&group, lo).unwrap();
    rx.leave_multicast_v6(&group, lo).unwrap();
    // Leaving twice, or joining a unicast address, is the OS error.
    assert!(rx.leave_multicast_v6(&group, lo).is_err());
    assert!(rx.join_multicast_v6(&Ipv6Addr::LOCALHOST, lo).is_err());
}

//! Happy Eyeballs on loopback, on virtual time: an address that never answers (a
//! listener whose backlog is full) does not stop the connection going through the other
//! family within the delay. Also `lookup_host` and its errors.
//!
//! The dual-stack tests go through a real host name, `corio-dual.test`, which `.ci/run`
//! adds to `/etc/hosts` with both `127.0.0.1` and `::1`. Without that entry they print a
//! note and skip, or fail under `CI=1`.
#![cfg(not(miri))]

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream as StdStream};
use std::time::Duration;

use corio_reactor::net::{lookup_host, HappyEyeballs, TcpListener, TcpStream, DEFAULT_DELAY};
use socket2::{Domain, Socket, Type};

/// The test name `.ci/run` puts in `/etc/hosts`.
const DUAL: &str = "corio-dual.test";

/// A listener on `addr` that accepts nothing: its backlog (0, so one connection) is full,
/// so the kernel drops further SYNs and a connect to it never completes. The returned
/// values must stay alive.
fn full_backlog(addr: SocketAddr) -> std::io::Result<(Socket, StdStream, SocketAddr)> {
    let l = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    l.bind(&addr.into())?;
    l.listen(0)?;
    let addr = l.local_addr()?.as_socket().unwrap();
    let filler = StdStream::connect(addr)?;
    Ok((l, filler, addr))
}

fn full_backlog_v6() -> (Socket, StdStream, SocketAddr) {
    full_backlog("[::1]:0".parse().unwrap()).unwrap()
}

/// How many of this machine's TCP sockets are still connecting (`SYN_SENT`) to `port`
/// over `ip`'s family, from `/proc/net/tcp6` or `/proc/net/tcp`. A Happy Eyeballs
/// attempt that lost the race must be closed (rule 3), not left retrying its SYN in the
/// background.
fn connecting_to(ip: IpAddr, port: u16) -> usize {
    let table = if ip.is_ipv6() {
        "/proc/net/tcp6"
    } else {
        "/proc/net/tcp"
    };
    let table = std::fs::read_to_string(table).expect(table);
    let remote_port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // "sl local_address rem_address st ...": st 02 is SYN_SENT.
            fields.len() > 3 && fields[2].ends_with(&remote_port) && fields[3] == "02"
        })
        .count()
}

const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Resolves [`DUAL`] with `lookup_host`; `None` (after a note) when it does not resolve
/// to both loopback addresses, a panic under `CI=1`.
async fn dual_stack_name() -> Option<Vec<SocketAddr>> {
    // Not listed: stop here rather than let the resolver ask a DNS server off loopback.
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    if !hosts.lines().any(|l| {
        l.split('#')
            .next()
            .unwrap()
            .split_whitespace()
            .skip(1)
            .any(|n| n == DUAL)
    }) {
        missing("is not in /etc/hosts");
        return None;
    }
    let found: Vec<SocketAddr> = match lookup_host((DUAL, 9)).await {
        Ok(addrs) => addrs.collect(),
        Err(e) => {
            missing(&format!("does not resolve ({e})"));
            return None;
        }
    };
    let ips: Vec<IpAddr> = found.iter().map(|a| a.ip()).collect();
    if !(ips.contains(&V6) && ips.contains(&V4)) {
        missing(&format!("resolves to {ips:?}, not both ::1 and 127.0.0.1"));
        return None;
    }
    assert!(found.iter().all(|a| a.port() == 9), "{found:?}");
    Some(found)
}

fn missing(what: &str) {
    let msg = format!(
        "`{DUAL}` {what}: add `127.0.0.1 {DUAL}` and `::1 {DUAL}` to /etc/hosts (.ci/run does)"
    );
    if std::env::var_os("CI").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
}

/// One port on both loopback addresses: a listener that never answers on `dead`'s
/// family and a corio listener on the other's. Retries when the other family's port is
/// taken.
async fn dead_and_live(dead: IpAddr) -> ((Socket, StdStream, SocketAddr), TcpListener) {
    let live = if dead == V6 { V4 } else { V6 };
    for _ in 0..100 {
        let d = full_backlog(SocketAddr::new(dead, 0)).unwrap();
        match TcpListener::bind(SocketAddr::new(live, d.2.port())).await {
            Ok(l) => return (d, l),
            Err(e) if e.kind() == ErrorKind::AddrInUse => continue,
            Err(e) => panic!("{e}"),
        }
    }
    panic!("no port free on both ::1 and 127.0.0.1");
}

#[corio::test(start_paused = true)]
async fn a_dual_stack_name_whose_v6_never_answers_connects_through_v4_after_the_delay() {
    let Some(resolved) = dual_stack_name().await else {
        return;
    };
    // The system's order (RFC 6724) puts ::1 first: the dead address is tried first.
    assert_eq!(resolved[0].ip(), V6, "{resolved:?}");
    let (_dead, live) = dead_and_live(V6).await;
    let port = live.local_addr().unwrap().port();
    for delay in [Duration::from_millis(250), Duration::from_millis(40)] {
        let start = corio_core::context::now();
        let stream = if delay == DEFAULT_DELAY {
            // The default: TcpStream::connect with the name itself.
            TcpStream::connect((DUAL, port)).await.unwrap()
        } else {
            HappyEyeballs::new()
                .delay(delay)
                .connect(format!("{DUAL}:{port}"))
                .await
                .unwrap()
        };
        // Exactly one delay of virtual time: the v4 attempt started when it ran out.
        assert_eq!(corio_core::context::now() - start, delay);
        assert_eq!(stream.peer_addr().unwrap(), SocketAddr::new(V4, port));
        // The ::1 attempt lost: cancelled, its socket closed, not left connecting.
        assert_eq!(
            connecting_to(V6, port),
            0,
            "the losing attempt is still connecting"
        );
        let (_server, _) = live.accept().await.unwrap();
    }
}

#[corio::test(start_paused = true)]
async fn a_dual_stack_name_whose_v4_never_answers_connects_through_v6() {
    let Some(_) = dual_stack_name().await else {
        return;
    };
    let (_dead, live) = dead_and_live(V4).await;
    let port = live.local_addr().unwrap().port();
    let v6 = SocketAddr::new(V6, port);

    // The system's order: ::1 first, which answers at once.
    let start = corio_core::context::now();
    let stream = TcpStream::connect((DUAL, port)).await.unwrap();
    assert_eq!(corio_core::context::now(), start);
    assert_eq!(stream.peer_addr().unwrap(), v6);
    let (_server, _) = live.accept().await.unwrap();

    // The name's addresses with 127.0.0.1 first: the dead v4 attempt runs for one
    // delay, then ::1 wins.
    let mut addrs: Vec<SocketAddr> = lookup_host((DUAL, port)).await.unwrap().collect();
    addrs.sort_by_key(|a| a.is_ipv6());
    assert_eq!(addrs[0].ip(), V4, "{addrs:?}");
    let start = corio_core::context::now();
    let stream = TcpStream::connect(&addrs[..]).await.unwrap();
    assert_eq!(corio_core::context::now() - start, DEFAULT_DELAY);
    assert_eq!(stream.peer_addr().unwrap(), v6);
    // The 127.0.0.1 attempt lost: cancelled, its socket closed, not left connecting.
    assert_eq!(
        connecting_to(V4, port),
        0,
        "the losing attempt is still connecting"
    );
    let (_server, _) = live.accept().await.unwrap();
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
        // The v6 attempt, still waiting for its SYN to be answered, was cancelled:
        // its socket is closed, not left connecting in the background.
        assert_eq!(
            connecting_to(V6, v6.port()),
            0,
            "the losing attempt is still connecting"
        );
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
    // A name the resolver refuses itself (an empty label: it never goes out as a DNS
    // query, which a well-formed unknown name like `x.invalid` would, to the configured
    // name server off loopback): the resolver's error, not a hang.
    let err = lookup_host("no-such-host..invalid:80")
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

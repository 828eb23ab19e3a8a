//! Compile-time checks: I/O types and their futures are `Send`/`Sync` as expected.
#![cfg(not(miri))]

use corio_reactor::net::{
    TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>(_: &T) {}

#[test]
fn io_types_are_send_and_sync() {
    send_sync::<corio_reactor::ReactorHandle>();
    send_sync::<TcpListener>();
    send_sync::<TcpStream>();
    send_sync::<UdpSocket>();
    send_sync::<UnixListener>();
    send_sync::<UnixStream>();
    send_sync::<UnixDatagram>();
    send_sync::<corio_reactor::net::tcp::OwnedReadHalf>();
    send_sync::<corio_reactor::net::tcp::OwnedWriteHalf>();
    send_sync::<corio_reactor::fs::File>();
    send_sync::<corio_reactor::process::Child>();
    send_sync::<corio_reactor::Async<std::net::TcpStream>>();
    fn reactor_is_send<T: Send>() {}
    reactor_is_send::<corio_reactor::Reactor>();
}

#[allow(dead_code, unused_must_use)]
fn futures_are_send(l: &TcpListener, s: &TcpStream, u: &UdpSocket) {
    send(&TcpStream::connect("localhost:80"));
    send(&TcpListener::bind("127.0.0.1:0"));
    send(&l.accept());
    send(&s.peek(&mut []));
    send(&u.recv_from(&mut []));
    send(&corio_reactor::fs::read("x"));
    send(&corio_reactor::signal::ctrl_c());
}

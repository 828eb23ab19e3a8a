//! A closed socket's fd number, reused by a new socket, never delivers the old
//! socket's wake-ups to the new one.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use std::os::fd::AsRawFd;
use std::task::Context;
use std::time::Duration;

use corio_core::Driver;
use corio_reactor::net::UnixStream;
use corio_test_util::count_waker;
use futures::io::{AsyncRead, AsyncWriteExt};

#[test]
fn reused_fd_number_gets_no_stale_wakeup() {
    let mut rt = support::Rt::new();
    let _g = rt.cx.enter();
    let (mut a, b) = UnixStream::pair().unwrap();
    let (a_fd, b_fd) = (a.as_raw_fd(), b.as_raw_fd());
    // Make `b` readable: epoll now has a pending event for b's fd.
    futures::executor::block_on(a.write_all(b"stale")).unwrap();
    drop(b);
    // New sockets take the lowest free numbers: b's number comes back.
    let (mut c, d) = UnixStream::pair().unwrap();
    assert!(
        c.as_raw_fd() == b_fd || d.as_raw_fd() == b_fd,
        "fd number was not reused"
    );
    let reused = if c.as_raw_fd() == b_fd {
        &mut c
    } else {
        &mut { d }
    };

    let (count, waker) = count_waker();
    let mut buf = [0u8; 8];
    let polled =
        std::pin::Pin::new(&mut *reused).poll_read(&mut Context::from_waker(&waker), &mut buf);
    assert!(polled.is_pending(), "the new socket has no data");
    for _ in 0..3 {
        rt.reactor.park(Some(Duration::from_millis(1)));
    }
    assert_eq!(count.count(), 0, "stale wake-up delivered");
    let _ = a_fd;
}

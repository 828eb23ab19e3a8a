//! Test support: the reactor under corio-test-util's standalone poll loop, with its
//! `ThreadSpawner` (each blocking job on its own std thread).
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use corio_core::clock::Clock;
use corio_core::RuntimeContext;
use corio_reactor::Reactor;
use corio_test_util::{block_on_driver, poll_once, ThreadSpawner};

/// The reactor and context a test runs in.
pub struct Rt {
    pub reactor: Reactor,
    pub cx: RuntimeContext,
}

impl Rt {
    pub fn new() -> Rt {
        let reactor = Reactor::new().expect("reactor");
        let cx = RuntimeContext::new(Clock::new())
            .with_reactor(Arc::new(reactor.handle()))
            .with_spawner(Arc::new(ThreadSpawner));
        Rt { reactor, cx }
    }

    /// Polls `future` to completion, parking the reactor whenever it is not woken
    /// (corio-test-util's poll loop).
    pub fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        block_on_driver(&mut self.reactor, &self.cx, future)
    }

    /// Polls `future` once (inside the context) with a no-op waker.
    pub fn poll_once<F: Future + Unpin>(&mut self, future: &mut F) -> Poll<F::Output> {
        let _g = self.cx.enter();
        poll_once(future)
    }
}

/// `Rt::new().block_on(future)`.
pub fn block_on<F: Future>(future: F) -> F::Output {
    Rt::new().block_on(future)
}

/// Raises the soft descriptor limit to the hard limit.
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to fill.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
}

/// A connected loopback TCP pair `(client, server)`; the client has `TCP_NODELAY` set.
pub async fn tcp_pair() -> (corio_reactor::net::TcpStream, corio_reactor::net::TcpStream) {
    let listener = corio_reactor::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = corio_reactor::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.set_nodelay(true).unwrap();
    (client, server)
}

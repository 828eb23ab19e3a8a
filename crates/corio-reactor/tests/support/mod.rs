//! Test support: the standalone poll loop from the crate docs, plus a blocking "pool"
//! that runs each job on its own std thread.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio_core::clock::Clock;
use corio_core::task::{spawn_thread, AnyOutput, BoxFuture, RawJoin, Spawner};
use corio_core::{Driver, RuntimeContext, SpawnError, Unparker};
use corio_reactor::Reactor;
use std::panic::Location;

/// Runs blocking jobs on fresh std threads.
pub struct ThreadSpawner;

impl Spawner for ThreadSpawner {
    fn spawn(
        &self,
        _future: BoxFuture<AnyOutput>,
        _location: &'static Location<'static>,
    ) -> Result<Box<dyn RawJoin>, SpawnError> {
        Err(SpawnError::Shutdown)
    }
    fn spawn_blocking(
        &self,
        job: Box<dyn FnOnce() -> AnyOutput + Send>,
        _location: &'static Location<'static>,
    ) -> Result<Box<dyn RawJoin>, SpawnError> {
        spawn_thread(job)
    }
}

struct Flag {
    woken: AtomicBool,
    unparker: Unparker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.unparker.unpark();
    }
}

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

    /// Polls `future` to completion, parking the reactor whenever it is not woken.
    pub fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let _g = self.cx.enter();
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(true),
            unparker: self.reactor.unparker(),
        });
        let waker = Waker::from(flag.clone());
        let mut future = pin!(future);
        loop {
            if flag.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(v) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                    return v;
                }
                continue;
            }
            self.reactor.park(None);
        }
    }

    /// Polls `future` once (inside the context) with a no-op waker.
    pub fn poll_once<F: Future + Unpin>(&mut self, future: &mut F) -> Poll<F::Output> {
        let _g = self.cx.enter();
        pin!(future).poll(&mut Context::from_waker(Waker::noop()))
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

//! Support for the doc examples: a one-future poll loop over a fresh reactor, with a
//! blocking "pool" that runs each job on its own std thread. Not part of the API.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio_core::clock::Clock;
use corio_core::task::{AbortHandle, BoxFuture, Spawner};
use corio_core::{Driver, RuntimeContext, SpawnError, Unparker};

use crate::Reactor;

struct ThreadSpawner;

impl Spawner for ThreadSpawner {
    fn spawn_boxed(&self, _future: BoxFuture<()>) -> Result<AbortHandle, SpawnError> {
        Err(SpawnError::Shutdown)
    }
    fn spawn_blocking_boxed(&self, job: Box<dyn FnOnce() + Send>) -> Result<(), SpawnError> {
        std::thread::spawn(job);
        Ok(())
    }
}

struct Unpark(Unparker);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark()
    }
}

/// Runs `future` to completion on a fresh reactor (doc examples only).
///
/// # Panics
/// If the reactor cannot be created.
pub fn doc_block_on<F: Future>(future: F) -> F::Output {
    let mut reactor = Reactor::new().expect("cannot create a reactor");
    let cx = RuntimeContext::new(Clock::new())
        .with_extension(Arc::new(reactor.handle()))
        .with_spawner(Arc::new(ThreadSpawner));
    let _g = cx.enter();
    let waker = Waker::from(Arc::new(Unpark(reactor.unparker())));
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return v;
        }
        reactor.park(None);
    }
}

//! The hand-written poll loop over one [`Driver`]: a real timer or reactor under test
//! without an executor.

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio_core::task::{spawn_thread, AnyOutput, BoxFuture, ErasedJoin, Spawner};
use corio_core::{coop, Driver, RuntimeContext, SpawnError, Unparker};

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

/// Polls `fut` to completion inside `cx`, parking `driver` whenever it was not woken.
///
/// Each poll runs under a coop budget and holds a busy guard on `cx`'s clock, as an
/// executor's worker does, so a paused clock auto-advances only while `fut` waits.
///
/// # Examples
///
/// ```
/// use corio_core::{Clock, ParkThread, RuntimeContext};
/// use corio_test_util::block_on_driver;
///
/// let cx = RuntimeContext::new(Clock::new());
/// assert_eq!(block_on_driver(&mut ParkThread::new(), &cx, async { 7 }), 7);
/// ```
pub fn block_on_driver<D: Driver + ?Sized, F: Future>(
    driver: &mut D,
    cx: &RuntimeContext,
    fut: F,
) -> F::Output {
    let _entered = cx.enter();
    let clock = cx.clock().clone();
    let flag = Arc::new(Flag {
        woken: AtomicBool::new(true),
        unparker: driver.unparker(),
    });
    let waker = Waker::from(flag.clone());
    let mut task_cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if flag.woken.swap(false, Ordering::SeqCst) {
            let busy = clock.busy();
            if let Poll::Ready(out) = coop::budget(|| fut.as_mut().poll(&mut task_cx)) {
                return out;
            }
            drop(busy);
            continue;
        }
        driver.park(None);
    }
}

/// A spawner with no executor: `spawn_blocking` runs each job on a fresh std thread and
/// `spawn` is refused (`SpawnError::Shutdown`). For the reactor's `fs` and `process`
/// tested without an executor.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadSpawner;

impl Spawner for ThreadSpawner {
    fn spawn(
        &self,
        _future: BoxFuture<AnyOutput>,
        _location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        Err(SpawnError::Shutdown)
    }

    fn spawn_blocking(
        &self,
        job: Box<dyn FnOnce() -> AnyOutput + Send>,
        _location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        spawn_thread(job)
    }
}

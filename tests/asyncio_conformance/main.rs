//! CPython asyncio's own tests, translated case by case (each test named after the
//! CPython test it translates). Cases corio cannot express, and deliberate differences,
//! are listed in docs/asyncio-to-corio.md.

mod test_locks;
mod test_queues;
mod test_taskgroups;
mod test_tasks;
mod test_timeouts;
mod test_waitfor;

/// Both runtime flavors on virtual time: `body` runs as a task on each.
pub(crate) fn on_both<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    on_current_thread(&body);
    on_multi_thread(&body);
}

/// The current-thread runtime on virtual time, for the cases that count
/// `sleep(0)` steps: its run queue is FIFO, as asyncio's ready queue is.
pub(crate) fn on_current_thread<F, Fut>(body: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let rt = corio::Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    if let Err(e) = rt.block_on(rt.spawn(body())) {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The multi-thread runtime (two workers) on virtual time. A task spawned here may run
/// on the other worker, in parallel and at any pace the OS gives that thread: a number
/// of `sleep(0)` steps says nothing about how far it got, so these cases wait for the
/// state they need with [`until`].
pub(crate) fn on_multi_thread<F, Fut>(body: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let rt = corio::Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap();
    if let Err(e) = rt.block_on(rt.spawn(body())) {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Yields (`sleep(0)`, so virtual time stands still) until `ready()` holds: the state
/// another task reaches by itself, which on the multi-thread runtime takes however long
/// its worker thread is kept off the CPU. Panics with `what` if that takes more than 10
/// s of real time (the task never got there).
pub(crate) async fn until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "not reached in 10 s: {what}"
        );
        corio::yield_now().await;
    }
}

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
    for rt in [
        corio::Runtime::builder()
            .current_thread()
            .start_paused(true)
            .build()
            .unwrap(),
        corio::Runtime::builder()
            .multi_thread()
            .worker_threads(2)
            .start_paused(true)
            .build()
            .unwrap(),
    ] {
        if let Err(e) = rt.block_on(rt.spawn(body())) {
            std::panic::resume_unwind(e.into_panic());
        }
    }
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

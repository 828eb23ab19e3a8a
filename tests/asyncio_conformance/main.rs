//! CPython asyncio's own tests, translated case by case (each test named after the
//! CPython test it translates). Cases corio cannot express, and deliberate differences,
//! are listed in docs/asyncio-to-corio.md.

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

//! tokio's own sync and time tests, translated to corio: one module per tokio test
//! file (`tokio/tests/<name>.rs`), each case named after its tokio test. Cases left
//! out, or kept different, are listed with their reason in `docs/asyncio-to-corio.md`
//! ("Coming from tokio").
//!
//! The cases run on a paused clock (`#[corio::test(start_paused = true)]`), as
//! `#[tokio::test(start_paused = true)]` does; tokio-test's `task::spawn` /
//! `assert_pending!` / `assert_ready!` are corio-test-util's (`corio_test_util::spawn`).

mod sync_broadcast;
mod sync_mpsc;
mod sync_mutex;
mod sync_notify;
mod sync_oneshot;
mod sync_rwlock;
mod sync_semaphore;
mod sync_watch;
mod time_interval;

//! loom model of the task metadata word's upgrade (`task/raw.rs`, `TaskMeta` rule 5): a
//! `cancel()` on another thread racing the task's first cancel handler must leave both
//! counted on the one cancel record that stays installed, and a reader of the word racing
//! the upgrade must still see the spawn location.
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p corio-executor --release --test loom_task_meta`.
#![cfg(loom)]

use corio_executor::__loom::MetaModel;
use loom::sync::Arc;
use loom::thread;

#[test]
fn cancel_racing_the_first_handler_shares_one_record() {
    loom::model(|| {
        let meta = Arc::new(MetaModel::new());
        let location = meta.location();
        let m2 = meta.clone();
        let canceller = thread::spawn(move || m2.request_cancel());
        meta.register_handler();
        canceller.join().unwrap();
        // The runner reads the handler count here: zero would let it drop a future
        // whose `finally` cleanup is running.
        assert_eq!(meta.counts(), Some((1, 1)), "(handlers, requests)");
        assert!(std::ptr::eq(meta.location(), location), "location kept");
    });
}

#[test]
fn two_cancels_racing_count_on_one_record() {
    loom::model(|| {
        let meta = Arc::new(MetaModel::new());
        let m2 = meta.clone();
        let other = thread::spawn(move || m2.request_cancel());
        meta.request_cancel();
        other.join().unwrap();
        assert_eq!(meta.counts(), Some((0, 2)), "(handlers, requests)");
    });
}

#[test]
fn location_read_racing_the_upgrade_is_the_spawn_location() {
    loom::model(|| {
        let meta = Arc::new(MetaModel::new());
        let spawned_at = meta.location();
        let m2 = meta.clone();
        // A task dump or `Debug` reading the location while `cancel()` upgrades the word.
        let reader = thread::spawn(move || std::ptr::eq(m2.location(), spawned_at));
        meta.request_cancel();
        assert!(reader.join().unwrap(), "the spawn location");
    });
}

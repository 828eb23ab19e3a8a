//! The proptest settings of the model-based property tests (`prop_*.rs`).
//!
//! The models poll futures by hand with corio-test-util's `spawn` harness; the check
//! every model runs after every step is `Spawn::poll_not_lost`: a pending future that
//! was *not* woken must still be pending when polled. A future that completes without
//! having been woken is a lost wake-up: a real executor would never have polled it
//! again.

#![allow(dead_code, unreachable_pub)]
use proptest::test_runner::Config;

/// Cases per property: `cases` (enough to find ordering bugs, few enough that each test
/// stays well under 10 s in a debug build on a loaded machine), or `PROPTEST_CASES`.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

//! Support for corio's runnable examples: the registry the tour and the tests run them
//! from ([`seed`]), the servers some of them talk to, and the clock helpers below.
//!
//! The examples print with `std::println!`; `tests/seed_examples.rs` checks each one's
//! output against the seed guide by running it in a child process
//! (`corio_test_util::run_child`) and reading its stdout.
//!
//! # Examples
//!
//! ```
//! // Python's `time.sleep` in the seed's first example: on a paused clock it moves
//! // virtual time instead of blocking.
//! let rt = corio::Runtime::builder().current_thread().start_paused(true).build().unwrap();
//! rt.block_on(async {
//!     let start = corio_examples::now();
//!     corio_examples::blocking_sleep(std::time::Duration::from_secs(2));
//!     assert_eq!(corio_examples::secs_since(start), 2.0);
//! });
//! ```

#![allow(missing_docs)]

// The example files say `use corio_examples::blocking_sleep;`; inside this library (which
// includes them through `seed`) that name must resolve to the library itself.
extern crate self as corio_examples;

pub mod axum_app;
pub mod http;
pub mod pg;
pub mod seed;
pub mod server_main;
pub mod ws;

/// Sleeps the *thread*, like Python's `time.sleep`: the blocking call the seed's first
/// example contrasts with `asyncio.sleep`.
///
/// On a paused (virtual) corio clock — the tour's `--virtual` mode and the tests — it moves
/// the clock forward by `duration` instead, which is what a blocked thread observes: time
/// passes and nothing else runs.
pub fn blocking_sleep(duration: std::time::Duration) {
    match corio_core::context::clock() {
        Some(clock) if clock.is_paused() => {
            clock.advance(duration).expect("the clock is paused");
        }
        _ => std::thread::sleep(duration),
    }
}

/// Seconds since `start` on the runtime's clock (virtual when paused), for the seed's
/// `Total time: {:.2} seconds` lines.
pub fn secs_since(start: std::time::Instant) -> f64 {
    (corio_core::context::now() - start).as_secs_f64()
}

/// Now, on the current runtime's clock (real outside a runtime).
pub fn now() -> std::time::Instant {
    corio_core::context::now()
}

//! Support for corio's runnable examples: an output sink that tests can capture, and the
//! helpers the tour uses to run each example on real or virtual time.
//!
//! Every example in `examples/` prints through this crate's [`println!`](crate::println)
//! (imported with `use corio_examples::println;`): it writes to stdout exactly like
//! `std::println!`, and, while a capture is active, also records the line, so
//! `tests/seed_examples.rs` can assert each example's output against the seed guide.
//!
//! # Examples
//!
//! ```
//! use corio_examples::{capture, println};
//!
//! let lines = capture(|| {
//!     println!("Hello");
//!     println!("Total time: {:.2} seconds", 2.0);
//! });
//! assert_eq!(lines, ["Hello", "Total time: 2.00 seconds"]);
//! ```

#![allow(missing_docs)]

// The example files say `use corio_examples::println;`; inside this library (which
// includes them through `seed`) that name must resolve to the library itself.
extern crate self as corio_examples;

pub mod axum_app;
pub mod http;
pub mod pg;
pub mod seed;
pub mod server_main;
pub mod ws;

use std::sync::Mutex;

static CAPTURE: Mutex<Option<Vec<String>>> = Mutex::new(None);
static SERIAL: Mutex<()> = Mutex::new(());

/// Writes one line to stdout and, during [`capture`], records it.
pub fn emit(line: String) {
    let mut cap = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
    match cap.as_mut() {
        Some(lines) => {
            // Multi-line strings ("\nFetched ...") count as several lines, as on a terminal.
            lines.extend(line.split('\n').map(str::to_owned));
        }
        None => {
            drop(cap);
            std::println!("{line}");
        }
    }
}

/// Runs `f` and returns every line it printed through this crate's `println!`.
///
/// Captures are serialised process-wide, so tests running in parallel do not mix lines.
pub fn capture(f: impl FnOnce()) -> Vec<String> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    *CAPTURE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            CAPTURE.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
    let stop = Stop;
    f();
    let lines = CAPTURE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    drop(stop);
    lines
}

/// `std::println!`, routed through [`emit`] so tests can capture it.
#[macro_export]
macro_rules! println {
    () => { $crate::emit(::std::string::String::new()) };
    ($($arg:tt)*) => { $crate::emit(::std::format!($($arg)*)) };
}

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

//! `#[corio::main]` and `#[corio::test]`: write `async fn main` and `async fn` tests, and
//! let a corio runtime run them (asyncio's `asyncio.run(main())` as an attribute).
//!
//! Use them through the `corio` crate (`#[corio::main]`, `#[corio::test]`); the code they
//! generate names `::corio::Runtime`, so a crate that uses them depends on `corio`.
//!
//! | option | values | `#[corio::main]` default | `#[corio::test]` default |
//! |---|---|---|---|
//! | `flavor` | `"current_thread"`, `"multi_thread"` | `"multi_thread"` | `"current_thread"` |
//! | `worker_threads` | an integer > 0 (multi-thread only) | one per core | one per core |
//! | `start_paused` | `true`, `false` | `false` | `false` (real time; `true` for virtual time) |
//!
//! # Examples
//!
//! ```
//! # mod corio { pub use ::corio::*; pub use ::corio_macros::{main, test}; }
//! use std::time::Duration;
//!
//! #[corio::main]
//! async fn main() -> Result<(), std::num::ParseIntError> {
//!     let n: u32 = corio::spawn(async { "42" }).await.unwrap().parse()?;
//!     corio::sleep(Duration::from_millis(1)).await;
//!     assert_eq!(n, 42);
//!     Ok(())
//! }
//! ```
//!
//! Tests run on a current-thread runtime on real time, like `#[tokio::test]`, so a
//! timeout in a test can never fire before the real time it names — also while a child
//! process, a thread or a peer outside the runtime is working. With `start_paused = true`
//! they run on virtual time instead, and an hour of `sleep` takes no time at all:
//!
//! ```
//! # mod corio { pub use ::corio::*; pub use ::corio_macros::{main, test}; }
//! use std::time::Duration;
//! use corio::time::Instant;
//!
//! #[corio::test(start_paused = true)]
//! async fn retries_after_an_hour() {
//!     let start = Instant::now();
//!     corio::sleep(Duration::from_secs(3600)).await;
//!     assert_eq!(start.elapsed(), Duration::from_secs(3600));
//! }
//!
//! #[corio::test(flavor = "multi_thread", worker_threads = 2, start_paused = false)]
//! async fn on_real_threads() {
//!     let name = corio::spawn(async { std::thread::current().name().map(String::from) });
//!     assert_eq!(name.await.unwrap().as_deref(), Some("corio-worker"));
//! }
//! # fn main() {}
//! ```
//!
//! # Errors
//! Misuse is a compile error pointing at the offending token: a function without `async`,
//! a method, generic parameters; an unknown or repeated option; a flavor other
//! than `"current_thread"`/`"multi_thread"`; `worker_threads = 0`; `worker_threads` on a
//! current-thread runtime; an extra `#[test]` under `#[corio::test]`.
//!
//! # Implementation
//! The body moves into an inner `async fn` with the declared return type, and the outer,
//! plain `fn` builds the runtime with `corio::Runtime::builder()` and `block_on`s it; see
//! the expansion in `src/expand.rs`. The runtime is dropped before the function returns.

#![deny(missing_docs)]

mod expand;
mod options;

use proc_macro::TokenStream;

use options::Kind;

/// Runs an `async fn` to completion on a new corio runtime: `#[corio::main] async fn main()`.
///
/// The function becomes a plain `fn` with the same name, visibility and return type
/// (`()` or anything `main` may return, such as `Result<(), E>`), which builds the runtime,
/// runs the body with `block_on`, shuts the runtime down (cancelling tasks still running)
/// and returns the body's output. It can be any free function, not only `main`; its
/// arguments are passed on to the body.
///
/// Options: `flavor = "multi_thread"` (default) or `"current_thread"`,
/// `worker_threads = N` (multi-thread only; default one per core), `start_paused = true`
/// (virtual time; default `false`).
///
/// # Examples
///
/// ```
/// # mod corio { pub use ::corio::*; pub use ::corio_macros::main; }
/// #[corio::main(flavor = "current_thread")]
/// async fn main() {
///     let answer = corio::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// # Panics
/// When the runtime cannot be built (the OS refused a thread or an epoll instance), with
/// "failed to build the corio runtime: ..."; and when called inside a running runtime.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Main, args.into(), item.into()).into()
}

/// Makes an `async fn` a test that runs on a new corio runtime.
///
/// By default the runtime is current-thread on real time, as with `#[tokio::test]`. It
/// adds `#[test]` itself; other attributes (`#[should_panic]`, `#[ignore]`) work as
/// usual, and the function may return `Result<(), E>`.
///
/// Options: `flavor = "current_thread"` (default) or `"multi_thread"`,
/// `worker_threads = N` (needs `flavor = "multi_thread"`), `start_paused = true`
/// (virtual time).
///
/// # Virtual time: when the paused clock may jump
/// With `start_paused = true`, sleeps and timeouts finish as soon as every task is idle,
/// and `Instant` shows the exact virtual durations, so tests of timing code are fast and
/// deterministic. The clock jumps to the next timer only when no task can run, no
/// blocking-pool job (`spawn_blocking`, `to_thread`, file I/O) is in flight, and no
/// *hold* is live. corio's child processes hold the clock while they run; anything else
/// outside the runtime that the test waits on (a `std::thread` answering through a
/// channel, a peer process on a socket) should take `corio::time::hold()`. While held,
/// virtual time flows at real speed, so a timeout still never fires before its real
/// duration. On the default real time, none of this matters.
///
/// # Examples
///
/// ```
/// # mod corio { pub use ::corio::*; pub use ::corio_macros::test; }
/// use std::time::Duration;
///
/// #[corio::test(start_paused = true)]
/// async fn timeout_fires() {
///     let slow = corio::sleep(Duration::from_secs(60));
///     assert!(corio::timeout(Duration::from_secs(1), slow).await.is_err());
/// }
/// # fn main() {}
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Test, args.into(), item.into()).into()
}

//! The runtime: the executor's [`Builder`] and [`Executor`](corio_executor::Executor)
//! on the facade's driver stack ([`Drivers`]: the timer over the epoll reactor).
//!
//! There is one builder in corio, `corio_executor::Builder`; [`Runtime`] and
//! [`Builder`] here are that builder and that executor with the reactor and the timer
//! pre-installed, so every option (flavor, threads, `start_paused`, debug mode,
//! `rng_seed`, ...) is documented once, on [`Builder`].
//!
//! # Examples
//!
//! ```
//! use corio::Runtime;
//!
//! let rt = Runtime::builder()
//!     .multi_thread()
//!     .worker_threads(2)
//!     .thread_name("app-worker")
//!     .build()
//!     .unwrap();
//! assert_eq!(rt.block_on(async { corio::spawn(async { 1 }).await.unwrap() }), 1);
//!
//! let err = Runtime::builder().worker_threads(0).build().unwrap_err();
//! assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
//! ```

mod driver;

pub use corio_executor::{Handle, RuntimeMetrics, SlowPoll};
pub use driver::{io_driver, Drivers};

/// A corio runtime: the event loop of asyncio — the executor parked on [`Drivers`].
///
/// `Runtime::new()` is the default multi-thread runtime, `Runtime::builder()` its
/// [`Builder`]. Dropping it shuts it down: every unfinished task gets the soft cancel
/// and a grace to run its async cleanup ([`Builder::shutdown_grace`]), then every
/// future still alive is dropped exactly once, worker and blocking-pool threads are
/// joined.
///
/// # Examples
///
/// ```
/// use corio::Runtime;
///
/// let rt = Runtime::builder().current_thread().build().unwrap();
/// let h = rt.spawn(async { "hello" });
/// assert_eq!(rt.block_on(h).unwrap(), "hello");
/// ```
pub type Runtime = corio_executor::Executor<Drivers>;

/// Configures a [`Runtime`]: the executor's builder on [`Drivers`].
pub type Builder = corio_executor::Builder<Drivers>;

//! Tasks: spawn, name, cancel and join them (asyncio's `Task`).
//!
//! # Examples
//!
//! ```
//! use corio::task;
//!
//! corio::run(async {
//!     let h = task::Builder::new().name("fetch-1").spawn(async { 1 });
//!     assert_eq!(h.name(), Some("fetch-1"));
//!     let slow = task::spawn(std::future::pending::<()>());
//!     slow.abort();
//!     assert!(slow.await.unwrap_err().is_cancelled());
//!     task::yield_now().await;
//!     assert_eq!(h.await.unwrap(), 1);
//! });
//! ```

pub use corio_executor::task::Builder;
pub use corio_executor::{
    spawn, spawn_blocking, try_spawn, yield_now, AbortHandle, JoinError, JoinHandle, TaskId,
    YieldNow,
};

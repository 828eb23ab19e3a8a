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
//!
//! [`dump`] lists the live tasks of the current runtime (asyncio's `all_tasks()`):
//!
//! ```
//! use corio::task::{self, TaskState};
//!
//! corio::Runtime::builder().current_thread().build().unwrap().block_on(async {
//!     let h = task::Builder::new().name("server").spawn(std::future::pending::<()>());
//!     task::yield_now().await;
//!     let tasks = task::dump();
//!     assert_eq!(tasks.len(), 1);
//!     assert_eq!((tasks[0].name(), tasks[0].state()), (Some("server"), TaskState::Idle));
//!     println!("{}", tasks[0]); // task 3 "server" idle, polled 1 time, spawned at src/main.rs:4:55
//!     h.abort();
//! });
//! ```

pub use corio_executor::task::{dump, Builder, TaskDump, TaskInfo, TaskState};
// Cooperative cancellation: asyncio's `Task.cancel()` and what a task can answer with.
pub use corio_executor::task::{
    cancelled, cancelling, catch_cancel, finally, shielded, uncancel, Cancelled, CatchCancel,
    Finally, Shielded, WaitCancelled,
};
pub use corio_executor::{
    spawn, spawn_blocking, try_spawn, yield_now, AbortHandle, JoinError, JoinHandle, TaskId,
    YieldNow,
};

// Local (`!Send`) tasks, the current task, context variables, task locals, JoinSet.
pub use corio_executor::task::{
    current, id, try_current, try_id, AccessError, ContextVar, CurrentTask, JoinSet, LocalKey,
    LookupError, ResetError, TaskLocalFuture, Token,
};
pub use corio_executor::{spawn_local, try_spawn_local, LocalSet, LocalSpawnError, RunUntil};

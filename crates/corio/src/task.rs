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
//!     println!("{tasks}"); // the whole table: ID, NAME, STATE, POLLS, LAST POLL, SPAWNED AT
//!     h.abort();
//! });
//! ```
//!
//! Local (`!Send`) tasks, a [`JoinSet`], the current task and context variables — an
//! asyncio program's single-threaded style:
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use corio::task::{self, ContextVar, JoinSet};
//!
//! static USER: ContextVar<&'static str> = ContextVar::with_default("user", "nobody");
//!
//! corio::run(async {
//!     // Shared state as asyncio has it: no locks, one thread.
//!     let hits = Rc::new(RefCell::new(0));
//!     let h = hits.clone();
//!     corio::spawn_local(async move { *h.borrow_mut() += 1 }).await.unwrap();
//!     assert_eq!(*hits.borrow(), 1);
//!
//!     // Children start with a copy of the spawner's context.
//!     let _token = USER.set("ada");
//!     let mut set = JoinSet::new();
//!     for i in 0..3 {
//!         set.spawn(async move { (i, USER.get(), task::id()) });
//!     }
//!     while let Some(res) = set.join_next().await {
//!         let (_, user, id) = res.unwrap();
//!         assert_eq!(user, "ada");
//!         assert!(id.as_u64() > 0);
//!     }
//!     assert!(task::try_current().is_none(), "the main future is not a task");
//! });
//! ```
//!
//! A task group whose body is part of the group (asyncio's `async with TaskGroup()`):
//!
//! ```
//! use std::time::Duration;
//!
//! #[corio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let t0 = corio::time::Instant::now();
//!     let err = corio::task_group(|tg| async move {
//!         tg.spawn(async {
//!             corio::sleep(Duration::from_millis(100)).await;
//!             Err::<(), _>("boom")
//!         });
//!         tg.spawn(async {
//!             corio::sleep(Duration::from_secs(10)).await;
//!             Ok(())
//!         });
//!         corio::sleep(Duration::from_secs(10)).await; // cancelled with the siblings
//!         Ok(())
//!     })
//!     .await
//!     .unwrap_err();
//!     assert_eq!(err.errors().collect::<Vec<_>>(), [&"boom"]);
//!     assert_eq!(t0.elapsed(), Duration::from_millis(100));
//! }
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

//! Task dumps (asyncio's `all_tasks()`): a snapshot of every live task of a runtime,
//! read from the owned-task list.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use corio_core::TaskId;

use super::owned::OwnedTasks;
use super::raw::Header;
use crate::debug::DebugConfig;

/// What a task was doing when a [`TaskInfo`] was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake-up (not in any run queue).
    Idle,
    /// Woken (or just spawned) and waiting in a run queue.
    Scheduled,
    /// Being polled (or cancelled) by a worker right now.
    Running,
    /// Finished, and leaving the list (seen only in a race with completion).
    Complete,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Complete => "complete",
        })
    }
}

/// A snapshot of one live task, from [`Handle::dump`](crate::Handle::dump) or
/// [`task::dump`](crate::task::dump).
///
/// The poll count is always kept; the time since the last poll only for tasks spawned
/// while the runtime was in debug mode.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let h = task::Builder::new().name("waiter").spawn(std::future::pending::<()>());
///     corio_executor::yield_now().await; // the task runs once and waits
///     let tasks = task::dump();
///     assert_eq!(tasks.len(), 1);
///     assert_eq!(tasks[0].name(), Some("waiter"));
///     assert_eq!(tasks[0].state(), task::TaskState::Idle);
///     assert_eq!(tasks[0].polls(), 1);
///     println!("{}", tasks[0]); // task 7 "waiter" idle, polled 1 time, spawned at src/main.rs:5:44
///     h.abort();
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    id: TaskId,
    name: Option<String>,
    location: &'static Location<'static>,
    state: TaskState,
    cancelled: bool,
    polls: u32,
    since_last_poll: Option<Duration>,
}

impl TaskInfo {
    fn from_header(header: &Header, debug: Option<&DebugConfig>) -> Self {
        let snap = header.state.load();
        let state = if snap.is_complete() {
            TaskState::Complete
        } else if snap.is_running() {
            TaskState::Running
        } else if snap.is_notified() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        let since_last_poll = match (debug, header.meta.last_poll()) {
            (Some(debug), Some(stamp)) => debug.since(stamp),
            _ => None,
        };
        TaskInfo {
            id: header.id,
            name: header.name().map(str::to_owned),
            location: header.location(),
            state,
            cancelled: snap.is_cancelled(),
            polls: header.polls.load(std::sync::atomic::Ordering::Relaxed),
            since_last_poll,
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The task's name, if it was given one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// What the task was doing.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// Whether cancellation was requested (abort or shutdown) and not yet carried out.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    /// How many times the task's future was polled (saturates at `u32::MAX`).
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// How long ago the task's latest poll started (for a running task: how long the
    /// current poll has run). `None` if it was never polled, or if the runtime is not in
    /// debug mode (the timestamp is only taken then).
    pub fn since_last_poll(&self) -> Option<Duration> {
        self.since_last_poll
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " {}", self.state)?;
        if self.cancelled {
            f.write_str(" (cancelling)")?;
        }
        let s = if self.polls == 1 { "" } else { "s" };
        write!(f, ", polled {} time{s}", self.polls)?;
        if let Some(d) = self.since_last_poll {
            write!(f, ", last poll started {d:?} ago")?;
        }
        write!(f, ", spawned at {}", self.location)
    }
}

/// Every live task of a runtime at one moment, ordered by id (spawn order): from
/// [`task::dump`](crate::task::dump) or [`Handle::dump`](crate::Handle::dump).
///
/// It dereferences to a slice of [`TaskInfo`], and its `Display` prints a table
/// (asyncio's `all_tasks()`, readable), one row per task.
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let h = task::Builder::new().name("server").spawn(std::future::pending::<()>());
///     corio_executor::yield_now().await;
///     let dump = task::dump();
///     assert_eq!(dump.len(), 1);
///     let table = dump.to_string();
///     assert!(table.starts_with("ID"));
///     assert!(table.contains("\"server\"") && table.contains("idle"));
///     println!("{dump}");
///     // ID  NAME      STATE  POLLS  LAST POLL  SPAWNED AT
///     // 3   "server"  idle       1  -          src/main.rs:5:50
///     h.abort();
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskDump {
    tasks: Vec<TaskInfo>,
}

impl TaskDump {
    /// The snapshots, as a vector.
    pub fn into_vec(self) -> Vec<TaskInfo> {
        self.tasks
    }
}

impl std::ops::Deref for TaskDump {
    type Target = [TaskInfo];
    fn deref(&self) -> &[TaskInfo] {
        &self.tasks
    }
}

impl IntoIterator for TaskDump {
    type Item = TaskInfo;
    type IntoIter = std::vec::IntoIter<TaskInfo>;
    fn into_iter(self) -> Self::IntoIter {
        self.tasks.into_iter()
    }
}

impl<'a> IntoIterator for &'a TaskDump {
    type Item = &'a TaskInfo;
    type IntoIter = std::slice::Iter<'a, TaskInfo>;
    fn into_iter(self) -> Self::IntoIter {
        self.tasks.iter()
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEAD: [&str; 6] = ["ID", "NAME", "STATE", "POLLS", "LAST POLL", "SPAWNED AT"];
        let rows: Vec<[String; 6]> = self
            .tasks
            .iter()
            .map(|t| {
                let state = if t.cancelled {
                    format!("{} (cancelling)", t.state)
                } else {
                    t.state.to_string()
                };
                [
                    t.id.to_string(),
                    t.name
                        .as_deref()
                        .map_or("-".to_owned(), |n| format!("{n:?}")),
                    state,
                    t.polls.to_string(),
                    t.since_last_poll
                        .map_or("-".to_owned(), |d| format!("{d:?} ago")),
                    t.location.to_string(),
                ]
            })
            .collect();
        let mut width = HEAD.map(str::len);
        for row in &rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 6]| -> fmt::Result {
            for (i, cell) in cells.iter().enumerate() {
                let w = width[i];
                match i {
                    0 => write!(f, "{cell:<w$}")?,
                    3 => write!(f, "  {cell:>w$}")?,
                    5 => write!(f, "  {cell}")?,
                    _ => write!(f, "  {cell:<w$}")?,
                }
            }
            writeln!(f)
        };
        line(f, HEAD)?;
        for row in &rows {
            line(f, row.each_ref().map(String::as_str))?;
        }
        if rows.is_empty() {
            writeln!(f, "(no live tasks)")?;
        }
        Ok(())
    }
}

/// Snapshots every task of `owned`, ordered by id (spawn order).
pub(crate) fn dump(owned: &OwnedTasks, debug: Option<&DebugConfig>) -> TaskDump {
    let mut tasks = Vec::new();
    owned.for_each(|header| tasks.push(TaskInfo::from_header(header, debug)));
    tasks.sort_unstable_by_key(|t| t.id);
    TaskDump { tasks }
}

//! The local-spawn seam: how a leaf crate (a task group) starts a `!Send` task on the
//! local set entered on this thread without knowing the executor.
//!
//! The executor installs one process-wide hook the first time it creates a local set;
//! [`try_spawn_local`] calls it. The hook itself finds the thread's local set (its own
//! thread-local), so this seam costs nothing per poll.
//!
//! # Examples
//!
//! ```
//! use corio_core::local;
//!
//! // No executor has installed the hook, or no local set is entered: an error.
//! assert!(local::try_spawn_local(Box::pin(async { Box::new(()) as _ })).is_err());
//! ```

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::OnceLock;

use crate::task::{AnyOutput, ErasedJoin};

/// A boxed future that may be `!Send`: the unit of work crossing the local-spawn seam.
pub type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T> + 'static>>;

/// Spawns a local task with the caller's location (the executor's side of the seam).
pub type SpawnLocalFn =
    fn(LocalBoxFuture<AnyOutput>, &'static Location<'static>) -> Result<ErasedJoin, NoLocalSet>;

/// The executor's local spawner: spawns on the local set entered on this thread.
#[derive(Debug, Clone, Copy)]
pub struct LocalSpawnHook {
    /// Spawns on the local set entered on this thread; the location is the caller's.
    pub spawn: SpawnLocalFn,
    /// Whether a local set is entered on this thread.
    pub available: fn() -> bool,
}

static HOOK: OnceLock<LocalSpawnHook> = OnceLock::new();

/// Installs the executor's hook (the first call wins; later calls are ignored).
pub fn install(hook: LocalSpawnHook) {
    let _ = HOOK.set(hook);
}

/// Whether [`try_spawn_local`] would find a local set on this thread.
pub fn is_available() -> bool {
    HOOK.get().is_some_and(|h| (h.available)())
}

/// Spawns `future` as a local task of the local set entered on this thread; the
/// returned join handle detaches the task when dropped.
///
/// # Errors
/// [`NoLocalSet`] when no local set is entered on this thread (or no executor installed
/// the hook).
#[track_caller]
pub fn try_spawn_local(future: LocalBoxFuture<AnyOutput>) -> Result<ErasedJoin, NoLocalSet> {
    match HOOK.get() {
        Some(hook) => (hook.spawn)(future, Location::caller()),
        None => Err(NoLocalSet(())),
    }
}

/// No local set is entered on this thread: `!Send` tasks cannot be spawned here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoLocalSet(());

impl NoLocalSet {
    /// Creates the error.
    pub fn new() -> Self {
        NoLocalSet(())
    }
}

impl Default for NoLocalSet {
    fn default() -> Self {
        NoLocalSet::new()
    }
}

impl fmt::Display for NoLocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "no local set is entered on this thread: spawn `!Send` tasks from the future given \
             to `corio::run` / `Runtime::block_on` (or a local task), or inside \
             `LocalSet::run_until`",
        )
    }
}

impl std::error::Error for NoLocalSet {}

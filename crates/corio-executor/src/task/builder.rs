//! [`Builder`]: spawn a task with a name.

use std::future::Future;
use std::panic::Location;

use corio_core::SpawnError;

use super::{JoinHandle, SpawnMeta};
use crate::Handle;

/// Configures a task before spawning it: today, its name (shown in task dumps and
/// slow-poll warnings, and by [`JoinHandle::name`]).
///
/// # Examples
///
/// ```
/// use corio_executor::{task, Executor};
///
/// let rt = Executor::builder_current_thread().build().unwrap();
/// rt.block_on(async {
///     let h = task::Builder::new().name("fetch-1").spawn(async { 1 });
///     assert_eq!(h.name(), Some("fetch-1"));
///     assert_eq!(h.await.unwrap(), 1);
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no name.
    pub fn new() -> Self {
        Builder { name: None }
    }

    /// Names the task.
    pub fn name(self, name: &'a str) -> Self {
        Builder { name: Some(name) }
    }

    fn meta(&self, location: &'static Location<'static>) -> SpawnMeta {
        SpawnMeta {
            name: self.name.map(Box::from),
            location,
        }
    }

    /// Spawns `future` on the current runtime.
    ///
    /// # Panics
    /// Outside a runtime; the message names the fix.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = self.meta(Location::caller());
        match Handle::try_current_for("corio::task::Builder::spawn") {
            Ok(h) => h.spawn_with(future, meta),
            Err(e) => panic!("{e}"),
        }
    }

    /// Spawns `future` on the current runtime, or reports why it cannot.
    ///
    /// # Errors
    /// [`SpawnError::NoRuntime`] outside a runtime, [`SpawnError::Shutdown`] once the
    /// runtime has shut down.
    #[track_caller]
    pub fn try_spawn<F>(self, future: F) -> Result<JoinHandle<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = self.meta(Location::caller());
        let h = Handle::try_current_for("corio::task::Builder::try_spawn")?;
        if h.is_shutdown() {
            return Err(SpawnError::Shutdown);
        }
        Ok(h.spawn_with(future, meta))
    }

    /// Spawns `future` on the runtime of `handle`.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_with(future, self.meta(Location::caller()))
    }

    /// Spawns the `!Send` future as a local task of the local set entered on this
    /// thread (see [`spawn_local`](crate::spawn_local)).
    ///
    /// # Panics
    /// Outside a local context; the message names the fix.
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let meta = self.meta(Location::caller());
        crate::local::try_spawn_local_with(future, meta).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `f` on the current runtime's blocking pool under this name.
    ///
    /// # Panics
    /// Outside a runtime; the message names the fix.
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let meta = self.meta(Location::caller());
        match Handle::try_current_for("corio::task::Builder::spawn_blocking") {
            Ok(h) => h.spawn_blocking_with(f, meta),
            Err(e) => panic!("{e}"),
        }
    }
}

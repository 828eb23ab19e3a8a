//! Running blocking work on the runtime's blocking pool through the spawn seam.

use std::io;

use corio_core::context;
use corio_core::task::try_spawn_blocking;

/// Runs `f` on the current runtime's blocking pool and returns its result.
///
/// # Errors
/// Outside a runtime with a spawner, an error with [`corio_core::NoRuntime`]'s message
/// naming `function`; after shutdown, the spawn error; if the job panicked or was
/// cancelled, an `Other` error describing it; otherwise `f`'s own result.
pub(crate) async fn run<R, F>(function: &'static str, f: F) -> io::Result<R>
where
    F: FnOnce() -> io::Result<R> + Send + 'static,
    R: Send + 'static,
{
    // Checked first so that the error names the public function, not the seam.
    context::spawner(function).map_err(io::Error::other)?;
    let handle = try_spawn_blocking(f).map_err(io::Error::other)?;
    handle.await.map_err(io::Error::from)?
}

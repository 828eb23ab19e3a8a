//! File-system operations off the async threads (Python's aiofiles): on the blocking
//! pool, or as io_uring operations when the runtime runs the io_uring driver.
//!
//! Regular files are always "ready" for epoll, so on the epoll driver file I/O cannot
//! use the reactor: every operation runs on the runtime's blocking pool through
//! [`corio_core::task::spawn_blocking`], and the calling task waits without blocking its
//! thread.
//!
//! On the io_uring driver (`CORIO_IO=uring`, `Runtime::builder().io_uring()`), [`read`],
//! [`read_to_string`], [`write()`], opening a [`File`], its reads, writes,
//! `read_at`/`write_all_at` and `sync_all`/`sync_data` are io_uring operations instead
//! (`OPENAT`, `READ`, `WRITE`, `STATX`, `FSYNC`, `CLOSE`): no pool thread, and many
//! files in flight per `io_uring_enter`. Results and errors are the same as on the pool
//! (a path with a NUL byte still takes the pool, which reports it). The rest (metadata,
//! directories, links, copies) stays on the pool: `std::fs::Metadata` cannot be built
//! from a `statx` buffer outside std. A kernel lacking one of those opcodes keeps the
//! pool for everything.
//!
//! On the pool, whole-file helpers ([`read`], [`write()`], ...) make one pool trip and hand
//! the buffer back without copying; [`File`] keeps one internal buffer that moves between
//! the task and the pool (one copy into or out of the caller's slice per call, which
//! the borrowed-slice API makes unavoidable).
//!
//! Outside a runtime with a blocking pool every function fails with an `io::Error`
//! carrying [`corio_core::NoRuntime`]'s message naming it.
//!
//! # Examples
//!
//! ```
//! # corio::run(async {
//! use corio_reactor::fs;
//!
//! let dir = std::env::temp_dir().join(format!("corio-fs-doc-{}", std::process::id()));
//! fs::create_dir_all(&dir).await?;
//! let path = dir.join("hello.txt");
//! fs::write(path.clone(), "hello").await?;
//! assert_eq!(fs::read_to_string(&path).await?, "hello");
//! assert_eq!(fs::metadata(&path).await?.len(), 5);
//! fs::remove_file(&path).await?;
//! fs::remove_dir(&dir).await?;
//! # Ok::<(), std::io::Error>(()) }).unwrap();
//! ```

mod file;
mod read_dir;

use std::ffi::CString;
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::blocking::run;
use crate::uring::fs as uring;
use crate::uring::Shared;

pub use file::{File, OpenOptions};
pub use read_dir::{read_dir, DirEntry, ReadDir};

/// The io_uring driver and the path as the kernel takes it, when this operation goes
/// through the ring (module docs); `None`: the blocking pool (also for a path with a
/// NUL byte, whose error std words).
fn on_ring(path: &Path) -> Option<(Arc<Shared>, CString)> {
    let ring = uring::current()?;
    Some((ring, uring::c_path(path)?))
}

/// Reads the whole file.
///
/// # Errors
/// The OS error (`NotFound`, `PermissionDenied`...); `NoRuntime` outside a runtime.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    if let Some((ring, c_path)) = on_ring(path.as_ref()) {
        return uring::read_file(&ring, c_path).await;
    }
    let path = path.as_ref().to_owned();
    run("corio::fs::read", move || std::fs::read(path)).await
}

/// Reads the whole file as UTF-8.
///
/// # Errors
/// `InvalidData` if it is not UTF-8; the OS error; `NoRuntime` outside a runtime.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    if let Some((ring, c_path)) = on_ring(path.as_ref()) {
        let bytes = uring::read_file(&ring, c_path).await?;
        // std's error for the same input.
        return String::from_utf8(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        });
    }
    let path = path.as_ref().to_owned();
    run("corio::fs::read_to_string", move || {
        std::fs::read_to_string(path)
    })
    .await
}

/// Creates or truncates the file and writes `contents`. The contents are moved to the
/// pool, not copied: pass an owned `Vec<u8>`/`String` (or `&'static` data); copy a
/// borrowed slice yourself with `.to_vec()`.
////// On the io_uring driver (Linux >= 6.9) an existing file is not truncated first: it is
/// cut to the new length and written over in place, which spares the filesystem freeing
/// and reallocating its blocks. The file ends the same; a reader racing the write, or a
/// write that fails part-way, may see old bytes past the new ones instead of none.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn write<C>(path: impl AsRef<Path>, contents: C) -> io::Result<()>
where
    C: AsRef<[u8]> + Send + 'static,
{
    if let Some((ring, c_path)) = on_ring(path.as_ref()) {
        return uring::write_file(&ring, c_path, contents).await;
    }
    let path = path.as_ref().to_owned();
    run("corio::fs::write", move || std::fs::write(path, contents)).await
}

/// Copies `from` to `to` (contents and permissions); returns the bytes copied.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    run("corio::fs::copy", move || std::fs::copy(from, to)).await
}

/// Renames (moves) `from` to `to`, replacing `to` if it exists.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    run("corio::fs::rename", move || std::fs::rename(from, to)).await
}

/// Removes a file.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run("corio::fs::remove_file", move || std::fs::remove_file(path)).await
}

/// Removes an empty directory.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run("corio::fs::remove_dir", move || std::fs::remove_dir(path)).await
}

/// Removes a directory and everything in it.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run("corio::fs::remove_dir_all", move || {
        std::fs::remove_dir_all(path)
    })
    .await
}

/// Creates a directory.
///
/// # Errors
/// `AlreadyExists` and other OS errors; `NoRuntime` outside a runtime.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run("corio::fs::create_dir", move || std::fs::create_dir(path)).await
}

/// Creates a directory and all missing parents.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run("corio::fs::create_dir_all", move || {
        std::fs::create_dir_all(path)
    })
    .await
}

/// The metadata of `path`, following symlinks.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    run("corio::fs::metadata", move || std::fs::metadata(path)).await
}

/// The canonical, absolute form of `path`.
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    run("corio::fs::canonicalize", move || {
        std::fs::canonicalize(path)
    })
    .await
}

/// The metadata of `path` itself, not following a final symlink (`lstat`).
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    run("corio::fs::symlink_metadata", move || {
        std::fs::symlink_metadata(path)
    })
    .await
}

/// Creates a symbolic link at `link` pointing to `target` (`os.symlink(target, link)`).
///
/// # Errors
/// `AlreadyExists` if `link` exists; other OS errors; `NoRuntime` outside a runtime.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::fs;
/// let dir = std::env::temp_dir().join(format!("corio-links-{}", std::process::id()));
/// fs::create_dir_all(&dir).await?;
/// fs::write(dir.join("a"), "data").await?;
/// fs::symlink("a", dir.join("soft")).await?;
/// fs::hard_link(dir.join("a"), dir.join("hard")).await?;
/// assert_eq!(fs::read_link(dir.join("soft")).await?, std::path::Path::new("a"));
/// assert_eq!(fs::canonicalize(dir.join("soft")).await?, fs::canonicalize(dir.join("a")).await?);
/// assert_eq!(fs::read_to_string(dir.join("hard")).await?, "data");
/// fs::remove_dir_all(&dir).await?;
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub async fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (target, link) = (target.as_ref().to_owned(), link.as_ref().to_owned());
    run("corio::fs::symlink", move || {
        std::os::unix::fs::symlink(target, link)
    })
    .await
}

/// Creates a hard link `link` to the existing file `original` (`os.link`).
///
/// # Errors
/// `NotFound` if `original` does not exist, `AlreadyExists` if `link` does; other OS
/// errors; `NoRuntime` outside a runtime.
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    run("corio::fs::hard_link", move || {
        std::fs::hard_link(original, link)
    })
    .await
}

/// The target a symbolic link points to (`os.readlink`).
///
/// # Errors
/// `InvalidInput` if `path` is not a symlink; other OS errors; `NoRuntime` outside a
/// runtime.
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    run("corio::fs::read_link", move || std::fs::read_link(path)).await
}

/// Sets the permissions of `path` (`os.chmod`).
///
/// # Errors
/// The OS error; `NoRuntime` outside a runtime.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::fs;
/// use std::os::unix::fs::PermissionsExt;
/// let path = std::env::temp_dir().join(format!("corio-chmod-{}", std::process::id()));
/// fs::write(path.clone(), "secret").await?;
/// fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).await?;
/// assert_eq!(fs::metadata(&path).await?.permissions().mode() & 0o777, 0o600);
/// fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub async fn set_permissions(path: impl AsRef<Path>, perm: std::fs::Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run("corio::fs::set_permissions", move || {
        std::fs::set_permissions(path, perm)
    })
    .await
}

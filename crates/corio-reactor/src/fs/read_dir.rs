//! [`read_dir`]: a directory's entries as a `Stream`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use corio_core::task::{try_spawn_blocking, TaskHandle};
use futures::Stream;

use crate::blocking::run;

/// Entries fetched per trip to the blocking pool.
const BATCH: usize = 32;

/// Opens the directory at `path`; its entries arrive as a [`Stream`] of
/// `io::Result<DirEntry>` (no `.` and `..`), fetched in batches on the blocking pool.
///
/// # Errors
/// The OS error opening the directory; `NoRuntime` outside a runtime.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::fs;
/// use futures::TryStreamExt;
///
/// let dir = std::env::temp_dir().join(format!("corio-rd-doc-{}", std::process::id()));
/// fs::create_dir_all(&dir).await?;
/// fs::write(dir.join("a"), "1").await?;
/// let names: Vec<_> = fs::read_dir(&dir).await?.map_ok(|e| e.file_name()).try_collect().await?;
/// assert_eq!(names, ["a"]);
/// fs::remove_dir_all(&dir).await?;
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let inner = run("corio::fs::read_dir", move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Some(Batch {
            inner,
            entries: VecDeque::new(),
            done: false,
        })),
    })
}

/// The stream of a directory's entries (see [`read_dir`]).
#[must_use = "streams do nothing unless polled"]
pub struct ReadDir {
    state: State,
}

struct Batch {
    inner: std::fs::ReadDir,
    entries: VecDeque<io::Result<DirEntry>>,
    done: bool,
}

enum State {
    Idle(Option<Batch>),
    Busy(TaskHandle<Batch>),
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    let Some(mut b) = batch.take() else {
                        return Poll::Ready(None);
                    };
                    if let Some(e) = b.entries.pop_front() {
                        self.state = State::Idle(Some(b));
                        return Poll::Ready(Some(e));
                    }
                    if b.done {
                        return Poll::Ready(None);
                    }
                    let job = move || {
                        for _ in 0..BATCH {
                            match b.inner.next() {
                                Some(e) => b.entries.push_back(e.map(|e| DirEntry(Arc::new(e)))),
                                None => {
                                    b.done = true;
                                    break;
                                }
                            }
                        }
                        b
                    };
                    match try_spawn_blocking(job) {
                        Ok(h) => self.state = State::Busy(h),
                        Err(e) => return Poll::Ready(Some(Err(io::Error::other(e)))),
                    }
                }
                State::Busy(h) => {
                    let res = ready!(Pin::new(h).poll(cx));
                    match res {
                        Ok(b) => self.state = State::Idle(Some(b)),
                        Err(e) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Some(Err(e.into())));
                        }
                    }
                }
            }
        }
    }
}

use std::future::Future;

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir").finish_non_exhaustive()
    }
}

/// An entry of a directory listing.
#[derive(Clone)]
pub struct DirEntry(Arc<std::fs::DirEntry>);

impl DirEntry {
    /// The entry's full path.
    pub fn path(&self) -> PathBuf {
        self.0.path()
    }

    /// The entry's file name (without the directory).
    pub fn file_name(&self) -> OsString {
        self.0.file_name()
    }

    /// The entry's metadata (not following symlinks).
    ///
    /// # Errors
    /// The OS error; `NoRuntime` outside a runtime.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let e = self.0.clone();
        run("corio::fs::DirEntry::metadata", move || e.metadata()).await
    }

    /// The entry's file type (usually without a system call).
    ///
    /// # Errors
    /// The OS error; `NoRuntime` outside a runtime.
    pub async fn file_type(&self) -> io::Result<FileType> {
        let e = self.0.clone();
        run("corio::fs::DirEntry::file_type", move || e.file_type()).await
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}

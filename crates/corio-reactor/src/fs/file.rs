//! [`File`] and [`OpenOptions`]: a file driven from the blocking pool.
//!
//! # State machine
//! A `File` is either `Idle` — holding its buffer, which may contain bytes read ahead
//! and not yet handed out — or `Busy` with one operation on the pool that owns the
//! buffer until it finishes. Rules:
//! 1. At most one operation is in flight; every `poll_*` first waits for it.
//! 2. Writes are write-behind: `poll_write` copies into the buffer, starts the write and
//!    returns `Ok(n)`; its error (if any) is returned by the next operation or `flush`.
//! 3. Before a write or seek, read-ahead bytes not yet handed out are given back to the
//!    file position (seek by minus their count), so the position is what the user saw.
//! 4. Dropping a future never loses data: the operation and its buffer stay in the
//!    `File`, and the next poll picks them up.
//! 5. On the io_uring driver reads and writes are ring operations at the file position
//!    (`IORING_OP_READ`/`WRITE` with offset -1, module `uring::fs`); seeks stay on the
//!    pool. Dropping the `File` drops its operation: a read is cancelled, a write entry
//!    completes on its own with the buffer and the descriptor kept alive until then
//!    (`uring::fs` rules 1-3), as the pool's detached job does.

use std::fmt;
use std::fs::Metadata;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use corio_core::task::{try_spawn_blocking, TaskHandle};
use futures::io::{AsyncRead, AsyncSeek, AsyncWrite};
use parking_lot::Mutex;

use crate::blocking::run;
use crate::uring::fs as uring;

/// The most one pool trip reads or writes.
const MAX_BUF: usize = 2 * 1024 * 1024;

/// An open file: `AsyncRead + AsyncWrite + AsyncSeek`, with its I/O on the blocking pool.
///
/// Call [`flush`](futures::io::AsyncWriteExt::flush) (or `close`) before dropping a file
/// you wrote to, to see write errors: a dropped file's pending write still completes,
/// but its error has nowhere to go.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::fs::{File, OpenOptions};
/// use futures::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};
///
/// let path = std::env::temp_dir().join(format!("corio-file-doc-{}", std::process::id()));
/// let mut f = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).await?;
/// f.write_all(b"hello world").await?;
/// f.seek(SeekFrom::Start(6)).await?;
/// let mut s = String::new();
/// f.read_to_string(&mut s).await?;
/// assert_eq!(s, "world");
/// corio_reactor::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    state: State,
}

#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    pos: usize,
    /// The last read returned 0 bytes (end of file), not yet reported.
    eof: bool,
}

impl Buf {
    fn unread(&self) -> usize {
        self.data.len() - self.pos
    }
    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
        self.eof = false;
    }
}

enum Op {
    Read(io::Result<()>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

enum State {
    Idle(Option<Buf>),
    Busy(Job),
}

/// The operation in flight: a job on the pool, or ring operations (io_uring driver).
enum Job {
    Pool(TaskHandle<(Op, Buf)>),
    /// In a mutex only to be `Sync` (a `File` is): polled through `get_mut`, never locked.
    Ring(Mutex<RingJob>),
}

/// The ring operations of one `File` job.
type RingJob = Pin<Box<dyn Future<Output = (Op, Buf)> + Send>>;

impl Job {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(Op, Buf)>> {
        match self {
            Job::Pool(h) => Pin::new(h).poll(cx).map_err(io::Error::from),
            Job::Ring(f) => f.get_mut().as_mut().poll(cx).map(Ok),
        }
    }
}

impl File {
    /// Opens a file for reading.
    ///
    /// # Errors
    /// The OS error; `NoRuntime` outside a runtime.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        if let Some(f) = open_on_ring(path.as_ref(), libc::O_RDONLY, 0o666).await {
            return f;
        }
        let path = path.as_ref().to_owned();
        let f = run("corio::fs::File::open", move || std::fs::File::open(path)).await?;
        Ok(File::from_std(f))
    }

    /// Creates (or truncates) a file for writing.
    ///
    /// # Errors
    /// The OS error; `NoRuntime` outside a runtime.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
        if let Some(f) = open_on_ring(path.as_ref(), flags, 0o666).await {
            return f;
        }
        let path = path.as_ref().to_owned();
        let f = run("corio::fs::File::create", move || {
            std::fs::File::create(path)
        })
        .await?;
        Ok(File::from_std(f))
    }

    /// Wraps an open std file.
    pub fn from_std(file: std::fs::File) -> File {
        File {
            std: Arc::new(file),
            state: State::Idle(Some(Buf::default())),
        }
    }

    /// Waits for the pending operation, then returns the std file (its position is
    /// where this `File`'s user left it).
    ///
    /// # Errors
    /// A pending write's error.
    pub async fn into_std(mut self) -> io::Result<std::fs::File> {
        self.settle().await?;
        Ok(Arc::try_unwrap(self.std).unwrap_or_else(|a| {
            // Only `std::fs::File::try_clone` could fail here; a shared handle refers to
            // the same open file description, so cloning it is equivalent.
            a.try_clone().expect("cannot clone file handle")
        }))
    }

    /// Flushes pending writes and the OS's buffers to the device (`fsync`).
    ///
    /// # Errors
    /// A pending write's error or the OS error.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.settle().await?;
        if let Some(ring) = uring::current() {
            return uring::sync(&ring, &self.std, false).await;
        }
        let f = self.std.clone();
        run("corio::fs::File::sync_all", move || f.sync_all()).await
    }

    /// Like [`sync_all`](Self::sync_all) without metadata (`fdatasync`).
    ///
    /// # Errors
    /// A pending write's error or the OS error.
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.settle().await?;
        if let Some(ring) = uring::current() {
            return uring::sync(&ring, &self.std, true).await;
        }
        let f = self.std.clone();
        run("corio::fs::File::sync_data", move || f.sync_data()).await
    }

    /// Truncates or extends the file to `size` bytes.
    ///
    /// # Errors
    /// A pending write's error or the OS error.
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.settle().await?;
        let f = self.std.clone();
        run("corio::fs::File::set_len", move || f.set_len(size)).await
    }

    /// The file's metadata.
    ///
    /// # Errors
    /// The OS error.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let f = self.std.clone();
        run("corio::fs::File::metadata", move || f.metadata()).await
    }

    /// Reads up to `len` bytes at `offset` (`pread(2)`), without moving the file
    /// position; fewer bytes at end-of-file, none past it.
    ///
    /// Waits for a buffered write of this `File` to land first, so it reads what was
    /// written through it.
    ///
    /// # Errors
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// # corio::run(async {
    /// use corio_reactor::fs::OpenOptions;
    /// let path = std::env::temp_dir().join(format!("corio-at-{}", std::process::id()));
    /// let mut f = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).await?;
    /// f.write_all_at(b"hello world".to_vec(), 0).await?;
    /// f.write_all_at(b"W".to_vec(), 6).await?;
    /// assert_eq!(f.read_at(5, 6).await?, b"World");
    /// # corio_reactor::fs::remove_file(&path).await?;
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn read_at(&mut self, len: usize, offset: u64) -> io::Result<Vec<u8>> {
        self.settle().await?;
        if let Some(ring) = uring::current() {
            return read_exact_at_ring(&ring, &self.std, len, offset).await;
        }
        let f = self.std.clone();
        run("corio::fs::File::read_at", move || {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0; len];
            let mut filled = 0;
            while filled < len {
                match f.read_at(&mut buf[filled..], offset + filled as u64) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            buf.truncate(filled);
            Ok(buf)
        })
        .await
    }

    /// Writes all of `data` at `offset` (`pwrite(2)`), without moving the file position
    /// (on a file opened for append, Linux appends instead, as `pwrite` documents).
    ///
    /// # Errors
    /// The OS error.
    pub async fn write_all_at(&mut self, data: Vec<u8>, offset: u64) -> io::Result<()> {
        self.settle().await?;
        if let Some(ring) = uring::current() {
            return uring::write_all_at(&ring, &self.std, data, offset).await.0;
        }
        let f = self.std.clone();
        run("corio::fs::File::write_all_at", move || {
            std::os::unix::fs::FileExt::write_all_at(&*f, &data, offset)
        })
        .await
    }

    /// Waits for the in-flight operation and gives read-ahead back to the position.
    async fn settle(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_settle(cx)).await
    }

    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_idle(cx))?;
        let unread = match &self.state {
            State::Idle(Some(b)) => b.unread(),
            _ => 0,
        };
        if unread == 0 {
            return Poll::Ready(Ok(()));
        }
        // Rule 3: seek back over the read-ahead (completes through the Seek op).
        self.start(move |f, mut buf| {
            buf.clear();
            (
                Op::Seek((&*f).seek(SeekFrom::Current(-(unread as i64)))),
                buf,
            )
        })?;
        self.poll_idle(cx)
    }

    /// Rule 1: waits for the in-flight operation; returns its error (or a pending
    /// write's error) once.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let State::Busy(h) = &mut self.state {
            let (op, buf) = match ready!(h.poll(cx)) {
                Ok(v) => v,
                Err(e) => {
                    self.state = State::Idle(Some(Buf::default()));
                    return Poll::Ready(Err(e));
                }
            };
            self.state = State::Idle(Some(buf));
            match op {
                Op::Read(r) => r?,
                Op::Write(r) => r?,
                Op::Seek(r) => {
                    r?;
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Starts `job` on the pool with the buffer (the file must be idle).
    fn start<F>(&mut self, job: F) -> io::Result<()>
    where
        F: FnOnce(Arc<std::fs::File>, Buf) -> (Op, Buf) + Send + 'static,
    {
        let State::Idle(buf) = &mut self.state else {
            unreachable!("File::start while busy")
        };
        let buf = buf.take().unwrap_or_default();
        let f = self.std.clone();
        let h = try_spawn_blocking(move || job(f, buf)).map_err(io::Error::other)?;
        self.state = State::Busy(Job::Pool(h));
        Ok(())
    }

    /// Starts a read of up to `want` bytes at the file position on the ring, if the
    /// runtime runs io_uring (the file must be idle); `false`: use the pool.
    fn start_ring_read(&mut self, want: usize) -> bool {
        self.start_ring(move |ring, f, mut buf| async move {
            buf.clear();
            let data = std::mem::take(&mut buf.data);
            // u64::MAX: at the file position, moving it (like read(2)).
            let (res, data) = uring::read_at(&ring, &f, data, want, u64::MAX).await;
            buf.data = data;
            buf.eof = matches!(res, Ok(0));
            (Op::Read(res.map(drop)), buf)
        })
    }

    /// Starts writing the buffer's contents at the file position on the ring, if the
    /// runtime runs io_uring (the file must be idle); `false`: use the pool.
    fn start_ring_write(&mut self) -> bool {
        self.start_ring(|ring, f, mut buf| async move {
            let data = std::mem::take(&mut buf.data);
            let (res, data) = uring::write_all_at(&ring, &f, data, u64::MAX).await;
            buf.data = data;
            // Written bytes are not read-ahead (rule 3 must not seek back over them).
            buf.clear();
            (Op::Write(res), buf)
        })
    }

    /// Runs `op` on the ring with the idle file's buffer, if the runtime runs io_uring;
    /// `false` (nothing changed): use the pool.
    fn start_ring<F, Fut>(&mut self, op: F) -> bool
    where
        F: FnOnce(Arc<crate::uring::Shared>, Arc<std::fs::File>, Buf) -> Fut,
        Fut: Future<Output = (Op, Buf)> + Send + 'static,
    {
        let Some(ring) = uring::current() else {
            return false;
        };
        let State::Idle(buf) = &mut self.state else {
            unreachable!("File::start while busy")
        };
        let buf = buf.take().unwrap_or_default();
        let job = op(ring, self.std.clone(), buf);
        self.state = State::Busy(Job::Ring(Mutex::new(Box::pin(job))));
        true
    }

    fn buf(&mut self) -> &mut Buf {
        match &mut self.state {
            State::Idle(Some(b)) => b,
            _ => unreachable!("File buffer while busy"),
        }
    }
}

/// `File::read_at` on the ring: reads until `len` bytes or the end of the file.
async fn read_exact_at_ring(
    ring: &Arc<crate::uring::Shared>,
    file: &Arc<std::fs::File>,
    len: usize,
    offset: u64,
) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len);
    while buf.len() < len {
        let at = offset + buf.len() as u64;
        let want = len - buf.len();
        let (res, back) = uring::read_at(ring, file, buf, want, at).await;
        buf = back;
        if res? == 0 {
            break;
        }
    }
    Ok(buf)
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            ready!(this.poll_idle(cx))?;
            let b = this.buf();
            if b.unread() > 0 || b.eof || dst.is_empty() {
                let n = b.unread().min(dst.len());
                dst[..n].copy_from_slice(&b.data[b.pos..b.pos + n]);
                b.pos += n;
                b.eof = false;
                return Poll::Ready(Ok(n));
            }
            let want = dst.len().min(MAX_BUF);
            if this.start_ring_read(want) {
                continue;
            }
            this.start(move |f, mut buf| {
                buf.clear();
                buf.data.resize(want, 0);
                let r = loop {
                    match (&*f).read(&mut buf.data) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        r => break r,
                    }
                };
                let n = *r.as_ref().unwrap_or(&0);
                buf.data.truncate(n);
                buf.eof = r.is_ok() && n == 0;
                (Op::Read(r.map(drop)), buf)
            })?;
        }
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_settle(cx))?;
        let n = src.len().min(MAX_BUF);
        let b = this.buf();
        b.clear();
        b.data.extend_from_slice(&src[..n]);
        if this.start_ring_write() {
            // Rule 2: report the write now; an error comes back from the next call.
            return Poll::Ready(Ok(n));
        }
        this.start(|f, mut buf| {
            let r = (&*f).write_all(&buf.data);
            // Written bytes are not read-ahead (rule 3 must not seek back over them).
            buf.clear();
            (Op::Write(r), buf)
        })?;
        // Rule 2: report the write now; an error comes back from the next call.
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_idle(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        // A seek of ours may already be in flight (a previous poll of this call).
        if let State::Busy(h) = &mut this.state {
            let (op, buf) = match ready!(h.poll(cx)) {
                Ok(v) => v,
                Err(e) => {
                    this.state = State::Idle(Some(Buf::default()));
                    return Poll::Ready(Err(e));
                }
            };
            this.state = State::Idle(Some(buf));
            match op {
                Op::Seek(r) => return Poll::Ready(r),
                Op::Read(r) => r?,
                Op::Write(r) => r?,
            }
        }
        let b = this.buf();
        let pos = match pos {
            SeekFrom::Current(n) => SeekFrom::Current(n - b.unread() as i64),
            other => other,
        };
        b.clear();
        this.start(move |f, buf| (Op::Seek((&*f).seek(pos)), buf))?;
        let State::Busy(h) = &mut this.state else {
            unreachable!()
        };
        let (op, buf) = match ready!(h.poll(cx)) {
            Ok(v) => v,
            Err(e) => {
                this.state = State::Idle(Some(Buf::default()));
                return Poll::Ready(Err(e));
            }
        };
        this.state = State::Idle(Some(buf));
        match op {
            Op::Seek(r) => Poll::Ready(r),
            _ => unreachable!("a seek job returns a seek result"),
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .field("busy", &matches!(self.state, State::Busy(_)))
            .finish()
    }
}

/// Options to open a file with (`std::fs::OpenOptions`; opened on the blocking pool, or
/// with `IORING_OP_OPENAT` on the io_uring driver).
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions, Flags);

/// The options again, readable (std's are not), for the io_uring open.
#[derive(Debug, Clone, Copy)]
struct Flags {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    mode: u32,
}

impl Flags {
    /// `open(2)`'s flags, or `None` for a combination std refuses (the caller takes
    /// std's path, which words the error).
    fn open_flags(&self) -> Option<i32> {
        let access = match (self.read, self.write, self.append) {
            (true, false, false) => libc::O_RDONLY,
            (false, true, false) => libc::O_WRONLY,
            (true, true, false) => libc::O_RDWR,
            (false, _, true) => libc::O_WRONLY | libc::O_APPEND,
            (true, _, true) => libc::O_RDWR | libc::O_APPEND,
            (false, false, false) => return None,
        };
        let creating = self.truncate || self.create || self.create_new;
        match (self.write, self.append) {
            (false, false) if creating => return None,
            (_, true) if self.truncate && !self.create_new => return None,
            _ => {}
        }
        let creation = match (self.create, self.truncate, self.create_new) {
            (_, _, true) => libc::O_CREAT | libc::O_EXCL,
            (true, true, false) => libc::O_CREAT | libc::O_TRUNC,
            (true, false, false) => libc::O_CREAT,
            (false, true, false) => libc::O_TRUNC,
            (false, false, false) => 0,
        };
        Some(access | creation)
    }
}

impl OpenOptions {
    /// All options off.
    pub fn new() -> OpenOptions {
        let flags = Flags {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            mode: 0o666,
        };
        OpenOptions(std::fs::OpenOptions::new(), flags)
    }
    /// Open for reading.
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.0.read(on);
        self.1.read = on;
        self
    }
    /// Open for writing.
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.0.write(on);
        self.1.write = on;
        self
    }
    /// Open for appending.
    pub fn append(&mut self, on: bool) -> &mut Self {
        self.0.append(on);
        self.1.append = on;
        self
    }
    /// Truncate to 0 bytes on open.
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.0.truncate(on);
        self.1.truncate = on;
        self
    }
    /// Create if missing.
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.0.create(on);
        self.1.create = on;
        self
    }
    /// Create, failing with `AlreadyExists` if it exists.
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.0.create_new(on);
        self.1.create_new = on;
        self
    }
    /// The permission bits of a newly created file (before the umask).
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self.1.mode = mode;
        self
    }

    /// Opens `path` with these options.
    ///
    /// # Errors
    /// The OS error (`NotFound`, `AlreadyExists`, `InvalidInput` for contradictory
    /// options...); `NoRuntime` outside a runtime.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        if let Some(flags) = self.1.open_flags() {
            if let Some(f) = open_on_ring(path.as_ref(), flags, self.1.mode).await {
                return f;
            }
        }
        let (opts, path) = (self.0.clone(), path.as_ref().to_owned());
        let f = run("corio::fs::OpenOptions::open", move || opts.open(path)).await?;
        Ok(File::from_std(f))
    }
}

/// Opens `path` with `IORING_OP_OPENAT` when the runtime runs io_uring (`None`: it
/// does not, or the path holds a NUL byte; the caller takes the pool).
async fn open_on_ring(path: &Path, flags: i32, mode: u32) -> Option<io::Result<File>> {
    let ring = uring::current()?;
    let c_path = uring::c_path(path)?;
    Some(
        uring::open(&ring, c_path, flags, mode)
            .await
            .map(File::from_std),
    )
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

//! File operations on the io_uring driver: `IORING_OP_OPENAT`, `READ`, `WRITE`,
//! `STATX`, `FSYNC` and `CLOSE`, used by `corio::fs` instead of the blocking pool when
//! the runtime runs this driver and the kernel has every one of these opcodes (probed
//! once per process; `CORIO_URING_REFUSE=fs` simulates a kernel without them). Where
//! they are missing, and on the epoll driver, `corio::fs` keeps its blocking-pool path.
//!
//! # Ownership under cancellation (the rules)
//! These extend the driver's buffer rules (module `uring`, rules 1-6) to what a file
//! operation hands the kernel besides a data buffer.
//! 1. Everything an entry points to or names is moved into the operation's slot
//!    ([`Keep`]) before the entry is pushed, and comes back only with the completion:
//!    the data buffer (`Keep::buf`, or the caller's boxed write contents), the
//!    NUL-terminated path of an open, the `statx` buffer, and the open file whose
//!    descriptor the entry names (an `Arc` clone of it).
//! 2. A dropped future drops its [`Op`]: the slot becomes an orphan (driver rule 2) and
//!    keeps all of the above until the kernel's completion has been reaped (driver
//!    rule 3). Reads, opens, `statx` and `fsync` are cancelled with
//!    `IORING_OP_ASYNC_CANCEL`; writes are not (a `File`'s write was already reported
//!    written) and complete on their own.
//! 3. A descriptor is closed only when its last holder lets go: the caller's handle and
//!    every slot whose entry names it. So an entry still in the submission queue can
//!    never name a closed number, or a number reused by another open.
//! 4. An open whose owner is gone closes the descriptor its completion carries (driver
//!    rule 3, `After::CloseResults`), and so does an open future dropped between its
//!    completion and its next poll: an abandoned open never leaks a descriptor.
//! 5. The data pointer of a write is taken once from the contents after they are boxed
//!    (a heap address that does not move while the box lives in the slot); nothing
//!    touches the contents mutably until the completion gives the box back.
//!
//! # Whole files in one chain (direct descriptors)
//! [`read_file`] and [`write_file`] submit the open and the first transfer as one linked
//! chain (`Shared::submit_chain`), so a small file costs one submission and one task
//! wake-up instead of one per step. The open installs the file as a *direct
//! descriptor* (an index of the ring's registered file table, [`FileTable`]) chosen by
//! us before the chain is pushed, because the linked entries after it must name it
//! when they are prepared (`IORING_FILE_INDEX_ALLOC` tells the index only in the
//! open's completion). The chains:
//! - read: `OPENAT(index)` -link-> `READ(n, RWF_NOWAIT)` -hardlink->
//!   `READ(1 byte, RWF_NOWAIT)` (n: rule 9); the second read finding the end (0) completes the
//!   file. Otherwise (a larger file, a pipe, pages not cached: `EAGAIN`) blocking reads
//!   on the index go on from there. Then a `CLOSE(index)` nobody waits for.
//! - write: `OPENAT(index, O_WRONLY)` -link-> `FTRUNCATE(len)` -hardlink->
//!   `WRITE(all)` -link-> `CLOSE(index)` (rule 10), or for a missing file
//!   `OPENAT(index, O_CREAT | O_TRUNC)` -link-> `WRITE(all)` -link-> `CLOSE(index)`. A
//!   short write cancels the close (a soft link fails on it), the rest is written on
//!   the index and a close follows.
//!
//! The rules for them, on top of 1-5 (rule 10 is about what a write does to the file):
//! 6. An index is taken from the table for one chain and goes back only when its
//!    last holder lets go: the owner and every slot whose entry names it keep an
//!    `Arc` of it ([`Index`]). So no entry still queued or in flight can name an index
//!    that another chain reuses.
//! 7. The entries after the open are soft-linked to it: an open that fails or is
//!    cancelled cancels them, so they never touch an index that holds no file, or the
//!    file an abandoned chain left there. The reads never block (`RWF_NOWAIT`): only
//!    the open of a chain can wait (a FIFO without a writer), and it is the chain's
//!    head, issued first and so always found by the `IORING_OP_ASYNC_CANCEL` of a
//!    dropped future. Memory two entries share (the reads' buffer) is kept by the
//!    slot of the later one, which the kernel starts only after the earlier completed.
//! 8. A chain abandoned after its open (its future dropped) may leave its file in the
//!    table: the next open into that index replaces and so closes it, and the ring's
//!    end closes all. Nothing is leaked beyond the table's size, and no descriptor
//!    number of the process is used at all. An `-ECANCELED` no owner asked for (a
//!    submitting thread that exits, driver rule 5) restarts the whole operation on
//!    the unchained path.
//! 9. The read chain reads straight into the buffer it returns: no zeroing, no copy.
//!    Its capacity is the first read's length plus the end read's byte; the first read
//!    asks for the size of the last file a chain read (rounded up to 4 KiB, within
//!    4-64 KiB: a larger guess costs a shrinking `realloc`, a smaller one more reads).
//!    Only the bytes the completions say the kernel wrote become the vector's contents
//!    (`set_len`), and they are marked defined for valgrind with its client request
//!    (x86-64; elsewhere the buffer is zeroed first), since memory checkers do not see
//!    the kernel's writes through the ring.
//! 10. `fs::write` over an existing file writes it in place: `OPENAT(O_WRONLY)`, then
//!    `FTRUNCATE(len)` (hardlinked: `EINVAL`, a FIFO or a device with no size to cut,
//!    is ignored, as `O_TRUNC` ignores them), then the write and the close; only an
//!    open that finds no file (`ENOENT`) is followed by the creating chain
//!    (`O_CREAT | O_TRUNC`). Why: `O_CREAT` makes the kernel hand the open to its
//!    io-wq workers, and truncating a file to 0 frees its blocks (a synchronous
//!    discard on a filesystem mounted `discard`) and makes ext4 write the new data back
//!    at close (`auto_da_alloc`): 71 us per 4 KiB file against 4 us in place, on this
//!    project's ext4 VM. The end state is std's (exactly the new bytes, mtime and
//!    ctime updated); what differs while it runs or if it fails: a reader racing the
//!    write may see the old bytes past the new ones' end (or zeros past the old end)
//!    instead of an empty file, a write that fails part-way leaves old bytes after the
//!    new ones, and a crash leaves the old or the new contents instead of possibly an
//!    empty file. Without `IORING_OP_FTRUNCATE` (before Linux 6.9,
//!    `CORIO_URING_REFUSE=ftruncate`) every write creates or truncates, as std.

use std::any::Any;
use std::ffi::CString;
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll, Waker};

use corio_core::clock::BusyGuard;
use io_uring::{opcode, squeue, types, Probe};

use parking_lot::Mutex;

use super::{After, Keep, Op, Shared};
use crate::reactor::{shutdown_error, ReactorHandle};

/// The file opcodes, checked with the kernel's probe before the first file operation.
const FS_OPS: &[u8] = &[
    opcode::OpenAt::CODE,
    opcode::Read::CODE,
    opcode::Write::CODE,
    opcode::Statx::CODE,
    opcode::Fsync::CODE,
    opcode::Close::CODE,
];

/// The first read of a whole file on the unchained path: most files fit, larger ones
/// are sized with `statx`.
const FIRST_READ: usize = 16 * 1024;
/// The read chain's first read (rule 9): the size of the last file a chain read,
/// rounded up to `READ_HINT_MIN`, within these bounds (larger files read on by
/// doubling: a direct descriptor cannot be named by `statx`).
const READ_HINT_MIN: usize = 4 * 1024;
const READ_HINT_MAX: usize = 64 * 1024;
/// The most direct descriptors (files read or written at once through chains); the
/// table is capped by `RLIMIT_NOFILE` (the kernel's rule), and an operation that finds
/// every index taken uses the unchained path.
const DIRECT_SLOTS: u32 = 16 * 1024;
/// The most one read or write entry asks for (the length field is 32 bits).
const MAX_RW: usize = 1 << 30;

/// Whether this kernel has every file opcode (probed once per process).
static SUPPORTED: OnceLock<bool> = OnceLock::new();

/// The current runtime's io_uring driver, if it runs one and the kernel has the file
/// opcodes; `None` means "use the blocking pool".
pub(crate) fn current() -> Option<Arc<Shared>> {
    let handle = corio_core::context::reactor::<ReactorHandle>()?;
    let shared = handle.uring()?;
    if *SUPPORTED.get_or_init(|| probe(shared)) {
        Some(shared.clone())
    } else {
        None
    }
}

fn probe(shared: &Shared) -> bool {
    if std::env::var_os("CORIO_URING_REFUSE").is_some_and(|v| v == "fs") {
        return false;
    }
    let mut probe = Probe::new();
    if shared.ring.submitter().register_probe(&mut probe).is_err() {
        return false;
    }
    // Reads and writes at the file position (offset -1) need IORING_FEAT_RW_CUR_POS.
    shared.ring.params().is_feature_rw_cur_pos()
        && FS_OPS.iter().all(|&code| probe.is_supported(code))
}

/// Whether the kernel has `IORING_OP_FTRUNCATE` (rule 10).
fn has_ftruncate(shared: &Shared) -> bool {
    let mut probe = Probe::new();
    shared.ring.submitter().register_probe(&mut probe).is_ok()
        && probe.is_supported(opcode::Ftruncate::CODE)
}

/// The path as the kernel wants it; `None` if it holds a NUL byte (the caller takes
/// the blocking path, whose error names the problem exactly as std does).
pub(crate) fn c_path(path: &Path) -> Option<CString> {
    CString::new(path.as_os_str().as_bytes()).ok()
}

fn error(res: i32) -> io::Error {
    if res == -libc::ESHUTDOWN {
        shutdown_error()
    } else {
        io::Error::from_raw_os_error(-res)
    }
}

/// std's error for a write that made no progress.
fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")
}

/// One operation: submitted on the first poll, its result and what it kept on
/// completion. Dropping it before then orphans the slot (rule 2).
struct RingOp {
    shared: Arc<Shared>,
    start: Option<(squeue::Entry, Keep)>,
    op: Option<Op>,
    cancel: bool,
    /// The result is a new descriptor (an open): rule 4.
    opens: bool,
    /// Holds a paused clock while the operation is in the kernel, as a pool job does
    /// (auto-advance must not skip over file I/O in flight).
    busy: Option<BusyGuard>,
}

impl RingOp {
    fn new(shared: &Arc<Shared>, sqe: squeue::Entry, keep: Keep, cancel: bool) -> RingOp {
        RingOp {
            shared: shared.clone(),
            start: Some((sqe, keep)),
            op: None,
            cancel,
            opens: false,
            busy: None,
        }
    }
}

impl Future for RingOp {
    /// The completion's result (`-errno` on failure) and the slot's contents.
    type Output = (i32, Keep);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(i32, Keep)> {
        let this = &mut *self;
        if let Some((sqe, keep)) = this.start.take() {
            this.busy = corio_core::context::clock()
                .filter(|c| c.is_paused())
                .map(|c| c.busy());
            match this.shared.submit(sqe, keep, cx.waker(), this.cancel) {
                Ok(op) => {
                    if this.opens {
                        // Already complete if refused: then the poll below takes the
                        // descriptor at once.
                        let _ = this.shared.set_after(&op, After::CloseResults);
                    }
                    this.op = Some(op);
                }
                Err(e) => {
                    let res = -e.raw_os_error().unwrap_or(libc::ESHUTDOWN);
                    return Poll::Ready((res, Keep::default()));
                }
            }
        }
        let op = this.op.as_mut().expect("RingOp polled after completion");
        let (res, _flags, keep) = ready!(op.poll(cx));
        this.op = None;
        this.busy = None;
        Poll::Ready((res, keep))
    }
}

impl Drop for RingOp {
    fn drop(&mut self) {
        if !self.opens {
            return;
        }
        if let Some(op) = self.op.as_mut() {
            // Rule 4: an open that completed but was never polled again.
            if let Poll::Ready((res, _, _)) = op.poll(&mut Context::from_waker(Waker::noop())) {
                self.op = None;
                if res >= 0 {
                    // SAFETY: a successful open's result is a new descriptor that only
                    // this (abandoned) operation knows of.
                    drop(unsafe { File::from_raw_fd(res) });
                }
            }
        }
    }
}

/// What an entry names: an open file's descriptor, or a direct descriptor (rule 6).
#[derive(Clone, Copy)]
enum Target<'a> {
    File(&'a Arc<File>),
    Direct(&'a Arc<Index>),
}

impl Target<'_> {
    /// What the slot of an entry naming it keeps of it (rules 3 and 6).
    fn keep(self) -> Box<dyn Any + Send> {
        match self {
            Target::File(f) => Box::new(Arc::clone(f)),
            Target::Direct(i) => Box::new(Arc::clone(i)),
        }
    }

    fn read(self, ptr: *mut u8, len: u32) -> opcode::Read {
        match self {
            Target::File(f) => opcode::Read::new(types::Fd(f.as_raw_fd()), ptr, len),
            Target::Direct(i) => opcode::Read::new(types::Fixed(i.index), ptr, len),
        }
    }

    fn write(self, ptr: *const u8, len: u32) -> opcode::Write {
        match self {
            Target::File(f) => opcode::Write::new(types::Fd(f.as_raw_fd()), ptr, len),
            Target::Direct(i) => opcode::Write::new(types::Fixed(i.index), ptr, len),
        }
    }

    /// The offset of the transfer after `done` bytes: explicit on a file descriptor
    /// (as before), the file position (-1) on a direct descriptor, which the chain's
    /// first transfer moved (and which a pipe needs).
    fn offset(self, done: usize) -> u64 {
        match self {
            Target::File(_) => done as u64,
            Target::Direct(_) => u64::MAX,
        }
    }
}

/// What the slot of an operation on `target` keeps besides the data buffer.
fn keep_on(buf: Vec<u8>, target: Target<'_>) -> Keep {
    Keep {
        buf,
        extra: Some(target.keep()),
    }
}

/// Opens `path` (`openat(AT_FDCWD, path, flags | O_CLOEXEC, mode)`).
pub(crate) async fn open(
    shared: &Arc<Shared>,
    path: CString,
    flags: i32,
    mode: u32,
) -> io::Result<File> {
    let sqe = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), path.as_ptr())
        .flags(flags | libc::O_CLOEXEC)
        .mode(mode)
        .build();
    let keep = Keep {
        buf: Vec::new(),
        extra: Some(Box::new(path)),
    };
    let mut op = RingOp::new(shared, sqe, keep, true);
    op.opens = true;
    let (res, _) = op.await;
    if res < 0 {
        return Err(error(res));
    }
    // SAFETY: a successful open's result is a new descriptor owned by nobody else.
    Ok(unsafe { File::from_raw_fd(res) })
}

/// Reads up to `len` bytes at `offset` (`u64::MAX`: at the file position, moving it)
/// onto the end of `buf`; gives `buf` back with the bytes read appended.
pub(crate) async fn read_at(
    shared: &Arc<Shared>,
    file: &Arc<File>,
    buf: Vec<u8>,
    len: usize,
    offset: u64,
) -> (io::Result<usize>, Vec<u8>) {
    read_on(shared, Target::File(file), buf, len, offset).await
}

async fn read_on(
    shared: &Arc<Shared>,
    target: Target<'_>,
    mut buf: Vec<u8>,
    len: usize,
    offset: u64,
) -> (io::Result<usize>, Vec<u8>) {
    let len = len.min(MAX_RW);
    let at = buf.len();
    // Zeroed so that memory checkers (which do not see the kernel's writes through the
    // ring) never report the bytes read as uninitialised.
    buf.resize(at + len, 0);
    // SAFETY: `at <= buf.len()`, so the pointer stays inside the allocation.
    let ptr = unsafe { buf.as_mut_ptr().add(at) };
    let sqe = target.read(ptr, len as u32).offset(offset).build();
    let (res, keep) = RingOp::new(shared, sqe, keep_on(buf, target), true).await;
    let mut buf = keep.buf;
    if res < 0 {
        buf.truncate(at);
        return (Err(error(res)), buf);
    }
    buf.truncate(at + res as usize);
    (Ok(res as usize), buf)
}

/// Writes `buf[from..]` at `offset` (`u64::MAX`: at the file position); one entry, so
/// possibly fewer bytes. Gives `buf` back.
pub(crate) async fn write_at(
    shared: &Arc<Shared>,
    file: &Arc<File>,
    buf: Vec<u8>,
    from: usize,
    offset: u64,
) -> (io::Result<usize>, Vec<u8>) {
    let len = (buf.len() - from).min(MAX_RW);
    // SAFETY: `from <= buf.len()`, so the pointer stays inside the allocation.
    let ptr = unsafe { buf.as_ptr().add(from) };
    let target = Target::File(file);
    let sqe = target.write(ptr, len as u32).offset(offset).build();
    let (res, keep) = RingOp::new(shared, sqe, keep_on(buf, target), false).await;
    if res < 0 {
        return (Err(error(res)), keep.buf);
    }
    (Ok(res as usize), keep.buf)
}

/// Writes all of `buf` at `offset` onwards (`u64::MAX`: at the file position).
pub(crate) async fn write_all_at(
    shared: &Arc<Shared>,
    file: &Arc<File>,
    mut buf: Vec<u8>,
    offset: u64,
) -> (io::Result<()>, Vec<u8>) {
    let mut done = 0;
    while done < buf.len() {
        let at = if offset == u64::MAX {
            u64::MAX
        } else {
            offset + done as u64
        };
        let (res, back) = write_at(shared, file, buf, done, at).await;
        buf = back;
        match res {
            Ok(0) => return (Err(write_zero()), buf),
            Ok(n) => done += n,
            Err(e) => return (Err(e), buf),
        }
    }
    (Ok(()), buf)
}

/// The size of an open file (`statx` on its descriptor).
pub(crate) async fn size(shared: &Arc<Shared>, file: &Arc<File>) -> io::Result<u64> {
    // SAFETY: `statx` is plain old data; all zeroes is a valid value.
    let mut stat: Box<libc::statx> = Box::new(unsafe { std::mem::zeroed() });
    let ptr: *mut libc::statx = &mut *stat;
    let sqe = opcode::Statx::new(
        types::Fd(file.as_raw_fd()),
        c"".as_ptr(),
        ptr.cast::<types::statx>(),
    )
    .flags(libc::AT_EMPTY_PATH)
    .mask(libc::STATX_SIZE)
    .build();
    let keep = Keep {
        buf: Vec::new(),
        extra: Some(Box::new((stat, file.clone()))),
    };
    let (res, keep) = RingOp::new(shared, sqe, keep, true).await;
    if res < 0 {
        return Err(error(res));
    }
    let extra: Box<dyn Any> = keep.extra.expect("statx keeps its buffer");
    let (stat, _) = *extra
        .downcast::<(Box<libc::statx>, Arc<File>)>()
        .expect("statx keeps its buffer");
    Ok(stat.stx_size)
}

/// `fsync` (or `fdatasync` with `data_only`).
pub(crate) async fn sync(
    shared: &Arc<Shared>,
    file: &Arc<File>,
    data_only: bool,
) -> io::Result<()> {
    let mut sqe = opcode::Fsync::new(types::Fd(file.as_raw_fd()));
    if data_only {
        sqe = sqe.flags(types::FsyncFlags::DATASYNC);
    }
    let keep = keep_on(Vec::new(), Target::File(file));
    let (res, _) = RingOp::new(shared, sqe.build(), keep, true).await;
    if res < 0 {
        return Err(error(res));
    }
    Ok(())
}

/// Closes `file` through the ring (its last holder; otherwise just lets go of it).
/// Errors are ignored, as dropping a std file ignores them.
pub(crate) async fn close(shared: &Arc<Shared>, file: Arc<File>) {
    let Ok(file) = Arc::try_unwrap(file) else {
        return;
    };
    let fd = file.into_raw_fd();
    let sqe = opcode::Close::new(types::Fd(fd)).build();
    let (res, _) = RingOp::new(shared, sqe, Keep::default(), false).await;
    if res == -libc::ESHUTDOWN {
        // Never submitted (the driver is gone): close it here.
        // SAFETY: `fd` came from `into_raw_fd` above and nobody else closed it.
        drop(unsafe { File::from_raw_fd(fd) });
    }
}

/// The ring's table of direct descriptors (registered sparse, `DIRECT_SLOTS` capped by
/// `RLIMIT_NOFILE`) and the indices free in it (rule 6). Empty where the kernel
/// refuses a sparse table (before Linux 5.19, or `CORIO_URING_REFUSE=direct`): every
/// whole-file operation then takes the unchained path.
pub(crate) struct FileTable {
    free: Mutex<Vec<u32>>,
    /// Indices given back by abandoned chains, which may still hold a file: the next
    /// whole-file operation closes them (rule 8).
    dirty: Mutex<Vec<u32>>,
    /// The read chain's first read length (rule 9): the last whole file's size,
    /// rounded up and bounded (`READ_HINT_MIN`..=`READ_HINT_MAX`).
    read_hint: AtomicUsize,
    /// The kernel has `IORING_OP_FTRUNCATE` (Linux 6.9): existing files are written
    /// over in place and cut to size (rule 10). `CORIO_URING_REFUSE=ftruncate`
    /// simulates a kernel without it.
    overwrite: bool,
}

impl FileTable {
    /// The driver's table, registered by its first whole-file operation.
    fn of(shared: &Shared) -> &Arc<FileTable> {
        shared
            .files
            .get_or_init(|| Arc::new(FileTable::register(shared)))
    }

    fn register(shared: &Shared) -> FileTable {
        let refuse = std::env::var_os("CORIO_URING_REFUSE");
        let refused = refuse.as_ref().is_some_and(|v| v == "direct");
        let refuse_truncate = refuse.as_ref().is_some_and(|v| v == "ftruncate");
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid rlimit to fill.
        let cap = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            limit.rlim_cur.min(u64::from(DIRECT_SLOTS)) as u32
        } else {
            0
        };
        let n = if !refused && cap > 0 && shared.ring.submitter().register_files_sparse(cap).is_ok()
        {
            cap
        } else {
            0
        };
        FileTable {
            // Popped from the end: the lowest indices first, reused first (rule 8's
            // leftovers are replaced soon).
            free: Mutex::new((0..n).rev().collect()),
            dirty: Mutex::new(Vec::new()),
            read_hint: AtomicUsize::new(FIRST_READ),
            overwrite: n > 0 && !refuse_truncate && has_ftruncate(shared),
        }
    }

    /// How much the next read chain reads first.
    fn read_hint(&self) -> usize {
        self.read_hint.load(Ordering::Relaxed)
    }

    /// Sizes the next read chains' first read after a file of `len` bytes.
    fn note_size(&self, len: usize) {
        let hint = len
            .div_ceil(READ_HINT_MIN)
            .saturating_mul(READ_HINT_MIN)
            .clamp(READ_HINT_MIN, READ_HINT_MAX);
        if self.read_hint() != hint {
            self.read_hint.store(hint, Ordering::Relaxed);
        }
    }

    /// A free index, if any; first closes what abandoned chains left (rule 8).
    fn take(self: &Arc<Self>, shared: &Arc<Shared>) -> Option<Arc<Index>> {
        let dirty = std::mem::take(&mut *self.dirty.lock());
        for index in dirty {
            close_detached(shared, self.index(index));
        }
        let index = self.free.lock().pop()?;
        Some(self.index(index))
    }

    fn index(self: &Arc<Self>, index: u32) -> Arc<Index> {
        Arc::new(Index {
            table: self.clone(),
            index,
            open: AtomicBool::new(true),
        })
    }
}

/// One index of the direct-descriptor table, taken for one chain; back to the table
/// when the last holder drops it (rule 6).
pub(crate) struct Index {
    table: Arc<FileTable>,
    index: u32,
    /// It may hold a file (cleared by its close's completion, or a failed open).
    open: AtomicBool,
}

impl Index {
    /// The open's destination.
    fn slot(&self) -> types::DestinationSlot {
        types::DestinationSlot::try_from_slot_target(self.index)
            .expect("table indices are below DIRECT_SLOTS")
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        // May run under the driver's lock (a completed slot's keep): these locks are
        // never held while taking that one.
        if self.open.load(Ordering::Acquire) {
            self.table.dirty.lock().push(self.index);
        } else {
            self.table.free.lock().push(self.index);
        }
    }
}

/// A linked chain ([`Shared::submit_chain`]): submitted on the first poll; once every
/// member has completed, their results and what their slots kept, in order. Dropped
/// before then, it orphans the members still in flight (rule 2).
struct Chain {
    shared: Arc<Shared>,
    start: Option<Vec<(squeue::Entry, Keep, bool)>>,
    ops: Vec<Op>,
    done: Vec<(i32, Keep)>,
    /// As `RingOp::busy`.
    busy: Option<BusyGuard>,
}

impl Chain {
    fn new(shared: &Arc<Shared>, ops: Vec<(squeue::Entry, Keep, bool)>) -> Chain {
        Chain {
            shared: shared.clone(),
            done: Vec::with_capacity(ops.len()),
            start: Some(ops),
            ops: Vec::new(),
            busy: None,
        }
    }
}

impl Future for Chain {
    /// `Err`: not submitted (the driver is shutting down).
    type Output = io::Result<Vec<(i32, Keep)>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(ops) = this.start.take() {
            this.ops = this.shared.submit_chain(ops)?;
            this.busy = corio_core::context::clock()
                .filter(|c| c.is_paused())
                .map(|c| c.busy());
        }
        while let Some(op) = this.ops.get_mut(this.done.len()) {
            let (res, _flags, keep) = ready!(op.poll(cx));
            this.done.push((res, keep));
        }
        this.busy = None;
        Poll::Ready(Ok(std::mem::take(&mut this.done)))
    }
}

/// The three results of a chain of three.
fn three(mut done: Vec<(i32, Keep)>) -> [(i32, Keep); 3] {
    let c = done.pop().expect("a chain of three");
    let b = done.pop().expect("a chain of three");
    let a = done.pop().expect("a chain of three");
    [a, b, c]
}

/// The four results of a chain of four.
fn four(mut done: Vec<(i32, Keep)>) -> [(i32, Keep); 4] {
    let d = done.pop().expect("a chain of four");
    let [a, b, c] = three(done);
    [a, b, c, d]
}

/// What a chained operation came to: done, or to be restarted on the unchained path
/// with what it was given back (rule 8).
enum Chained<T, R> {
    Done(io::Result<T>),
    Restart(R),
}

/// Takes `T` back out of a slot's keep.
fn unkeep<T: 'static>(keep: Keep) -> T {
    let extra: Box<dyn Any> = keep.extra.expect("the slot kept it");
    *extra.downcast::<T>().expect("the slot kept it")
}

/// What a close's slot keeps: the index, marked empty when the slot lets go of it,
/// which is when the close has completed (or, at the driver's end, never).
struct Closing(Arc<Index>);

impl Drop for Closing {
    fn drop(&mut self) {
        self.0.open.store(false, Ordering::Release);
    }
}

/// What the slot of a close of `index` keeps.
fn keep_closing(index: Arc<Index>) -> Keep {
    Keep {
        buf: Vec::new(),
        extra: Some(Box::new(Closing(index))),
    }
}

/// Closes direct descriptor `index` without waiting: the slot keeps the index until
/// the close completes (rule 6).
fn close_detached(shared: &Arc<Shared>, index: Arc<Index>) {
    let sqe = opcode::Close::new(types::Fixed(index.index)).build();
    let keep = keep_closing(index);
    // Dropped at once: an orphan, not cancelled, that completes on its own. (Refused
    // only by a driver shutting down, which closes its whole table.)
    let _ = shared.submit(sqe, keep, Waker::noop(), false);
}

/// Closes direct descriptor `index` and waits for it.
async fn close_direct(shared: &Arc<Shared>, index: Arc<Index>) {
    let sqe = opcode::Close::new(types::Fixed(index.index)).build();
    let keep = keep_closing(index);
    let _ = RingOp::new(shared, sqe, keep, false).await;
}

/// Gives back the spare capacity of a buffer much larger than its contents.
fn fit(mut buf: Vec<u8>) -> Vec<u8> {
    if buf.capacity() > buf.len() + buf.len() / 2 + 64 {
        buf.shrink_to_fit();
    }
    buf
}

/// `corio::fs::read` on the ring: one chain where a direct descriptor is free
/// (module docs), else open, read (sized by `statx` beyond the first read), close.
pub(crate) async fn read_file(shared: &Arc<Shared>, mut path: CString) -> io::Result<Vec<u8>> {
    if let Some(index) = FileTable::of(shared).take(shared) {
        match read_chained(shared, path, index).await {
            Chained::Done(res) => return res,
            Chained::Restart(back) => path = back,
        }
    }
    let file = Arc::new(open(shared, path, libc::O_RDONLY, 0).await?);
    let res = read_to_end(shared, Target::File(&file), Vec::with_capacity(FIRST_READ)).await;
    close(shared, file).await;
    res.map(fit)
}

/// A chain's head: open `path` (mode 0o666 if it creates) into direct descriptor
/// `index`, soft-linked to what follows (rule 7), cancelled if dropped.
fn open_direct(path: CString, flags: i32, index: &Index) -> (squeue::Entry, Keep, bool) {
    // The path's bytes (NUL included) are the open's kept buffer (rule 1).
    let path = path.into_bytes_with_nul();
    let sqe = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), path.as_ptr().cast())
        // No O_CLOEXEC: a direct descriptor is no descriptor of the process (and the
        // kernel refuses the flag with one).
        .flags(flags)
        .mode(0o666)
        .file_index(Some(index.slot()))
        .build()
        .flags(squeue::Flags::IO_LINK);
    let keep = Keep {
        buf: path,
        extra: None,
    };
    (sqe, keep, true)
}

/// The read chain (module docs, rules 6-8).
async fn read_chained(
    shared: &Arc<Shared>,
    path: CString,
    index: Arc<Index>,
) -> Chained<Vec<u8>, CString> {
    let table = index.table.clone();
    let want = table.read_hint();
    let ops = {
        let direct = Target::Direct(&index);
        // Rule 9: the file's bytes go straight into the buffer returned (no zeroing, no
        // copy); the reads' completions say how much of it the kernel wrote.
        let mut buf = read_buffer(want + 1);
        let first = buf.as_mut_ptr();
        // SAFETY: `want < buf.capacity()`: inside the allocation.
        let end = unsafe { first.add(want) };
        let read = direct
            .read(first, want as u32)
            .offset(u64::MAX)
            .rw_flags(libc::RWF_NOWAIT)
            .build()
            .flags(squeue::Flags::IO_HARDLINK);
        let read_end = direct
            .read(end, 1)
            .offset(u64::MAX)
            .rw_flags(libc::RWF_NOWAIT)
            .build();
        vec![
            open_direct(path, libc::O_RDONLY, &index),
            // Rule 7: the later read's slot keeps the buffer of both, and the index.
            (read, Keep::default(), false),
            (read_end, keep_on(buf, direct), false),
        ]
    };
    let [(opened, open_keep), (first, _), (end, end_keep)] = match Chain::new(shared, ops).await {
        Ok(done) => three(done),
        Err(e) => return Chained::Done(Err(e)),
    };
    let mut buf = end_keep.buf;
    if opened < 0 {
        if opened != -libc::ECANCELED {
            // Rule 7: nothing was opened, and nothing after it ran.
            index.open.store(false, Ordering::Release);
        } else {
            // Rule 8: nobody here cancelled it.
            let path = CString::from_vec_with_nul(open_keep.buf).expect("the open kept its path");
            return Chained::Restart(path);
        }
        return Chained::Done(Err(error(opened)));
    }
    // Each read: bytes, or nothing yet (not cached, a pipe with nothing in it, a file
    // that cannot read without blocking at all (`EOPNOTSUPP`: procfs), or an exiting
    // thread's cancel), or an error.
    let got = |res: i32| match res {
        n if n >= 0 => Ok(n as usize),
        e if [libc::EAGAIN, libc::EOPNOTSUPP, libc::ECANCELED].contains(&-e) => Ok(0),
        e => Err(error(e)),
    };
    let (n1, n2) = match (got(first), got(end)) {
        (Ok(n1), Ok(n2)) => (n1, n2),
        (Err(e), _) | (_, Err(e)) => {
            close_detached(shared, index);
            return Chained::Done(Err(e));
        }
    };
    // The first read's bytes are at 0, the end read's (at most one) at `want`.
    written(&mut buf, n1);
    if n2 == 1 {
        let ptr = buf.as_mut_ptr();
        // SAFETY: `n1 <= want < capacity`; the end read's completion says the kernel
        // wrote the byte at `want` (marked defined first, rule 9), and it moves next to
        // the first read's bytes (the same place after a full read).
        unsafe {
            valgrind_defined(ptr.add(want), 1);
            ptr.add(n1).write(ptr.add(want).read());
            buf.set_len(n1 + 1);
        }
    }
    let res = if end == 0 {
        // The end read found the end of the file: all read.
        Ok(buf)
    } else {
        // More (or not known yet): read on, blocking.
        read_to_end(shared, Target::Direct(&index), buf).await
    };
    close_detached(shared, index);
    if let Ok(buf) = &res {
        table.note_size(buf.len());
    }
    Chained::Done(res.map(fit))
}

/// Takes the first `n` bytes of `buf`'s allocation, which the kernel wrote through
/// the ring, as its contents.
///
/// Rule 9: memory checkers do not see the kernel's writes through the ring, so the
/// bytes are also marked defined for valgrind (a client request; a no-op elsewhere).
fn written(buf: &mut Vec<u8>, n: usize) {
    assert!(n <= buf.capacity(), "the kernel wrote inside the buffer");
    valgrind_defined(buf.as_ptr(), n);
    // SAFETY: `n <= capacity` (checked), and the caller's completion says the kernel
    // wrote these `n` bytes.
    unsafe { buf.set_len(n) };
}

/// A read chain's buffer of `len` bytes of capacity, left as they are where valgrind
/// can be told what the kernel wrote, zeroed elsewhere (rule 9).
fn read_buffer(len: usize) -> Vec<u8> {
    if cfg!(target_arch = "x86_64") {
        Vec::with_capacity(len)
    } else {
        let mut buf = vec![0; len];
        buf.clear();
        buf
    }
}

/// Valgrind's `VALGRIND_MAKE_MEM_DEFINED(ptr, len)`: the client-request sequence, which
/// does nothing outside valgrind.
#[cfg(target_arch = "x86_64")]
fn valgrind_defined(ptr: *const u8, len: usize) {
    /// `VG_USERREQ_TOOL_BASE('M', 'C') + 2` (memcheck.h).
    const MAKE_MEM_DEFINED: u64 = 0x4d43_0002;
    let args: [u64; 6] = [MAKE_MEM_DEFINED, ptr as u64, len as u64, 0, 0, 0];
    // The four rotations of rdi add up to 128 bits (rdi unchanged) and `xchg rbx, rbx`
    // changes nothing: outside valgrind the sequence has no effect.
    // SAFETY: no effect outside valgrind (above); valgrind recognises the sequence and
    // reads `args` (alive and readable here), writing its answer to rdx (clobbered).
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") 0u64 => _,
            inout("rdi") 0u64 => _,
            options(nostack),
        );
    }
}

/// Elsewhere the buffers are zeroed instead (`read_buffer`).
#[cfg(not(target_arch = "x86_64"))]
fn valgrind_defined(_ptr: *const u8, _len: usize) {}

/// Reads on to the end of the file, after the bytes already in `buf`.
async fn read_to_end(
    shared: &Arc<Shared>,
    target: Target<'_>,
    mut buf: Vec<u8>,
) -> io::Result<Vec<u8>> {
    let mut first = true;
    loop {
        if buf.capacity() == buf.len() {
            buf.reserve(buf.len().max(8 * 1024));
        }
        let want = buf.capacity() - buf.len();
        let offset = target.offset(buf.len());
        let (res, back) = read_on(shared, target, buf, want, offset).await;
        buf = back;
        let n = res?;
        if n == 0 {
            break;
        }
        if let (true, true, Target::File(file)) = (first, n == want, target) {
            // A larger file: size the rest with statx (like std), plus one byte so
            // the read that finds the end needs no larger buffer.
            let total = usize::try_from(size(shared, file).await?).unwrap_or(usize::MAX);
            buf.reserve_exact(total.saturating_sub(buf.len()).saturating_add(1));
        }
        first = false;
    }
    Ok(buf)
}

/// `corio::fs::write` on the ring: one chain where a direct descriptor is free
/// (module docs), else create or truncate, write everything, close.
pub(crate) async fn write_file<C>(
    shared: &Arc<Shared>,
    path: CString,
    contents: C,
) -> io::Result<()>
where
    C: AsRef<[u8]> + Send + 'static,
{
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
    let (mut path, mut contents) = (path, Box::new(contents));
    if (*contents).as_ref().len() <= MAX_RW {
        if let Some(index) = FileTable::of(shared).take(shared) {
            match write_chained(shared, path, contents, index).await {
                Chained::Done(res) => return res,
                Chained::Restart((p, c)) => (path, contents) = (p, c),
            }
        }
    }
    let file = Arc::new(open(shared, path, flags, 0o666).await?);
    let res = write_contents(shared, Target::File(&file), contents, 0).await;
    close(shared, file).await;
    res
}

/// The write chain (module docs, rules 6-8 and 10).
async fn write_chained<C>(
    shared: &Arc<Shared>,
    mut path: CString,
    mut contents: Box<C>,
    index: Arc<Index>,
) -> Chained<(), (CString, Box<C>)>
where
    C: AsRef<[u8]> + Send + 'static,
{
    // Rule 10: an existing file is written over and cut to size; a missing one created.
    let mut overwrite = index.table.overwrite;
    loop {
        match write_chain(shared, path, contents, &index, overwrite).await {
            WriteChain::Missing(p, c) if overwrite => {
                (path, contents, overwrite) = (p, c, false);
            }
            WriteChain::Missing(p, c) => return Chained::Restart((p, c)),
            WriteChain::Done(res) => return res,
        }
    }
}

/// What one write chain came to.
enum WriteChain<C> {
    Done(Chained<(), (CString, Box<C>)>),
    /// The overwriting open found no file (or, creating, an `-ECANCELED` nobody asked
    /// for): the path and contents back.
    Missing(CString, Box<C>),
}

/// One write chain: `OPENAT(index, O_WRONLY)` -link-> `FTRUNCATE(len)` -hardlink->
/// `WRITE(all)` -link-> `CLOSE(index)` (rule 10), or, creating, `OPENAT(index,
/// O_WRONLY | O_CREAT | O_TRUNC)` -link-> `WRITE(all)` -link-> `CLOSE(index)`.
async fn write_chain<C>(
    shared: &Arc<Shared>,
    path: CString,
    contents: Box<C>,
    index: &Arc<Index>,
    overwrite: bool,
) -> WriteChain<C>
where
    C: AsRef<[u8]> + Send + 'static,
{
    let len = (*contents).as_ref().len();
    let direct = Target::Direct(index);
    // Rule 5: the pointer is taken once, from the boxed contents.
    let data: &[u8] = (*contents).as_ref();
    // At the file position (0 after the open; a pipe has no other).
    let write = direct
        .write(data.as_ptr(), data.len() as u32)
        .offset(u64::MAX)
        .build()
        .flags(squeue::Flags::IO_LINK);
    let write = (
        write,
        Keep {
            buf: Vec::new(),
            extra: Some(Box::new(contents)),
        },
        false,
    );
    let close = opcode::Close::new(types::Fixed(index.index)).build();
    // Rule 7: the close's slot keeps the index for all of them.
    let close = (close, keep_closing(index.clone()), false);
    let ops = if overwrite {
        // Hardlinked: the write follows whatever the cut gives (`EINVAL`: a FIFO or a
        // device, which have no size to cut).
        let cut = opcode::Ftruncate::new(types::Fixed(index.index), len as u64)
            .build()
            .flags(squeue::Flags::IO_HARDLINK);
        vec![
            open_direct(path, libc::O_WRONLY, index),
            (cut, Keep::default(), false),
            write,
            close,
        ]
    } else {
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
        vec![open_direct(path, flags, index), write, close]
    };
    let ((opened, open_keep), truncated, (written, write_keep), closed) =
        match Chain::new(shared, ops).await {
            Ok(done) if overwrite => {
                let [a, (cut, _), c, (closed, _)] = four(done);
                (a, cut, c, closed)
            }
            Ok(done) => {
                let [a, b, (closed, _)] = three(done);
                (a, 0, b, closed)
            }
            Err(e) => return WriteChain::Done(Chained::Done(Err(e))),
        };
    let contents = unkeep::<Box<C>>(write_keep);
    if opened < 0 {
        if opened != -libc::ECANCELED {
            // Rule 7: nothing was opened, and nothing after it ran.
            index.open.store(false, Ordering::Release);
        }
        if opened == -libc::ECANCELED || (overwrite && opened == -libc::ENOENT) {
            // Rule 8 (nobody here cancelled it), or rule 10 (create it).
            let path = CString::from_vec_with_nul(open_keep.buf).expect("the open kept its path");
            return WriteChain::Missing(path, contents);
        }
        return WriteChain::Done(Chained::Done(Err(error(opened))));
    }
    if closed < 0 {
        // Not closed after all (a short write cancelled it): still open.
        index.open.store(true, Ordering::Release);
    }
    // A short write (which cancelled what followed) or an error: write the rest on the
    // direct descriptor.
    let direct = Target::Direct(index);
    let mut res = match written {
        n if usize::try_from(n) == Ok(len) => Ok(()),
        n if n >= 0 => write_contents(shared, direct, contents, n as usize).await,
        e if e == -libc::ECANCELED => write_contents(shared, direct, contents, 0).await,
        e => Err(error(e)),
    };
    if overwrite && res.is_ok() {
        res = if truncated == -libc::ECANCELED {
            // Rule 8's cancel: cut now (after the write: the same end).
            truncate_direct(shared, index, len).await
        } else {
            cut_result(truncated)
        };
    }
    if closed < 0 {
        close_direct(shared, index.clone()).await;
    }
    WriteChain::Done(Chained::Done(res))
}

/// An `FTRUNCATE`'s result: `EINVAL` is a file with no size to cut (a FIFO, a
/// device), as `O_TRUNC` ignores them (rule 10).
fn cut_result(res: i32) -> io::Result<()> {
    if res >= 0 || res == -libc::EINVAL {
        Ok(())
    } else {
        Err(error(res))
    }
}

/// Cuts the file at direct descriptor `index` to `len` bytes (rule 10).
async fn truncate_direct(shared: &Arc<Shared>, index: &Arc<Index>, len: usize) -> io::Result<()> {
    let sqe = opcode::Ftruncate::new(types::Fixed(index.index), len as u64).build();
    let keep = keep_on(Vec::new(), Target::Direct(index));
    let (res, _) = RingOp::new(shared, sqe, keep, false).await;
    cut_result(res)
}

/// Writes `contents[done..]` (all of it from `done` on) to `target`.
async fn write_contents<C>(
    shared: &Arc<Shared>,
    target: Target<'_>,
    contents: Box<C>,
    mut done: usize,
) -> io::Result<()>
where
    C: AsRef<[u8]> + Send + 'static,
{
    // Rule 5: the pointer is taken once, from the boxed contents.
    let data: &[u8] = (*contents).as_ref();
    // An address, not a pointer, across the awaits below (the future stays `Send`); it is
    // only ever handed to the kernel.
    let (addr, len) = (data.as_ptr() as usize, data.len());
    let mut keep = Keep {
        buf: Vec::new(),
        extra: Some(Box::new((contents, target.keep()))),
    };
    while done < len {
        let n = (len - done).min(MAX_RW);
        // `done < len`: inside the contents, which live in the box moved into the slot
        // with this entry (rules 1 and 5).
        let at = (addr + done) as *const u8;
        let sqe = target
            .write(at, n as u32)
            .offset(target.offset(done))
            .build();
        let (res, back) = RingOp::new(shared, sqe, keep, false).await;
        if res < 0 {
            return Err(error(res));
        }
        if res == 0 {
            return Err(write_zero());
        }
        done += res as usize;
        keep = back;
    }
    Ok(())
}

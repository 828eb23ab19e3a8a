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

use std::any::Any;
use std::ffi::CString;
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll, Waker};

use corio_core::clock::BusyGuard;
use io_uring::{opcode, squeue, types, Probe};

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

/// The first read of a whole file: most files fit, larger ones are sized with `statx`.
const FIRST_READ: usize = 16 * 1024;
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

/// What the slot of an operation on an open file keeps besides the data buffer.
fn keep_file(buf: Vec<u8>, file: &Arc<File>) -> Keep {
    Keep {
        buf,
        extra: Some(Box::new(file.clone())),
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
    let sqe = opcode::Read::new(types::Fd(file.as_raw_fd()), ptr, len as u32)
        .offset(offset)
        .build();
    let (res, keep) = RingOp::new(shared, sqe, keep_file(buf, file), true).await;
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
    let sqe = opcode::Write::new(types::Fd(file.as_raw_fd()), ptr, len as u32)
        .offset(offset)
        .build();
    let (res, keep) = RingOp::new(shared, sqe, keep_file(buf, file), false).await;
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
    let (res, _) = RingOp::new(shared, sqe.build(), keep_file(Vec::new(), file), true).await;
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

/// `corio::fs::read` on the ring: open, read (sized by `statx` beyond the first read),
/// close.
pub(crate) async fn read_file(shared: &Arc<Shared>, path: CString) -> io::Result<Vec<u8>> {
    let file = Arc::new(open(shared, path, libc::O_RDONLY, 0).await?);
    let res = read_to_end(shared, &file).await;
    close(shared, file).await;
    res
}

async fn read_to_end(shared: &Arc<Shared>, file: &Arc<File>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(FIRST_READ);
    let mut first = true;
    loop {
        if buf.capacity() == buf.len() {
            buf.reserve(buf.len().max(8 * 1024));
        }
        let want = buf.capacity() - buf.len();
        let offset = buf.len() as u64;
        let (res, back) = read_at(shared, file, buf, want, offset).await;
        buf = back;
        let n = res?;
        if n == 0 {
            break;
        }
        if first && n == want {
            // A larger file: size the rest with statx (like std), plus one byte so
            // the read that finds the end needs no larger buffer.
            let total = usize::try_from(size(shared, file).await?).unwrap_or(usize::MAX);
            buf.reserve_exact(total.saturating_sub(buf.len()).saturating_add(1));
        }
        first = false;
    }
    if buf.capacity() > buf.len() + buf.len() / 2 + 64 {
        buf.shrink_to_fit();
    }
    Ok(buf)
}

/// `corio::fs::write` on the ring: create or truncate, write everything, close.
pub(crate) async fn write_file<C>(
    shared: &Arc<Shared>,
    path: CString,
    contents: C,
) -> io::Result<()>
where
    C: AsRef<[u8]> + Send + 'static,
{
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
    let file = Arc::new(open(shared, path, flags, 0o666).await?);
    let res = write_contents(shared, &file, Box::new(contents)).await;
    close(shared, file).await;
    res
}

async fn write_contents<C>(
    shared: &Arc<Shared>,
    file: &Arc<File>,
    contents: Box<C>,
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
        extra: Some(Box::new((contents, file.clone()))),
    };
    let mut done = 0;
    while done < len {
        let n = (len - done).min(MAX_RW);
        // `done < len`: inside the contents, which live in the box moved into the slot
        // with this entry (rules 1 and 5).
        let at = (addr + done) as *const u8;
        let sqe = opcode::Write::new(types::Fd(file.as_raw_fd()), at, n as u32)
            .offset(done as u64)
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

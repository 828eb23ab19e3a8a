//! Completion I/O for stream sockets (TCP, Unix streams) on the io_uring driver.
//!
//! `StreamIo` forwards its reads and writes here when its registration is on an io_uring
//! driver. The state lives in the stream, not in the read or write future, which is what
//! makes cancellation lose nothing:
//!
//! 1. **Reads** (`IORING_OP_RECV`) go into the stream's own buffer, owned by the
//!    driver's slot while in flight (module rule 1). A read future dropped while its
//!    `RECV` is in the kernel leaves the operation running for the stream: the next
//!    read picks up its bytes. Bytes not yet handed out stay in the buffer and are
//!    returned first. Only dropping the stream cancels the `RECV` (`ASYNC_CANCEL`), and
//!    its buffer stays in the slot until the completion arrives (rules 2 and 3).
//! 2. **Writes** are write-behind: `poll_write` copies up to 64 KiB into the stream's
//!    send buffer, submits `IORING_OP_SEND` (`MSG_NOSIGNAL | MSG_WAITALL`: never a
//!    `SIGPIPE`, never a silent short send) and reports the bytes written at once, as a
//!    kernel socket buffer would. At most one send is in flight: the next write (or
//!    `flush`, `close`) waits for it, resubmits a remainder if the kernel still sent
//!    less, and reports its error, if any. The send is submitted without a waker
//!    (module rule 7): its completion wakes nobody unless someone waits for it. Except
//!    on a paused clock: there it wakes the writer, whose thread then enters the kernel
//!    and runs the completions queued as its task work (module batching rule 6), which
//!    the auto-advance must see before it jumps (test `time_io_no_skip`: without the
//!    wake a peer's receive could sit in that thread's task work while time jumped). A write
//!    of at least `DIRECT_MIN` (16 KiB) bytes with no send in flight is first a plain
//!    non-blocking `send` from the caller's buffers (synchronous, so no buffer ownership
//!    is at stake and no copy is made); only what the socket does not take at once
//!    (`WouldBlock`) goes write-behind.
//! 3. A dropped stream never cancels its send: the bytes were reported written. The slot
//!    keeps the buffer and the kernel keeps the socket open until the send completes.
//!    `shutdown(Write)` while a send is in flight (including the drop of an owned write
//!    half) is deferred to the send's completion, so the FIN follows the data.
//! 4. The readiness API (`readable`, `try_read`, `peek`) still works: `try_read` first
//!    returns buffered bytes (and completions a multishot receive queued), reports
//!    `WouldBlock` while a `RECV` is in flight (the data belongs to it), and otherwise
//!    makes the plain non-blocking `recv`.
//! 5. **Multishot receive** (Linux >= 6.0, when the driver has its provided-buffer pool,
//!    `bufring.rs`, which `CORIO_URING_BUFS=n` turns on): the first read arms one `IORING_OP_RECV` with
//!    `IORING_RECV_MULTISHOT` and buffer selection, which stays in the kernel and posts
//!    a completion per arrival, each in a pool buffer; reads copy out of the held
//!    buffer and give it back once drained. So a steady stream costs no submission per
//!    read and no receive buffer per connection. At most one receive is active at a
//!    time (the multishot one, or the plain one while it is not armed), and a held
//!    buffer is drained before the next completion is taken, so bytes keep their order.
//!    When the kernel ends the operation (end of file, an error, its own cancel) the
//!    next read arms it again; when the pool is empty (`ENOBUFS`) the next read is one
//!    plain `RECV` into the stream's own buffer, then multishot again (`bufring` rule 4).
//!    While armed, the multishot receive takes data off the socket even if nobody
//!    reads, up to the pool's size (n x 4 KiB) across all streams. A read copies on from
//!    completions already queued (one read per 64 KiB message, not 16).

use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use corio_core::coop;
use io_uring::{cqueue, opcode, types};
use parking_lot::Mutex;

use super::{bufring, After, Keep, MultiOp, Op, OpCell, Shared, Watch};
use crate::reactor::shutdown_error;
use crate::sys;

/// The smallest receive buffer (a tiny read still fetches a useful amount).
const MIN_READ: usize = 4 * 1024;
/// The largest single receive and send.
const MAX_IO: usize = 64 * 1024;
/// Writes of at least this many bytes first try a plain `send` from the caller's
/// buffer (rule 2): below it the copy is cheaper than a syscall of its own.
const DIRECT_MIN: usize = 16 * 1024;

/// The completion state of one stream socket (see the module rules).
pub(crate) struct UringStream {
    shared: Arc<Shared>,
    fd: RawFd,
    read: Mutex<ReadSide>,
    write: Mutex<WriteSide>,
}

#[derive(Default)]
struct ReadSide {
    /// The plain `RECV` in flight (into `buf`).
    op: Option<Op>,
    /// The cell of the last finished `RECV`, for the next one (module rule 7).
    cell: Option<Arc<OpCell>>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The multishot `RECV` (buffers from the driver's pool), while armed.
    multi: Option<MultiOp>,
    /// The pool buffer being handed out: (id, start, end) (`bufring` rule 2).
    held: Option<(u16, usize, usize)>,
    /// The pool ran out (`ENOBUFS`, `bufring` rule 4): the next receive is a plain one.
    plain_next: bool,
    /// How many times the pool ran out under this stream's receive.
    exhausted: u64,
    /// A multishot completion taken but not handled yet (an end or an error met while
    /// coalescing data): the next read handles it first.
    stash: Option<(i32, u32)>,
}

/// What a multishot receive's completion means for the reader.
enum Got {
    /// `n` bytes in pool buffer `bid`.
    Data(u16, usize),
    /// End of file.
    Eof,
    /// The pool ran out (`ENOBUFS`): no byte was taken from the socket.
    NoBufs,
    Err(io::Error),
}

#[derive(Default)]
struct WriteSide {
    op: Option<Op>,
    /// The cell of the last finished send, for the next one (module rule 7).
    cell: Option<Arc<OpCell>>,
    buf: Vec<u8>,
    sent: usize,
    len: usize,
}

/// The waker a write-behind send carries (rule 2): none on a real clock, the
/// writer's on a paused one.
fn send_waker<'a>(cx: &'a Context<'_>) -> Option<&'a Waker> {
    corio_core::context::clock()
        .filter(|c| c.is_paused())
        .map(|_| cx.waker())
}

fn op_error(res: i32) -> io::Error {
    if res == -libc::ESHUTDOWN {
        shutdown_error()
    } else {
        io::Error::from_raw_os_error(-res)
    }
}

impl UringStream {
    pub(crate) fn new(shared: Arc<Shared>, fd: RawFd) -> UringStream {
        UringStream {
            shared,
            fd,
            read: Mutex::new(ReadSide::default()),
            write: Mutex::new(WriteSide::default()),
        }
    }

    /// Reads into `out` (`len` bytes at `out`); rules 1 and 5.
    fn poll_read_raw(
        &self,
        cx: &mut Context<'_>,
        out: *mut u8,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut rs = self.read.lock();
        loop {
            if let Some(n) = self.copy_buffered(&mut rs, out, len) {
                // SAFETY: `n <= len`, so `out + n` is inside (or one past) the buffer.
                let n = n + self.coalesce(&mut rs, unsafe { out.add(n) }, len - n);
                coop.made_progress();
                return Poll::Ready(Ok(n));
            }
            if let Some(op) = rs.op.as_mut() {
                let (res, _, keep) = ready!(op.poll(cx));
                rs.cell = rs.op.take().and_then(Op::into_cell);
                rs.buf = keep.buf;
                if res <= 0 {
                    coop.made_progress();
                    return Poll::Ready(if res == 0 { Ok(0) } else { Err(op_error(res)) });
                }
                rs.start = 0;
                rs.end = res as usize;
                continue;
            }
            if len == 0 {
                return Poll::Ready(Ok(0));
            }
            if rs.multi.is_some() {
                match ready!(next_completion(&mut rs, Some(cx))) {
                    None => rs.multi = None, // ended: re-armed below
                    Some((res, flags)) => match self.got(res, flags) {
                        Got::Data(bid, n) => rs.held = Some((bid, 0, n)),
                        Got::Eof => {
                            coop.made_progress();
                            return Poll::Ready(Ok(0));
                        }
                        Got::NoBufs => {
                            rs.plain_next = true;
                            rs.exhausted += 1;
                        }
                        Got::Err(e) => {
                            coop.made_progress();
                            return Poll::Ready(Err(e));
                        }
                    },
                }
                continue;
            }
            if self.shared.bufs().is_some() && !rs.plain_next {
                let sqe = opcode::RecvMulti::new(types::Fd(self.fd), bufring::GROUP).build();
                match self.shared.submit_multi(
                    sqe,
                    After::ReturnBuffers,
                    cx.waker(),
                    Watch::recv(self.fd),
                ) {
                    Ok(m) => rs.multi = Some(m),
                    Err(e) => return Poll::Ready(Err(e)),
                }
                continue;
            }
            rs.plain_next = false;
            let size = len.clamp(MIN_READ, MAX_IO);
            if rs.buf.len() < size {
                // Zeroed once per stream and reused: the copy-out above only reads
                // bytes the kernel wrote, but this keeps memory checkers quiet too.
                rs.buf = vec![0; size];
            }
            let mut buf = std::mem::take(&mut rs.buf);
            let sqe = opcode::Recv::new(types::Fd(self.fd), buf.as_mut_ptr(), size as u32).build();
            let keep = Keep {
                buf,
                ..Keep::default()
            };
            let cell = rs.cell.take();
            match self.shared.submit_in(
                cell,
                sqe,
                keep,
                Some(cx.waker()),
                true,
                Some(Watch::recv(self.fd)),
            ) {
                Ok(op) => rs.op = Some(op),
                Err(e) => return Poll::Ready(Err(e)),
            }
            return Poll::Pending;
        }
    }

    /// Copies bytes already received (the plain buffer first: it is filled only while
    /// no multishot receive runs, then the held pool buffer) to `out`; `None` if there
    /// are none. Gives a pool buffer back once it is drained (`bufring` rule 2).
    fn copy_buffered(&self, rs: &mut ReadSide, out: *mut u8, len: usize) -> Option<usize> {
        if rs.start < rs.end {
            let n = len.min(rs.end - rs.start);
            // SAFETY: `out` is valid for `len >= n` bytes (the caller's buffer), and
            // `rs.buf[start..start + n]` was filled by the completed receive; the
            // two cannot overlap (ours is a private allocation).
            unsafe { std::ptr::copy_nonoverlapping(rs.buf.as_ptr().add(rs.start), out, n) };
            rs.start += n;
            return Some(n);
        }
        let (bid, start, end) = rs.held?;
        let pool = self
            .shared
            .bufs()
            .expect("a held buffer comes from the pool");
        let n = len.min(end - start);
        // SAFETY: we own `bid` (taken from its completion, not given back), whose
        // completion reported `end` bytes (`bufring` rule 2).
        let bytes = unsafe { pool.bytes(bid, end) };
        // SAFETY: `out` is valid for `len >= n` bytes and cannot overlap the pool.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr().add(start), out, n) };
        if start + n == end {
            rs.held = None;
            pool.give_back(bid);
        } else {
            rs.held = Some((bid, start + n, end));
        }
        Some(n)
    }

    /// After a read copied a drained pool buffer: copies on from the completions the
    /// multishot receive already queued, up to `len` more bytes at `out`, without
    /// waiting (a 64 KiB message arrives in 16 buffers: one read, not 16). Stops at the
    /// first completion that is not data (stashed for the next read). Returns the count.
    fn coalesce(&self, rs: &mut ReadSide, out: *mut u8, len: usize) -> usize {
        let mut n = 0;
        while n < len && rs.held.is_none() && rs.multi.is_some() {
            let Poll::Ready(Some((res, flags))) = next_completion(rs, None) else {
                break;
            };
            if res <= 0 {
                rs.stash = Some((res, flags));
                break;
            }
            let Got::Data(bid, got) = self.got(res, flags) else {
                unreachable!("a positive result is data");
            };
            rs.held = Some((bid, 0, got));
            // SAFETY: `n < len`, so `out + n` is inside the caller's buffer.
            n += self
                .copy_buffered(rs, unsafe { out.add(n) }, len - n)
                .unwrap_or(0);
        }
        n
    }

    /// Interprets a multishot receive's completion (`bufring` rules 3 and 4).
    fn got(&self, res: i32, flags: u32) -> Got {
        if res > 0 {
            let bid = cqueue::buffer_select(flags).expect("a receive with data names its buffer");
            return Got::Data(bid, res as usize);
        }
        // No data: a buffer it may name goes back at once.
        self.shared.give_back(flags);
        match res {
            0 => Got::Eof,
            r if r == -libc::ENOBUFS => Got::NoBufs,
            r => Got::Err(op_error(r)),
        }
    }

    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_raw(cx, buf.as_mut_ptr(), buf.len())
    }

    pub(crate) fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_raw(cx, buf.as_mut_ptr().cast(), buf.len())
    }

    /// Waits for the send in flight (resubmitting a remainder); its error, if any.
    fn poll_send_done(&self, ws: &mut WriteSide, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(op) = ws.op.as_mut() {
            let (res, _, keep) = ready!(op.poll(cx));
            ws.cell = ws.op.take().and_then(Op::into_cell);
            ws.buf = keep.buf;
            if res < 0 {
                ws.sent = 0;
                ws.len = 0;
                return Poll::Ready(Err(op_error(res)));
            }
            ws.sent += res as usize;
            if ws.sent < ws.len && res > 0 {
                self.submit_send(ws, Some(cx.waker()))?;
            } else {
                ws.sent = 0;
                ws.len = 0;
            }
        }
        Poll::Ready(Ok(()))
    }

    fn submit_send(&self, ws: &mut WriteSide, waker: Option<&Waker>) -> io::Result<()> {
        let mut buf = std::mem::take(&mut ws.buf);
        // SAFETY: `sent < len <= buf.len()`, so the pointer stays inside the buffer.
        let ptr = unsafe { buf.as_mut_ptr().add(ws.sent) };
        let sqe = opcode::Send::new(types::Fd(self.fd), ptr, (ws.len - ws.sent) as u32)
            .flags(libc::MSG_NOSIGNAL | libc::MSG_WAITALL)
            .build();
        let keep = Keep { buf, extra: None };
        match self.shared.submit_in(
            ws.cell.take(),
            sqe,
            keep,
            waker,
            false,
            Some(Watch::send(self.fd)),
        ) {
            Ok(op) => {
                ws.op = Some(op);
                Ok(())
            }
            Err(e) => {
                ws.sent = 0;
                ws.len = 0;
                Err(e)
            }
        }
    }

    /// Write-behind (rule 2): copies `bufs` (up to 64 KiB) and submits one send.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut ws = self.write.lock();
        ready!(self.poll_send_done(&mut ws, cx))?;
        let total = bufs
            .iter()
            .map(|b| b.len())
            .fold(0usize, usize::saturating_add);
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        if total >= DIRECT_MIN {
            // Rule 2: no send is in flight (waited for above), so a plain send from
            // the caller's buffers keeps the order and needs no copy.
            let res = match bufs {
                [one] => sys::send(self, one, 0),
                _ => sys::send_vectored(self, bufs),
            };
            match res {
                Ok(n) => {
                    coop.made_progress();
                    return Poll::Ready(Ok(n));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    coop.made_progress();
                    return Poll::Ready(Err(e));
                }
            }
        }
        let n = total.min(MAX_IO);
        if ws.buf.len() < n {
            ws.buf = vec![0; n.max(MIN_READ)];
        }
        let mut at = 0;
        for b in bufs {
            let take = b.len().min(n - at);
            ws.buf[at..at + take].copy_from_slice(&b[..take]);
            at += take;
            if at == n {
                break;
            }
        }
        ws.sent = 0;
        ws.len = n;
        self.submit_send(&mut ws, send_waker(cx))?;
        coop.made_progress();
        Poll::Ready(Ok(n))
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    /// Waits until every byte reported written has been sent.
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut ws = self.write.lock();
        self.poll_send_done(&mut ws, cx)
    }

    /// Buffered bytes first (a multishot receive's queued completions included);
    /// `WouldBlock` while a receive is in flight; else `None` (the caller makes the
    /// plain non-blocking `recv`). Rule 4.
    pub(crate) fn try_read_buffered(&self, out: &mut [u8]) -> Option<io::Result<usize>> {
        let mut rs = self.read.lock();
        loop {
            if let Some(n) = self.copy_buffered(&mut rs, out.as_mut_ptr(), out.len()) {
                return Some(Ok(n));
            }
            if rs.op.is_some() {
                return Some(Err(io::ErrorKind::WouldBlock.into()));
            }
            rs.multi.as_ref()?;
            match next_completion(&mut rs, None) {
                Poll::Pending => return Some(Err(io::ErrorKind::WouldBlock.into())),
                Poll::Ready(None) => {
                    rs.multi = None;
                    return None;
                }
                Poll::Ready(Some((res, flags))) => match self.got(res, flags) {
                    Got::Data(bid, n) => rs.held = Some((bid, 0, n)),
                    Got::Eof => return Some(Ok(0)),
                    Got::NoBufs => {
                        rs.plain_next = true;
                        rs.exhausted += 1;
                        return None;
                    }
                    Got::Err(e) => return Some(Err(e)),
                },
            }
        }
    }

    /// Whether a send is in flight (a direct `send` would overtake it).
    pub(crate) fn send_in_flight(&self) -> bool {
        self.write.lock().op.is_some()
    }

    /// Defers `shutdown(SHUT_WR)` to the completion of the send in flight, if any
    /// (rule 3); `false` if there is none (the caller shuts down at once).
    pub(crate) fn defer_shutdown_write(&self) -> io::Result<bool> {
        let ws = self.write.lock();
        let Some(op) = ws.op.as_ref() else {
            return Ok(false);
        };
        // SAFETY: `fcntl(F_DUPFD_CLOEXEC)` on our own open descriptor; the result, if
        // valid, is a new descriptor nobody else owns.
        let dup = unsafe { libc::fcntl(self.fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `dup` was just created and is owned by nothing else.
        let dup = unsafe { OwnedFd::from_raw_fd(dup) };
        Ok(self.shared.set_after(op, After::ShutdownWrite(dup)).is_ok())
    }
}

/// The next multishot completion: the stashed one first, then the operation's queue
/// (waiting with `cx`, or `Pending` at once without); `None` once the operation ended.
fn next_completion(rs: &mut ReadSide, cx: Option<&mut Context<'_>>) -> Poll<Option<(i32, u32)>> {
    if let Some(c) = rs.stash.take() {
        return Poll::Ready(Some(c));
    }
    match (rs.multi.as_mut(), cx) {
        (Some(m), Some(cx)) => m.poll_next(cx),
        (Some(m), None) => m.try_next(),
        (None, _) => Poll::Ready(None),
    }
}

impl Drop for UringStream {
    fn drop(&mut self) {
        // `bufring` rule 3: a half-read pool buffer goes back. (The multishot receive's
        // own drop cancels it and gives back what it queued.)
        let rs = self.read.get_mut();
        if let (Some((bid, _, _)), Some(pool)) = (rs.held.take(), self.shared.bufs()) {
            pool.give_back(bid);
        }
        if let Some((_, flags)) = rs.stash.take() {
            self.shared.give_back(flags);
        }
    }
}

impl AsRawFd for UringStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl std::fmt::Debug for UringStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringStream").field("fd", &self.fd).finish()
    }
}

// Miri does not implement the io_uring syscalls these tests set up a ring with.
#[cfg(all(test, not(miri)))]
mod tests {
    use super::*;
    use crate::uring::UringReactor;
    use corio_core::{Clock, Driver, RuntimeContext};
    use corio_test_util::block_on_driver;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    /// Reads everything `data` sent through a pair whose reader has the driver's
    /// stream state; returns the bytes and how often the pool ran out.
    fn read_all(driver: &mut UringReactor, data: Vec<u8>, chunk: usize) -> (Vec<u8>, u64) {
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let writer = std::thread::spawn(move || b.write_all(&data).unwrap());
        let stream = UringStream::new(driver.shared.clone(), a.as_raw_fd());
        let cx = RuntimeContext::new(Clock::new());
        let all = block_on_driver(driver, &cx, async {
            let mut all = Vec::new();
            let mut buf = vec![0u8; chunk];
            loop {
                let n = std::future::poll_fn(|cx| stream.poll_read(cx, &mut buf))
                    .await
                    .unwrap();
                if n == 0 {
                    return all;
                }
                all.extend_from_slice(&buf[..n]);
            }
        });
        writer.join().unwrap();
        let exhausted = stream.read.lock().exhausted;
        drop(stream);
        drop(a);
        (all, exhausted)
    }

    /// A waker that counts its wakes.
    struct Count(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Rule 2 and module rule 7: a write-behind send's completion wakes nobody (the
    /// writer was told at once that its bytes are written); a flush that then waits
    /// for it still gets them to the peer.
    #[test]
    fn a_write_behind_send_wakes_nobody() {
        let Ok(mut driver) = UringReactor::with_buffers(None) else {
            return; // no io_uring here
        };
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let stream = UringStream::new(driver.shared.clone(), a.as_raw_fd());
        let count = Arc::new(Count(Default::default()));
        let waker = std::task::Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let msg = [7u8; 100];
        match stream.poll_write(&mut cx, &msg) {
            Poll::Ready(Ok(100)) => {}
            other => panic!("write-behind reports the bytes written at once: {other:?}"),
        }
        assert!(stream.send_in_flight());
        // Drive the driver until the send has completed (its slot is freed).
        for _ in 0..1000 {
            if driver.shared.registered() == 0 {
                break;
            }
            driver.park(Some(std::time::Duration::from_millis(1)));
        }
        assert_eq!(driver.shared.registered(), 0, "the send never completed");
        assert_eq!(
            count.0.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "the send's completion woke the writer"
        );
        assert!(matches!(stream.poll_flush(&mut cx), Poll::Ready(Ok(()))));
        let mut got = [0u8; 100];
        std::io::Read::read_exact(&mut b, &mut got).unwrap();
        assert_eq!(got, msg);
        drop(stream);
    }

    /// Rule 2: a large write with no send in flight is a plain `send` from the
    /// caller's buffer: nothing is left in flight (no copy went write-behind) and the
    /// bytes are at the peer before the driver runs.
    #[test]
    fn a_large_write_is_sent_from_the_callers_buffer() {
        let Ok(driver) = UringReactor::with_buffers(None) else {
            return; // no io_uring here
        };
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let stream = UringStream::new(driver.shared.clone(), a.as_raw_fd());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let msg: Vec<u8> = (0..DIRECT_MIN as u32).map(|i| i as u8).collect();
        let n = match stream.poll_write(&mut cx, &msg) {
            Poll::Ready(Ok(n)) => n,
            other => panic!("the write is done at once: {other:?}"),
        };
        assert!(n > 0);
        assert!(!stream.send_in_flight(), "the write went write-behind");
        assert_eq!(driver.shared.registered(), 0);
        let mut got = vec![0u8; n];
        std::io::Read::read_exact(&mut b, &mut got).unwrap();
        assert!(got == msg[..n]);
        drop(stream);
    }

    /// Module rule 7: a stream's next receive reuses the cell of its last one (no
    /// allocation per read).
    #[test]
    fn a_streams_next_receive_reuses_its_cell() {
        let Ok(mut driver) = UringReactor::with_buffers(None) else {
            return; // no io_uring here
        };
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let stream = UringStream::new(driver.shared.clone(), a.as_raw_fd());
        b.write_all(b"hello").unwrap();
        let cx = RuntimeContext::new(Clock::new());
        let mut buf = [0u8; 16];
        let read = std::future::poll_fn(|cx| stream.poll_read(cx, &mut buf));
        let n = block_on_driver(&mut driver, &cx, read).unwrap();
        assert_eq!(&buf[..n], b"hello");
        let first = Arc::as_ptr(
            stream
                .read
                .lock()
                .cell
                .as_ref()
                .expect("the finished receive's cell is kept"),
        );
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(stream.poll_read(&mut cx, &mut buf).is_pending());
        let rs = stream.read.lock();
        let op = rs.op.as_ref().expect("a receive in flight");
        assert!(
            std::ptr::eq(Arc::as_ptr(&op.cell), first),
            "the next receive allocated a new cell"
        );
        drop(rs);
        drop(stream);
    }

    /// `bufring` rule 4: a pool of 2 buffers runs out under a 1 MB stream read 1 000
    /// bytes at a time; every byte still arrives once, in order, and the pool is whole
    /// afterwards (a second stream reads through it again).
    #[test]
    fn an_exhausted_buffer_pool_loses_no_byte() {
        let Ok(mut driver) = UringReactor::with_buffers(Some(2)) else {
            return; // no io_uring here
        };
        if driver.shared.bufs().is_none() {
            return; // no multishot receive (Linux < 6.0): the plain path is tested elsewhere
        }
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let (got, exhausted) = read_all(&mut driver, data.clone(), 1000);
        assert!(
            got == data,
            "{} of {} bytes, or out of order",
            got.len(),
            data.len()
        );
        assert!(exhausted > 0, "the pool of 2 never ran out");
        let (got, _) = read_all(&mut driver, data[..10_000].to_vec(), 64 * 1024);
        assert!(got == data[..10_000]);
    }
}

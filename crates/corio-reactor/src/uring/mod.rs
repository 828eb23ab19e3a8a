//! The io_uring driver: a [`Driver`] that submits and completes I/O through one io_uring
//! instance, the alternative to the epoll [`Reactor`](crate::Reactor) behind the same
//! seam (`Runtime::builder().io_uring()` or `CORIO_IO=uring`).
//!
//! # How it plugs in
//! [`UringReactor::handle`] is an ordinary [`ReactorHandle`]: sockets, pipes, signals and
//! child processes find it in the runtime context exactly as they find the epoll
//! reactor, so their public types do not change. Two kinds of work go through the ring:
//! - **Readiness** (every [`Async`](crate::Async) registration: UDP, Unix datagrams,
//!   listeners, pipes, signal and pid fds): a registration is armed lazily, the first
//!   time a task waits on it, with one multishot `IORING_OP_POLL_ADD`; each completion
//!   sets the readiness bits of its `ScheduledIo` exactly as an epoll event does, so the
//!   readiness rules of `scheduled_io` hold unchanged.
//! - **Completion I/O** (TCP and Unix stream reads and writes, `stream.rs`): the
//!   operation itself (`IORING_OP_RECV`, `IORING_OP_SEND`) is submitted with a buffer the
//!   driver owns until the completion arrives. TCP listeners accept with one multishot
//!   `IORING_OP_ACCEPT` (`accept.rs`).
//!
//! # Batching
//! Submissions are pushed to the shared submission queue under the driver's lock; who
//! hands them to the kernel (`io_uring_enter`) follows these rules:
//! 1. While the driver runs (no thread inside its `park`), nobody submits: the next
//!    `park` submits everything queued since the last one with the same
//!    `io_uring_enter` that waits for completions. A `park(Some(0))` with nothing
//!    queued and no task work pending (rule 6) makes no syscall at all (completions
//!    are read from the shared ring). The
//!    driver sets `parked` and a pusher reads it, each after a `SeqCst` fence that
//!    follows its own write (the push's tail store, the flag): either the pusher sees
//!    `parked`, or that `park`'s enter sees the entry. So an entry is never left behind
//!    by a driver that went to sleep without it.
//! 2. A push made while the driver sleeps is submitted by the pusher, at once or at its
//!    next flush. A thread *flushes* a driver when it calls [`Unpark::flush`] on it: the
//!    multi-thread executor's workers do at the end of every batch (`event_interval`
//!    ticks) and whenever they run out of work, before they spin or park (executor rule
//!    5). Such a thread's pushes that find the driver asleep are deferred (the
//!    thread-local `FLUSHER` records the driver and that something is owed) and its
//!    next flush submits them all with one enter, if the driver still sleeps and the
//!    queue is not empty (else rule 1 or an earlier submit already took them). Every
//!    other thread (`block_on`, blocking-pool and foreign threads, a worker of another
//!    runtime) submits at once: nothing promises it will flush.
//! 3. A deferred entry is therefore submitted by the end of its worker's current batch
//!    of task polls at the latest — or earlier, by any enter of any thread. The wake of
//!    the sleeping driver is then the completion itself (never lost: the kernel posts
//!    it to the ring the driver waits on). The cost of rule 2: a task that blocks its
//!    worker thread also holds back the operations queued by the tasks before it in
//!    the same batch (as it holds back the tasks queued behind it).
//! 4. Deregistering a descriptor (just before it is closed) submits whatever is queued:
//!    entries name descriptors by number, resolved at submission, so none may outlive
//!    its descriptor's number in the queue.
//! 5. A full submission queue is flushed with a plain submit (reaping completions first
//!    if the kernel answers `EBUSY`).
//! 6. The ring runs task work cooperatively (`IORING_SETUP_COOP_TASKRUN` and
//!    `TASKRUN_FLAG`, Linux >= 5.19; without them on older kernels): the kernel finishes
//!    an operation (posts its completion) as task work of the thread that submitted it,
//!    and no longer interrupts that thread for it with an IPI and the process-wide
//!    signal path (the 6 % of a 64 x 1 KiB echo profile spent on `get_signal`'s lock);
//!    the work runs at the thread's next kernel entry: its next `io_uring_enter`, any
//!    syscall, interrupt or preemption, and a thread asleep (on a condition variable, in
//!    `io_uring_enter`) is still woken for it. So a completion waits at most until its
//!    submitter next enters the kernel, which a worker does at least at its next flush
//!    or park or timer tick; `park(Some(0))` enters when the ring flags pending task work.
//! 7. Submissions that do not wait (`park(Some(0))`, a flush, a non-worker's push) go
//!    through `submit_now`, which one thread at a time runs: a thread that finds another
//!    inside it returns at once, and that one, after its `io_uring_enter`, submits again
//!    whatever was pushed meanwhile (up to `COMBINE_ROUNDS` times, then once more
//!    unconditionally, so its own caller is not held for long). The kernel runs many
//!    operations inline at submission (an open, a cached read) under the ring's own
//!    lock, and a second thread entering meanwhile used to spin on that lock
//!    (`mutex_spin_on_owner`, 12 % of the fs read bench's CPU) instead of running
//!    tasks. Its entries are never left behind: it pushed them (under the state lock)
//!    before it found the flag set, and the holder clears the flag before it checks the
//!    queue under that lock. The waiting enters of `park`, the full-queue submits of
//!    rule 5 and the deregistering submit of rule 4 enter directly, as they must.
//!
//! Why not one ring per worker: the executor's idle workers sleep on a condition
//! variable, not on a ring, and a task moves between workers when it is stolen, so a
//! per-worker ring needs every worker to sleep in its own ring and completions of one
//! ring to reach a task running on another; one shared ring with per-worker batching
//! gets the syscall saving without that, at the price of the queue lock shared by all
//! workers (the limit on many cores).
//!
//! # Sharing the ring's queues
//! 1. The submission and completion queues are read and written only under the state
//!    lock: pushes (`push_locked`), reaps (`reap_locked`) and the length checks
//!    (`sq_len`, `cq_len`). `io_uring_enter` itself needs no lock (the kernel reads the
//!    shared tail and head).
//! 2. A queue handle of the `io-uring` crate stores its cached tail (submission) or head
//!    (completion) back into the ring when it is dropped, so no handle may outlive the
//!    lock: each lives inside one of those functions, never as a temporary of an
//!    expression that ends after the guard. (In Rust 2021 a temporary in a block's tail
//!    expression is dropped after the block's locals: the queue check
//!    `{ let _g = lock(); !sq().is_empty() }` of `park(Some(0))` and of the flush stored
//!    a stale tail after the unlock, over entries other threads had pushed meanwhile.
//!    Those entries were lost (the io_uring echo server stalled with a `SEND` the
//!    kernel never saw), or, with the tail rewound behind the kernel's head, old
//!    entries, whose buffers may already be back with their owners, were submitted
//!    again. Test `entries_pushed_during_a_queue_check_are_never_lost`.)
//!
//! # Buffer ownership under cancellation (the rules)
//! 1. Memory the kernel may write to or read from is owned by the driver's operation slot
//!    from the moment its submission entry is pushed until its (last) completion has
//!    been reaped. The submitter moves the buffer (a `Vec<u8>` or another owned value,
//!    see [`Keep`]) into the slot; it gets it back only with the completion.
//! 2. The handle an owner holds ([`Op`]) is a key and the operation's cell (rule 7).
//!    Dropping it before the completion turns the operation into an orphan (its cell
//!    says so): the buffer stays in the slot, and for operations marked cancellable an
//!    `IORING_OP_ASYNC_CANCEL` for the key is submitted. Writes are not cancelled (their
//!    data was already reported written) and complete on their own.
//! 3. A completion for an orphan is absorbed: the driver runs the slot's follow-up action
//!    if any (`After::ShutdownWrite`, the deferred `shutdown(SHUT_WR)` of a stream whose
//!    write was still in flight when it was dropped) and only then frees the buffer.
//! 4. Slots are keyed by `generation << 32 | index` and a slot is reused only after its
//!    last completion, with its generation bumped; cancel and poll-remove requests carry
//!    a key no slot has (`IGNORE`). So a completion can never reach the wrong owner.
//! 5. A completion with `-ECANCELED` that nobody asked for (the kernel cancels a thread's
//!    requests when that thread exits, and any thread may submit) is resubmitted
//!    unchanged; the owner never sees it. Except for a member of a linked chain
//!    ([`Shared::submit_chain`]): alone, a resubmitted entry would link to whatever is
//!    pushed next, so its owner gets the `-ECANCELED` (and `fs.rs` decides).
//! 6. Dropping the driver cancels everything in flight and reaps until the kernel has
//!    completed it (bounded); waiting owners are woken with an error. A buffer whose
//!    completion never arrived by then is leaked, never freed: the worst case is a leak,
//!    never a kernel write into freed memory. The provided-buffer pool (`bufring.rs`)
//!    is freed only if nothing at all was left in the kernel, after unregistering it.
//! 7. A one-shot operation's completion reaches its owner through the operation's cell
//!    ([`OpCell`], shared by the slot and the [`Op`]), not through the slot: the reaper,
//!    under the state lock it holds for the whole batch of completions, moves the
//!    result and the slot's buffers into the cell and frees the slot at once; the owner
//!    polls the cell without taking the lock. The cell's state leaves "waiting" exactly
//!    once, by a compare-exchange: to "done" by the reaper, to "orphan" by the owner's
//!    drop, or to "shutdown" by the driver's drop; the winner decides who owns the
//!    buffers (the owner after "done"; the slot, hence the reaper, after "orphan"; the
//!    slot, leaked, after "shutdown"), so they are freed once, and never before the
//!    completion. An operation thus takes the state lock once (its submission) plus its
//!    share of a reap, and an operation submitted without a waker
//!    ([`Shared::submit_in`]) wakes nobody when it completes. A stream reuses the cell
//!    of its finished operation for the next ([`Op::into_cell`]: only once the slot has
//!    let go of it and the completion was taken), so a read or send allocates nothing.
//!
//! # Paused clock: completions the kernel already owes
//! Batching rule 6 makes a completion task work of the thread that submitted the
//! operation, so a `RECV` whose data has arrived (loopback delivers inside the sender's
//! `send`) may wait, invisible, until another worker next enters the kernel. A paused
//! clock's auto-advance must not jump over it (corio-core driver rule 4): the timer
//! driver calls [`Driver::park_owed`] right before a jump, and this driver answers so:
//! 1. A zero `park` first: it submits, runs this thread's own task work, reaps. If it
//!    saw nothing, entries still queued, or another thread inside `submit_now` (whose
//!    entries the zero park's `submit_now` left to it, batching rule 7), count as owed.
//! 2. Then `poll(2)`, timeout 0, the descriptors of the socket operations in flight
//!    whose owner still waits: `RECV` and multishot receive for `POLLIN | POLLRDHUP`,
//!    `SEND` for `POLLOUT`, multishot `ACCEPT` for `POLLIN` (the [`Watch`] stored in
//!    the slot at submission; file operations have none). A ready descriptor means the
//!    kernel owes that operation's completion: its internal poll has fired or will
//!    (errors and hang-ups complete it too). An armed readiness registration is polled
//!    for its multishot poll's events and owes a completion when the descriptor shows
//!    readiness its `ScheduledIo` does not have yet (a task clears a bit only after
//!    `EAGAIN`, so readiness since then is a wake-up the kernel has posted or will).
//!    Orphans are left out: their descriptor may be closed and its number reused.
//! 3. *After* the `poll`, the ring itself is read: `IORING_SQ_TASKRUN` set (some
//!    thread's task work is queued or running: the kernel sets it when it queues the
//!    work, in the waker's syscall, and clears it right before that work posts its
//!    completions) or a completion waiting counts as owed. The order matters: task
//!    work that consumed a receive's data before the `poll` (so the socket no longer
//!    looks ready) is then seen still flagged or already posted; rules 1-2 alone
//!    missed it (2 runs in 600 of the loopback echo under load).
//! 4. If anything is owed, wait in `io_uring_enter` for a completion up to `OWED_WAIT`
//!    (1 ms of real time) and report `true` whether or not it came, so the timer driver
//!    goes round (and asks again) instead of jumping: a real-time loop, never a spin.
//! 5. It never hangs: if completions keep looking owed and none arrives for
//!    `OWED_PATIENCE` (1 s of real time; a wrong guess), it reports `false`, and keeps
//!    doing so at once until a completion arrives or nothing looks owed, so the clock
//!    jumps as it did before.
//!
//! The real-time `park(Some(0))` path is unchanged: only the paused clock pays the scan.
//!
//! # Waiting under valgrind
//! valgrind runs one thread at a time and treats `io_uring_enter` as a call that does not
//! block, so a driver asleep in it stops every other thread of a multi-thread runtime.
//! `CORIO_URING_WAIT=poll` makes `park` submit with one `io_uring_enter` and sleep in
//! `poll(2)` on the ring's descriptor instead (two syscalls per sleep instead of one);
//! everything else, buffer handling included, is the same code. CI's valgrind step uses it.
//!
//! # Multishot receive (opt-in)
//! `CORIO_URING_BUFS=n` (a power of two) gives the driver a pool of `n` provided 4 KiB
//! buffers (`bufring.rs`) and stream reads become one multishot `IORING_OP_RECV` per
//! stream (`stream.rs` rule 5). Off by default: with 4 KiB buffers a 64 KiB message
//! takes 16 completions, and plain 64 KiB receives measured faster (docs/benchmarks.md).
//! On a kernel before 6.0 (or `CORIO_URING_REFUSE=bufring`) the pool is not set up
//! and reads stay plain receives.
//!
//! # Refusal and fallback
//! [`UringReactor::new`] fails when `io_uring_setup` fails (no kernel support,
//! `kernel.io_uring_disabled`, a seccomp filter) or when the ring lacks an opcode corio
//! needs (probed with `IORING_REGISTER_PROBE`). The facade then falls back to epoll with
//! a one-line notice. `CORIO_URING_REFUSE=setup` or `=probe` simulates either refusal
//! (for tests of the fallback).

pub(crate) mod accept;
pub(crate) mod bufring;
pub(crate) mod fs;
pub(crate) mod stream;

use std::cell::{Cell, UnsafeCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio_core::{AtomicWaker, Driver, Unpark, Unparker};
use io_uring::{cqueue, opcode, squeue, types, IoUring, Probe};
use parking_lot::Mutex;

use crate::reactor::scheduled_io::{
    ScheduledIo, ERROR, READABLE, READ_CLOSED, SHUTDOWN, WRITABLE, WRITE_CLOSED,
};
use crate::reactor::{shutdown_error, ReactorHandle};
use crate::sys;
use bufring::BufRing;

/// The user data of requests whose completions are ignored (cancel, poll-remove).
const IGNORE: u64 = u64::MAX;
/// The user data of the read on the unpark eventfd.
const UNPARK: u64 = u64::MAX - 1;

/// Submission queue entries (the completion queue gets twice as many).
const ENTRIES: u32 = 1024;

/// The opcodes the driver needs (checked with the kernel's probe at start-up).
const REQUIRED_OPS: &[(u8, &str)] = &[
    (opcode::PollAdd::CODE, "POLL_ADD"),
    (opcode::PollRemove::CODE, "POLL_REMOVE"),
    (opcode::AsyncCancel::CODE, "ASYNC_CANCEL"),
    (opcode::Read::CODE, "READ"),
    (opcode::Recv::CODE, "RECV"),
    (opcode::Send::CODE, "SEND"),
    (opcode::AcceptMulti::CODE, "ACCEPT"),
];

/// The io_uring driver (see the module docs): the innermost [`Driver`] of a corio
/// runtime built with `io_uring()`.
///
/// # Examples
///
/// ```
/// use corio_core::Driver;
/// use corio_reactor::UringReactor;
/// use std::time::Duration;
///
/// let Ok(mut driver) = UringReactor::new() else {
///     return; // no io_uring here: corio would fall back to epoll
/// };
/// assert_eq!(driver.handle().driver_name(), "io_uring");
/// assert!(!driver.park(Some(Duration::from_millis(1))));
/// driver.unparker().unpark();
/// assert!(driver.park(None));
/// ```
pub struct UringReactor {
    shared: Arc<Shared>,
    wake: Vec<Waker>,
    /// The descriptors `park_owed` polls, and for each the readiness already delivered
    /// (reused buffers, "Paused clock" rule 2).
    owed: Vec<libc::pollfd>,
    known: Vec<usize>,
    /// Since when `park_owed` has reported completions owed without reaping one
    /// ("Paused clock" rule 5).
    owed_since: Option<std::time::Instant>,
    /// Wait with `poll(2)` on the ring's descriptor instead of in `io_uring_enter`
    /// (`CORIO_URING_WAIT=poll`; see "Waiting under valgrind").
    poll_wait: bool,
}

/// The state shared by the driver, its handles and every I/O object on it.
pub(crate) struct Shared {
    ring: IoUring,
    state: Mutex<State>,
    /// The driver thread is (about to be) blocked in `io_uring_enter`.
    parked: AtomicBool,
    /// An unpark is pending (the eventfd was written and not yet read back).
    notified: AtomicBool,
    shutdown: AtomicBool,
    registered: AtomicUsize,
    eventfd: OwnedFd,
    /// This driver's identity for `FLUSHER` (batching rule 2).
    id: u64,
    /// The provided-buffer pool of multishot receives (`None`: the kernel lacks them,
    /// and streams receive into their own buffers).
    bufs: Option<BufRing>,
    /// The driver's drop saw nothing left in the kernel: the pool may be freed (rule 6).
    quiesced: AtomicBool,
    /// The direct-descriptor table of file chains (`fs.rs`), set up by the first one.
    files: OnceLock<Arc<fs::FileTable>>,
    /// A thread is inside `submit_now`'s `io_uring_enter` (batching rule 7).
    submitting: AtomicBool,
}

/// The most submissions one `submit_now` makes for other threads (batching rule 7).
const COMBINE_ROUNDS: usize = 4;

struct State {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// The eventfd read's 8-byte buffer (owned here, rule 1).
    unpark_buf: Box<u64>,
    unpark_armed: bool,
}

struct Slot {
    generation: u32,
    entry: Entry,
}

enum Entry {
    Vacant,
    /// A readiness registration (multishot poll while `armed`).
    Reg {
        io: Arc<ScheduledIo>,
        fd: RawFd,
        armed: bool,
        /// Deregistered; the slot is freed by the poll's last completion.
        gone: bool,
    },
    /// A one-shot operation.
    Op {
        state: OpState,
        sqe: squeue::Entry,
        keep: Keep,
        after: After,
        /// A member of a linked chain ([`Shared::submit_chain`]): never resubmitted
        /// alone (rule 5's exception).
        linked: bool,
        /// The socket and the `poll(2)` events that make its completion certain
        /// ("Paused clock" rule 2); `None` for operations that are not socket I/O.
        watch: Option<Watch>,
    },
}

enum OpState {
    /// A one-shot operation in flight; its completion goes to the owner's cell (rule 7),
    /// or is absorbed if the cell says the owner is gone (rules 2-3).
    Owned(Arc<OpCell>),
    /// The owner of a multishot operation is gone (rule 2); `cancelled` says whether we
    /// asked the kernel to stop.
    Orphan { cancelled: bool },
    /// A multishot operation (accept, receive): completions (result, flags) queue up
    /// until the owner takes them; `ended` once the kernel posted the last one (no
    /// `IORING_CQE_F_MORE`).
    Multi {
        queue: VecDeque<(i32, u32)>,
        waker: Option<Waker>,
        ended: bool,
    },
}

/// What an operation's slot keeps alive until its completion (rule 1).
#[derive(Default)]
pub(crate) struct Keep {
    /// The data buffer the kernel reads or writes.
    pub(crate) buf: Vec<u8>,
    /// Anything else the operation points to or names (file operations, `fs.rs`: a
    /// path, a `statx` buffer, the file whose descriptor the entry names).
    pub(crate) extra: Option<Box<dyn std::any::Any + Send>>,
}

/// A socket operation's descriptor and the `poll(2)` events under which its completion
/// is certain to come ("Paused clock" rule 2).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Watch {
    fd: RawFd,
    events: i16,
}

impl Watch {
    /// A receive on `fd`: data, end of stream or an error completes it.
    pub(crate) fn recv(fd: RawFd) -> Watch {
        Watch {
            fd,
            events: libc::POLLIN | libc::POLLRDHUP,
        }
    }

    /// A send on `fd`: room in the socket's buffer (or an error) lets it progress.
    pub(crate) fn send(fd: RawFd) -> Watch {
        Watch {
            fd,
            events: libc::POLLOUT,
        }
    }

    /// An accept on the listener `fd`: a queued connection completes it.
    pub(crate) fn accept(fd: RawFd) -> Watch {
        Watch {
            fd,
            events: libc::POLLIN,
        }
    }
}

/// What the driver does when an orphan's completion arrives (rule 3).
pub(crate) enum After {
    Nothing,
    /// Each non-negative result is a descriptor (multishot accept): an orphan closes it.
    CloseResults,
    /// Each completion may name a provided buffer (multishot receive): an orphan's is
    /// given back to the pool (`bufring` rule 3).
    ReturnBuffers,
    /// `shutdown(SHUT_WR)` on this duplicate of the stream's descriptor.
    ShutdownWrite(OwnedFd),
}

/// An owner's key to a multishot operation (dropping it cancels the operation and
/// closes what it queued, rules 2 and 3).
pub(crate) struct MultiOp {
    shared: Arc<Shared>,
    key: u64,
}

/// An owner's key to an operation in flight (rule 2: dropping it orphans the slot) and
/// the cell its completion arrives in (rule 7).
pub(crate) struct Op {
    shared: Arc<Shared>,
    key: u64,
    cancel_on_drop: bool,
    cell: Arc<OpCell>,
}

/// `OpCell::state`: the operation is in the kernel and its owner holds the `Op`.
const CELL_WAITING: u8 = 0;
/// `OpCell::state`: the completion was reaped; `out` holds it (the result, flags and
/// the buffers back) and belongs to the owner. Final.
const CELL_DONE: u8 = 1;
/// `OpCell::state`: the owner dropped its `Op` first; the reaper absorbs the completion
/// (rules 2-3) and `out` is never read. Final.
const CELL_ORPHAN: u8 = 2;
/// `OpCell::state`: the driver shut down with the operation still in the kernel; the
/// buffers stay in the slot (rule 6) and the owner gets `ESHUTDOWN`. Final.
const CELL_SHUTDOWN: u8 = 3;

/// Where a one-shot operation's completion meets its owner without the driver's lock
/// (rule 7). `state` leaves `CELL_WAITING` exactly once, by a compare-exchange: to
/// `CELL_DONE` by the reaper, to `CELL_ORPHAN` by the owner's drop, or to
/// `CELL_SHUTDOWN` by the driver's drop; whoever wins decides who owns `out`.
pub(crate) struct OpCell {
    state: AtomicU8,
    waker: AtomicWaker,
    /// Written by the reaper only while `state` is `CELL_WAITING` (before its
    /// compare-exchange to `CELL_DONE`, which publishes it with `Release`); read and
    /// taken by the owner only after it saw `CELL_DONE` (`Acquire`).
    out: UnsafeCell<(i32, u32, Keep)>,
}

// SAFETY: `out` is accessed by one side at a time, as `state` hands it over (the
// reaper before the `CELL_DONE` exchange, the owner after it, or whoever drops the
// last `Arc`); `Keep` is `Send`.
unsafe impl Send for OpCell {}
// SAFETY: as for `Send`.
unsafe impl Sync for OpCell {}

impl OpCell {
    fn new(waker: Option<&Waker>) -> Arc<OpCell> {
        let cell = Arc::new(OpCell {
            state: AtomicU8::new(CELL_WAITING),
            waker: AtomicWaker::new(),
            out: UnsafeCell::new((0, 0, Keep::default())),
        });
        if let Some(w) = waker {
            cell.waker.register(w);
        }
        cell
    }

    fn is_orphan(&self) -> bool {
        self.state.load(Ordering::Acquire) == CELL_ORPHAN
    }

    /// The reaper's side (under the state lock): hands the completion and `keep` to the
    /// owner and queues its waker, unless the owner is gone (then `keep` is dropped
    /// with the cell; the completion has arrived, so that is safe, rule 1).
    /// Returns `false` if the owner had orphaned the operation (the caller disposes of
    /// the result, rule 3).
    fn complete(&self, res: i32, flags: u32, keep: Keep, wake: &mut Vec<Waker>) -> bool {
        // SAFETY: the state is (or was, just before an owner's orphaning) WAITING: the
        // owner does not touch `out` before seeing DONE, and only the reaper, under
        // the state lock, completes an operation.
        unsafe { *self.out.get() = (res, flags, keep) };
        if self
            .state
            .compare_exchange(CELL_WAITING, CELL_DONE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            if let Some(w) = self.waker.take() {
                wake.push(w);
            }
            true
        } else {
            false
        }
    }
}

impl UringReactor {
    /// Sets up an io_uring instance (1024 entries), probes the opcodes corio needs and
    /// arms the unpark eventfd.
    ///
    /// # Errors
    /// The OS error of `io_uring_setup` (`ENOSYS`, `EPERM` when disabled by sysctl or
    /// seccomp, `ENOMEM`), or `Unsupported` naming the first missing opcode.
    pub fn new() -> io::Result<UringReactor> {
        UringReactor::with_buffers(BufRing::configured_count()?)
    }

    /// As [`new`](Self::new) with a provided-buffer pool of `count` buffers (a power
    /// of two; `None`: no pool, plain receives).
    pub(crate) fn with_buffers(count: Option<u16>) -> io::Result<UringReactor> {
        let refuse = std::env::var("CORIO_URING_REFUSE").unwrap_or_default();
        if refuse == "setup" {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "io_uring_setup refused (simulated by CORIO_URING_REFUSE=setup)",
            ));
        }
        // Cooperative task running (Linux >= 5.19): a completion's task work no longer
        // interrupts its submitter with an IPI and the process-wide signal path; it runs
        // at that thread's next kernel entry (a sleeping thread is still woken). Older
        // kernels refuse the flags: the ring is set up without them.
        let ring = IoUring::builder()
            .setup_cqsize(ENTRIES * 4)
            .setup_coop_taskrun()
            .setup_taskrun_flag()
            .build(ENTRIES)
            .or_else(|_| IoUring::builder().setup_cqsize(ENTRIES * 4).build(ENTRIES))?;
        let mut probe = Probe::new();
        ring.submitter().register_probe(&mut probe)?;
        for &(code, name) in REQUIRED_OPS {
            if !probe.is_supported(code) || (refuse == "probe" && name == "RECV") {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("io_uring lacks the IORING_OP_{name} operation"),
                ));
            }
        }
        if !ring.params().is_feature_ext_arg() || !ring.params().is_feature_nodrop() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "io_uring lacks IORING_FEAT_EXT_ARG or IORING_FEAT_NODROP (Linux >= 5.11 needed)",
            ));
        }
        let bufs = match count {
            Some(count) if refuse != "bufring" && kernel_at_least(6, 0) => {
                // A refusal (an older kernel, no memory) only costs the optimisation.
                BufRing::new(&ring, count).ok()
            }
            _ => None,
        };
        let shared = Arc::new(Shared {
            ring,
            state: Mutex::new(State {
                slots: Vec::new(),
                free: Vec::new(),
                unpark_buf: Box::new(0),
                unpark_armed: false,
            }),
            parked: AtomicBool::new(false),
            notified: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            registered: AtomicUsize::new(0),
            eventfd: sys::eventfd()?,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            bufs,
            quiesced: AtomicBool::new(false),
            files: OnceLock::new(),
            submitting: AtomicBool::new(false),
        });
        {
            let mut st = shared.state.lock();
            shared.arm_unpark(&mut st)?;
        }
        Ok(UringReactor {
            shared,
            wake: Vec::new(),
            owed: Vec::new(),
            known: Vec::new(),
            owed_since: None,
            poll_wait: std::env::var_os("CORIO_URING_WAIT").is_some_and(|v| v == "poll"),
        })
    }

    /// The handle I/O objects register with (install it with `with_reactor`).
    pub fn handle(&self) -> ReactorHandle {
        ReactorHandle::from_uring(self.shared.clone())
    }

    /// Reaps every completion in the ring and wakes their owners; returns how many.
    fn reap(&mut self) -> usize {
        let n = {
            let mut st = self.shared.state.lock();
            self.shared.reap_locked(&mut st, &mut self.wake)
        };
        for w in self.wake.drain(..) {
            w.wake();
        }
        n
    }
}

impl UringReactor {
    /// Whether a descriptor of an in-flight socket operation or an armed registration
    /// shows readiness whose completion has not been delivered ("Paused clock" rule 2).
    fn scan_owed(&mut self) -> bool {
        self.shared.collect_watched(&mut self.owed, &mut self.known);
        if self.owed.is_empty() {
            return false;
        }
        let nfds = self.owed.len() as libc::nfds_t;
        // SAFETY: `owed` holds `nfds` initialized `pollfd`s for the duration of the call.
        let ready = unsafe { libc::poll(self.owed.as_mut_ptr(), nfds, 0) };
        ready > 0
            && self
                .owed
                .iter()
                .zip(&self.known)
                .any(|(p, &known)| poll_readiness(p.revents as u16 as u32) & !known != 0)
    }
}

impl Driver for UringReactor {
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        let sh = &*self.shared;
        let res = if timeout == Some(Duration::ZERO) {
            // A poll: submit what is queued (if anything) and read the ring.
            if sh.must_enter(&sh.state.lock()) {
                sh.submit_now()
            } else {
                Ok(0)
            }
        } else {
            sh.parked.store(true, Ordering::SeqCst);
            // Pairs with the fence in `Shared::after_push`: either that pusher sees
            // `parked` and submits itself, or this enter sees its entry.
            fence(Ordering::SeqCst);
            let res = match timeout {
                _ if self.poll_wait => sh.submit_then_poll(timeout),
                None => sh.ring.submitter().submit_and_wait(1),
                Some(d) => {
                    let ts = types::Timespec::from(d);
                    let args = types::SubmitArgs::new().timespec(&ts);
                    sh.ring.submitter().submit_with_args(1, &args)
                }
            };
            sh.parked.store(false, Ordering::SeqCst);
            res
        };
        match &res {
            Ok(_) => {}
            Err(e) => match e.raw_os_error() {
                // Timed out, interrupted by a signal, or a completion backlog to reap.
                Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY) | Some(libc::EAGAIN) => {}
                _ => panic!("io_uring_enter failed: {e}"),
            },
        }
        let interrupted = matches!(&res, Err(e) if e.raw_os_error() == Some(libc::EINTR));
        self.reap() > 0 || interrupted
    }

    /// "Paused clock" rules 1-5: a zero park, then, if it saw nothing, pending
    /// submissions, a `poll(2)` of the in-flight socket operations' descriptors and the
    /// ring's task-work flag; anything owed is waited for up to `OWED_WAIT`.
    fn park_owed(&mut self) -> bool {
        if self.park(Some(Duration::ZERO)) {
            self.owed_since = None;
            return true;
        }
        // Rule 3's order: the ring's flags and completion queue are read after the
        // scan, so a completion whose task work consumed the data before the `poll`
        // is seen still running (`IORING_SQ_TASKRUN`) or already posted.
        let owed = self.shared.submission_pending()
            || self.scan_owed()
            || self.shared.completion_pending();
        if !owed {
            self.owed_since = None;
            return false;
        }
        let since = *self.owed_since.get_or_insert_with(std::time::Instant::now);
        if since.elapsed() > OWED_PATIENCE {
            // Rule 5: a guess that stays wrong must not stop virtual time, nor slow every
            // jump: given up until a completion arrives or the scan comes back clean.
            return false;
        }
        if self.park(Some(OWED_WAIT)) {
            self.owed_since = None;
        }
        true
    }

    fn unparker(&self) -> Unparker {
        Unparker::new(self.shared.clone())
    }
}

/// How long one `park_owed` waits for an owed completion ("Paused clock" rule 4).
const OWED_WAIT: Duration = Duration::from_millis(1);
/// How long `park_owed` keeps reporting completions owed while none arrives
/// ("Paused clock" rule 5).
const OWED_PATIENCE: Duration = Duration::from_secs(1);

impl Unpark for Shared {
    fn unpark(&self) {
        if !self.notified.swap(true, Ordering::SeqCst) {
            sys::eventfd_signal(self.eventfd.as_raw_fd());
        }
    }

    /// Batching rule 2: from now on this thread's pushes made while the driver sleeps
    /// wait for this thread's next flush; this one submits those since the last.
    fn flush(&self) {
        let deferred = FLUSHER.with(|f| {
            let (id, deferred) = f.get();
            f.set((self.id, false));
            id == self.id && deferred
        });
        if deferred {
            self.submit_if_parked();
        }
    }
}

thread_local! {
    /// The driver this thread flushes (its `Shared::id`; 0: none) and whether a push
    /// since the last flush was deferred to it (batching rule 2).
    static FLUSHER: Cell<(u64, bool)> = const { Cell::new((0, false)) };
}

/// The next `Shared::id` (ids are never reused, so a stale `FLUSHER` matches nothing).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Drop for UringReactor {
    fn drop(&mut self) {
        let sh = &*self.shared;
        sh.shutdown.store(true, Ordering::SeqCst);
        let mut wake = Vec::new();
        {
            let mut st = sh.state.lock();
            let mut cancels = Vec::new();
            for (i, slot) in st.slots.iter_mut().enumerate() {
                let key = (u64::from(slot.generation) << 32) | i as u64;
                match &mut slot.entry {
                    Entry::Reg { io, armed, .. } => {
                        io.set_readiness(SHUTDOWN, &mut wake);
                        if *armed {
                            cancels.push(opcode::PollRemove::new(key).build().user_data(IGNORE));
                        }
                    }
                    Entry::Op { state, .. } => {
                        if let OpState::Owned(_)
                        | OpState::Orphan { cancelled: false }
                        | OpState::Multi { ended: false, .. } = state
                        {
                            cancels.push(opcode::AsyncCancel::new(key).build().user_data(IGNORE));
                        }
                    }
                    Entry::Vacant => {}
                }
            }
            if st.unpark_armed {
                cancels.push(opcode::AsyncCancel::new(UNPARK).build().user_data(IGNORE));
            }
            for sqe in &cancels {
                let _ = sh.push_locked(&mut st, sqe, &mut wake);
            }
        }
        for w in wake.drain(..) {
            w.wake();
        }
        // Reap until nothing is in flight (bounded: rule 6).
        for _ in 0..100 {
            if !self.shared.in_flight() {
                break;
            }
            let ts = types::Timespec::new().nsec(10_000_000);
            let args = types::SubmitArgs::new().timespec(&ts);
            let _ = self.shared.ring.submitter().submit_with_args(1, &args);
            self.reap();
        }
        if !self.shared.in_flight() {
            self.shared.quiesced.store(true, Ordering::SeqCst);
        }
        // Whoever still waits gets the shutdown error.
        let mut st = self.shared.state.lock();
        for slot in st.slots.iter_mut() {
            if let Entry::Op {
                state: OpState::Multi { waker, ended, .. },
                ..
            } = &mut slot.entry
            {
                *ended = true;
                if let Some(w) = waker.take() {
                    wake.push(w);
                }
            }
            if let Entry::Op {
                state: OpState::Owned(cell),
                ..
            } = &slot.entry
            {
                // The kernel may still hold the buffers: they stay in the slot (leaked
                // with it, rule 6) and the owner gets `ESHUTDOWN`.
                if cell
                    .state
                    .compare_exchange(
                        CELL_WAITING,
                        CELL_SHUTDOWN,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    )
                    .is_ok()
                {
                    if let Some(w) = cell.waker.take() {
                        wake.push(w);
                    }
                }
            }
        }
        drop(st);
        for w in wake {
            w.wake();
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Rule 6: a buffer whose completion may still come is leaked, never freed.
        let st = self.state.get_mut();
        // (A slot holds an operation only until its last completion.)
        for slot in st.slots.drain(..) {
            if let Entry::Op { keep, .. } = slot.entry {
                std::mem::forget(keep);
            }
        }
        if st.unpark_armed {
            std::mem::forget(std::mem::take(&mut st.unpark_buf));
        }
        if let Some(pool) = self.bufs.take() {
            if self.quiesced.load(Ordering::SeqCst)
                && self
                    .ring
                    .submitter()
                    .unregister_buf_ring(bufring::GROUP)
                    .is_ok()
            {
                // SAFETY: nothing is in the kernel (`quiesced`) and the pool is no
                // longer registered, so the kernel will not touch it again.
                unsafe { pool.free() };
            }
            // Else bufring rule 1: a receive may still write into it, and `BufRing`
            // has no destructor: the pool is leaked, never freed.
        }
    }
}

impl Shared {
    /// Submits what is queued, then (if no completion is waiting) sleeps in `poll(2)` on
    /// the ring until one is or `timeout` passes.
    fn submit_then_poll(&self, timeout: Option<Duration>) -> io::Result<usize> {
        self.ring.submitter().submit()?;
        if self.cq_len(&self.state.lock()) == 0 {
            let ms = timeout.map_or(-1, |d| {
                i32::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX)
            });
            let mut pfd = libc::pollfd {
                fd: self.ring.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid `pollfd` for the duration of the call.
            if unsafe { libc::poll(&mut pfd, 1, ms) } < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(0)
    }

    /// Fills `out` with the descriptors and events of the socket operations in flight
    /// whose owner still waits, and of the armed readiness registrations; `known` gets
    /// the readiness each has already delivered (none for an operation: its completion
    /// is the delivery) ("Paused clock" rule 2). An orphan's descriptor may already be
    /// closed and its number reused: it is left out.
    fn collect_watched(&self, out: &mut Vec<libc::pollfd>, known: &mut Vec<usize>) {
        out.clear();
        known.clear();
        let st = self.state.lock();
        for slot in &st.slots {
            let (fd, events, delivered) = match &slot.entry {
                Entry::Op {
                    state,
                    watch: Some(w),
                    ..
                } => {
                    let waiting = match state {
                        OpState::Owned(cell) => !cell.is_orphan(),
                        OpState::Multi { ended, .. } => !*ended,
                        OpState::Orphan { .. } => false,
                    };
                    if !waiting {
                        continue;
                    }
                    (w.fd, w.events, 0)
                }
                Entry::Reg {
                    io,
                    fd,
                    armed: true,
                    gone: false,
                } => (*fd, POLL_MASK as i16, io.readiness()),
                _ => continue,
            };
            out.push(libc::pollfd {
                fd,
                events,
                revents: 0,
            });
            known.push(delivered);
        }
    }

    /// Whether entries wait in the submission queue or another thread is submitting
    /// right now (batching rule 7: the zero park's `submit_now` then returned at once).
    fn submission_pending(&self) -> bool {
        self.submitting.load(Ordering::SeqCst) || self.sq_len(&self.state.lock()) > 0
    }

    /// Whether task work is pending or running (`IORING_SQ_TASKRUN`, set when work is
    /// queued and cleared when it posts its completions), entries are queued or
    /// completions wait in the ring.
    fn completion_pending(&self) -> bool {
        let st = self.state.lock();
        self.must_enter(&st) || self.cq_len(&st) > 0
    }

    /// Whether any operation or armed poll is still in the kernel.
    fn in_flight(&self) -> bool {
        let st = self.state.lock();
        st.unpark_armed
            || st.slots.iter().any(|s| match &s.entry {
                Entry::Reg { armed, .. } => *armed,
                Entry::Op { state, .. } => !matches!(state, OpState::Multi { ended: true, .. }),
                Entry::Vacant => false,
            })
    }

    fn arm_unpark(&self, st: &mut State) -> io::Result<()> {
        let ptr: *mut u64 = &mut *st.unpark_buf;
        let sqe = opcode::Read::new(types::Fd(self.eventfd.as_raw_fd()), ptr.cast(), 8)
            .build()
            .user_data(UNPARK);
        let mut wake = Vec::new();
        self.push_locked(st, &sqe, &mut wake)?;
        st.unpark_armed = true;
        // Wakers collected by a reap inside the push (a full queue) are woken late but
        // not lost: the reaped slots hold their results.
        for w in wake {
            w.wake();
        }
        Ok(())
    }

    /// How many entries wait in the submission queue. `_st` proves the state lock is
    /// held; the queue handle lives and dies inside this call (queue rule 2).
    fn sq_len(&self, _st: &State) -> usize {
        // SAFETY: the state lock is held (`_st`), so this is the only live handle to the
        // submission queue.
        let sq = unsafe { self.ring.submission_shared() };
        let n = sq.len();
        drop(sq); // stores back the tail it read, still under the lock
        n
    }

    /// Whether a `park(Some(0))` must enter the kernel: entries are queued, task work is
    /// pending (`IORING_SQ_TASKRUN`: cooperative task running, batching rule 6) or
    /// completions overflowed. As [`sq_len`](Self::sq_len), under the lock.
    fn must_enter(&self, _st: &State) -> bool {
        // SAFETY: the state lock is held (`_st`), so this is the only live handle to the
        // submission queue.
        let sq = unsafe { self.ring.submission_shared() };
        let enter = !sq.is_empty() || sq.taskrun() || sq.cq_overflow();
        drop(sq); // stores back the tail it read, still under the lock
        enter
    }

    /// How many completions wait in the completion queue (as [`sq_len`](Self::sq_len)).
    fn cq_len(&self, _st: &State) -> usize {
        // SAFETY: the state lock is held (`_st`), so this is the only live handle to the
        // completion queue.
        let cq = unsafe { self.ring.completion_shared() };
        let n = cq.len();
        drop(cq); // stores back the head it read, still under the lock
        n
    }

    /// Pushes `sqe`, flushing the queue to the kernel when it is full.
    fn push_locked(
        &self,
        st: &mut State,
        sqe: &squeue::Entry,
        wake: &mut Vec<Waker>,
    ) -> io::Result<()> {
        loop {
            {
                // SAFETY: the state lock is held (`st`), so this is the only live
                // handle to the submission queue.
                let mut sq = unsafe { self.ring.submission_shared() };
                // SAFETY: every buffer `sqe` points into is owned by its slot until
                // the completion (rule 1), or by `State` for the unpark read.
                if unsafe { sq.push(sqe) }.is_ok() {
                    sq.sync();
                    return Ok(());
                }
            }
            match self.ring.submitter().submit() {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    self.reap_locked(st, wake);
                }
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// After a push outside the driver (batching rules 1-3): nothing while the driver
    /// runs (its next `park` submits); while it sleeps, a thread that flushes this
    /// driver defers to its flush, any other thread submits at once.
    fn after_push(&self) {
        // Pairs with the fence in `park` (rule 1).
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) {
            let deferred = FLUSHER.with(|f| {
                let (id, _) = f.get();
                let ours = id == self.id;
                if ours {
                    f.set((id, true));
                }
                ours
            });
            if !deferred {
                let _ = self.submit_now();
            }
        }
    }

    /// Submits what is queued if the driver sleeps in the kernel: the flush of rule 2.
    fn submit_if_parked(&self) {
        fence(Ordering::SeqCst);
        if !self.parked.load(Ordering::SeqCst) {
            // Rule 1: the driver's next `park` submits it.
            return;
        }
        if self.sq_len(&self.state.lock()) > 0 {
            let _ = self.submit_now();
        }
    }

    /// Submits what is queued, without waiting, unless another thread is doing so
    /// right now: that one submits again what was pushed meanwhile (batching rule 7).
    fn submit_now(&self) -> io::Result<usize> {
        let mut total = 0;
        for _ in 0..COMBINE_ROUNDS {
            if self.submitting.swap(true, Ordering::SeqCst) {
                return Ok(total);
            }
            let res = self.ring.submitter().submit();
            self.submitting.store(false, Ordering::SeqCst);
            total += res?;
            if self.sq_len(&self.state.lock()) == 0 {
                return Ok(total);
            }
        }
        // Bounded: what is still queued is submitted here, token or not.
        Ok(total + self.ring.submitter().submit()?)
    }

    /// Reads every completion; the caller wakes `wake` after unlocking.
    fn reap_locked(&self, st: &mut State, wake: &mut Vec<Waker>) -> usize {
        let mut n = 0;
        let mut resubmit: Vec<squeue::Entry> = Vec::new();
        {
            // SAFETY: the state lock is held, so this is the only live handle to the
            // completion queue.
            let cq = unsafe { self.ring.completion_shared() };
            for cqe in cq {
                n += 1;
                self.complete(st, &cqe, wake, &mut resubmit);
            }
        }
        for sqe in &resubmit {
            let _ = self.push_locked(st, sqe, wake);
        }
        n
    }

    fn complete(
        &self,
        st: &mut State,
        cqe: &cqueue::Entry,
        wake: &mut Vec<Waker>,
        resubmit: &mut Vec<squeue::Entry>,
    ) {
        let (key, res, flags) = (cqe.user_data(), cqe.result(), cqe.flags());
        if key == IGNORE {
            return;
        }
        if key == UNPARK {
            st.unpark_armed = false;
            self.notified.store(false, Ordering::SeqCst);
            if !self.shutdown.load(Ordering::SeqCst) {
                let ptr: *mut u64 = &mut *st.unpark_buf;
                resubmit.push(
                    opcode::Read::new(types::Fd(self.eventfd.as_raw_fd()), ptr.cast(), 8)
                        .build()
                        .user_data(UNPARK),
                );
                st.unpark_armed = true;
            }
            return;
        }
        let (generation, index) = ((key >> 32) as u32, key as u32 as usize);
        let Some(slot) = st.slots.get_mut(index) else {
            return;
        };
        if slot.generation != generation {
            return;
        }
        let mut free = false;
        match &mut slot.entry {
            Entry::Vacant => {}
            Entry::Reg {
                io,
                fd,
                armed,
                gone,
            } => {
                if res >= 0 {
                    io.set_readiness(poll_readiness(res as u32), wake);
                }
                if !cqueue::more(flags) {
                    *armed = false;
                    if *gone {
                        free = true;
                    } else if !self.shutdown.load(Ordering::SeqCst) {
                        // The multishot poll ended (an error, or the kernel's own
                        // cancel): keep the registration armed for life.
                        resubmit.push(poll_sqe(*fd, key));
                        *armed = true;
                    }
                }
            }
            Entry::Op {
                state,
                sqe,
                keep,
                after,
                linked,
                ..
            } => match state {
                OpState::Owned(cell) => {
                    let orphan = cell.is_orphan();
                    if !orphan
                        && res == -libc::ECANCELED
                        && !self.shutdown.load(Ordering::SeqCst)
                        && !*linked
                    {
                        // Rule 5: not ours; do it again.
                        resubmit.push(sqe.clone());
                    } else {
                        // The deferred shutdown first (the owner may see the completion
                        // as soon as it is in the cell).
                        let mut after = std::mem::replace(after, After::Nothing);
                        if let After::ShutdownWrite(_) = after {
                            run_after(&mut after);
                        }
                        // Rule 7: the result and the buffers go to the owner's cell and
                        // the slot is free at once; or rule 3: the owner is gone (before
                        // or while we complete), so the result is disposed of here (an
                        // open's descriptor closed) and the buffers freed with the slot
                        // or the cell.
                        if orphan || !cell.complete(res, flags, std::mem::take(keep), wake) {
                            self.discard(&after, res, flags);
                        }
                        free = true;
                    }
                }
                OpState::Orphan { .. } => {
                    // Rule 3: absorb, run the follow-up, then free the buffer (after
                    // the last completion of a multishot operation).
                    if let After::CloseResults | After::ReturnBuffers = after {
                        self.discard(after, res, flags);
                        free = !cqueue::more(flags);
                    } else {
                        run_after(after);
                        free = true;
                    }
                }
                OpState::Multi {
                    queue,
                    waker,
                    ended,
                } => {
                    if !cqueue::more(flags) {
                        *ended = true;
                    }
                    // A cancel nobody asked for (rule 5) just ends it: the owner
                    // resubmits when it finds it ended.
                    if res != -libc::ECANCELED {
                        queue.push_back((res, flags));
                    } else {
                        self.discard(after, res, flags);
                    }
                    if let Some(w) = waker.take() {
                        wake.push(w);
                    }
                }
            },
        }
        if free {
            st.release(index);
            self.registered.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Registers `fd` for readiness (armed on the first wait); returns the key.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<(u64, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::new());
        let mut st = self.state.lock();
        if self.shutdown.load(Ordering::SeqCst) {
            return Err(shutdown_error());
        }
        let key = st.alloc(Entry::Reg {
            io: io.clone(),
            fd,
            armed: false,
            gone: false,
        })?;
        self.registered.fetch_add(1, Ordering::Relaxed);
        Ok((key, io))
    }

    /// Arms the multishot poll of registration `key` (idempotent).
    pub(crate) fn arm(&self, key: u64) {
        let mut wake = Vec::new();
        {
            let mut st = self.state.lock();
            let Some(Slot {
                generation,
                entry: Entry::Reg {
                    fd, armed, gone, ..
                },
            }) = st.slots.get_mut(key as u32 as usize)
            else {
                return;
            };
            if *generation != (key >> 32) as u32 || *armed || *gone {
                return;
            }
            if self.shutdown.load(Ordering::SeqCst) {
                return;
            }
            *armed = true;
            let sqe = poll_sqe(*fd, key);
            if self.push_locked(&mut st, &sqe, &mut wake).is_err() {
                if let Some(Slot {
                    entry: Entry::Reg { io, armed, .. },
                    ..
                }) = st.slots.get_mut(key as u32 as usize)
                {
                    *armed = false;
                    // Wake the waiter with an error readiness rather than leave it.
                    io.set_readiness(ERROR, &mut wake);
                }
            }
        }
        self.after_push();
        for w in wake {
            w.wake();
        }
    }

    /// Deregisters `key`: removes its poll (the slot is freed by the last completion).
    ///
    /// Called just before the descriptor is closed, so it also hands every queued entry
    /// to the kernel: an entry names its descriptor by number, resolved at submission,
    /// and a number closed (or reused) before that would send a queued write into
    /// nothing, or into another socket.
    pub(crate) fn deregister(&self, key: u64) {
        let mut wake = Vec::new();
        {
            let mut st = self.state.lock();
            let index = key as u32 as usize;
            match st.slots.get_mut(index) {
                Some(Slot {
                    generation,
                    entry: Entry::Reg { armed, gone, .. },
                }) if *generation == (key >> 32) as u32 => {
                    if *armed {
                        *gone = true;
                        let sqe = opcode::PollRemove::new(key).build().user_data(IGNORE);
                        let _ = self.push_locked(&mut st, &sqe, &mut wake);
                    } else {
                        st.release(index);
                        self.registered.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                _ => {}
            }
            if self.sq_len(&st) > 0 {
                let _ = self.ring.submitter().submit();
            }
        }
        for w in wake {
            w.wake();
        }
    }

    /// Submits `sqe` (its user data is set here) with `keep` owned by the slot until
    /// the completion (rule 1).
    pub(crate) fn submit(
        self: &Arc<Self>,
        sqe: squeue::Entry,
        keep: Keep,
        waker: &Waker,
        cancel_on_drop: bool,
    ) -> io::Result<Op> {
        self.submit_in(None, sqe, keep, Some(waker), cancel_on_drop, None)
    }

    /// As [`submit`](Self::submit), with `cell` (from the owner's previous operation,
    /// [`Op::into_cell`]) reused instead of a new one allocated, and `waker` optional:
    /// without one, nobody is woken by the completion until a poll of the `Op` stores
    /// one (a write-behind send, whose writer was already told the bytes are written).
    /// `watch` names the socket of a socket operation ("Paused clock" rule 2).
    pub(crate) fn submit_in(
        self: &Arc<Self>,
        cell: Option<Arc<OpCell>>,
        sqe: squeue::Entry,
        keep: Keep,
        waker: Option<&Waker>,
        cancel_on_drop: bool,
        watch: Option<Watch>,
    ) -> io::Result<Op> {
        let cell = match cell {
            Some(cell) => {
                if let Some(w) = waker {
                    cell.waker.register(w);
                }
                cell
            }
            None => OpCell::new(waker),
        };
        let state = OpState::Owned(cell.clone());
        let key = self.start(sqe, state, keep, After::Nothing, watch)?;
        Ok(Op {
            shared: self.clone(),
            key,
            cancel_on_drop,
            cell,
        })
    }

    /// Submits `ops` (entry, what its slot keeps, cancel on drop) as one linked chain:
    /// each in a slot of its own, all pushed under one lock and published to the
    /// kernel with one tail update (room is made first), so no submission ever sees
    /// part of the chain. The caller sets the link flags; the members are never
    /// resubmitted alone (rule 5). Every `Op` starts without a waker (its first poll
    /// stores one).
    pub(crate) fn submit_chain(
        self: &Arc<Self>,
        ops: Vec<(squeue::Entry, Keep, bool)>,
    ) -> io::Result<Vec<Op>> {
        let n = ops.len();
        let mut wake = Vec::new();
        let mut out = Vec::with_capacity(n);
        let res = self.push_chain(ops, &mut wake, &mut out);
        for w in wake {
            w.wake();
        }
        res?;
        self.after_push();
        Ok(out)
    }

    fn push_chain(
        self: &Arc<Self>,
        ops: Vec<(squeue::Entry, Keep, bool)>,
        wake: &mut Vec<Waker>,
        out: &mut Vec<Op>,
    ) -> io::Result<()> {
        let mut st = self.state.lock();
        if self.shutdown.load(Ordering::SeqCst) {
            return Err(shutdown_error());
        }
        loop {
            let room = {
                // SAFETY: the state lock is held, so no other thread touches the SQ.
                let sq = unsafe { self.ring.submission_shared() };
                sq.capacity() - sq.len()
            };
            if room >= ops.len() {
                break;
            }
            match self.ring.submitter().submit() {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    self.reap_locked(&mut st, wake);
                }
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        let mut sqes = Vec::with_capacity(ops.len());
        for (sqe, keep, cancel_on_drop) in ops {
            let cell = OpCell::new(None);
            let key = match st.alloc(Entry::Op {
                state: OpState::Owned(cell.clone()),
                sqe: sqe.clone(),
                keep,
                after: After::Nothing,
                linked: true,
                watch: None,
            }) {
                Ok(key) => key,
                Err(e) => {
                    // Nothing pushed yet: give the slots back (their keeps too).
                    for mut op in out.drain(..) {
                        st.release(op.key as u32 as usize);
                        self.registered.fetch_sub(1, Ordering::Relaxed);
                        op.key = IGNORE; // its drop does nothing
                    }
                    return Err(e);
                }
            };
            self.registered.fetch_add(1, Ordering::Relaxed);
            let sqe = sqe.user_data(key);
            let Entry::Op { sqe: stored, .. } = &mut st.slots[key as u32 as usize].entry else {
                unreachable!("the slot was just filled with an operation");
            };
            *stored = sqe.clone();
            sqes.push(sqe);
            out.push(Op {
                shared: self.clone(),
                key,
                cancel_on_drop,
                cell,
            });
        }
        // SAFETY: the state lock is held (only live handle to the SQ); every buffer
        // an entry points into is owned by its chain's slots until the completions
        // (rule 1); there is room for all of them (checked above).
        let mut sq = unsafe { self.ring.submission_shared() };
        for sqe in &sqes {
            // SAFETY: as above.
            unsafe { sq.push(sqe) }.expect("room was made for the whole chain");
        }
        sq.sync();
        Ok(())
    }

    /// Submits a multishot `sqe` (user data set here); `after` says what the driver
    /// does with results nobody takes (rule 3: close descriptors, give buffers back);
    /// `watch` names its socket ("Paused clock" rule 2).
    pub(crate) fn submit_multi(
        self: &Arc<Self>,
        sqe: squeue::Entry,
        after: After,
        waker: &Waker,
        watch: Watch,
    ) -> io::Result<MultiOp> {
        let state = OpState::Multi {
            queue: VecDeque::new(),
            waker: Some(waker.clone()),
            ended: false,
        };
        let key = self.start(sqe, state, Keep::default(), after, Some(watch))?;
        Ok(MultiOp {
            shared: self.clone(),
            key,
        })
    }

    /// The one submission path of operations: a slot for `state`, `keep` and `after`,
    /// then `sqe` (tagged with the slot's key, and kept for rule 5's resubmission)
    /// pushed; returns the key.
    fn start(
        &self,
        sqe: squeue::Entry,
        state: OpState,
        keep: Keep,
        after: After,
        watch: Option<Watch>,
    ) -> io::Result<u64> {
        let mut wake = Vec::new();
        let key = {
            let mut st = self.state.lock();
            if self.shutdown.load(Ordering::SeqCst) {
                return Err(shutdown_error());
            }
            let key = st.alloc(Entry::Op {
                state,
                sqe,
                keep,
                after,
                linked: false,
                watch,
            })?;
            self.registered.fetch_add(1, Ordering::Relaxed);
            let Entry::Op { sqe: stored, .. } = &mut st.slots[key as u32 as usize].entry else {
                unreachable!("the slot was just filled with an operation");
            };
            let sqe = stored.clone().user_data(key);
            *stored = sqe.clone();
            if let Err(e) = self.push_locked(&mut st, &sqe, &mut wake) {
                st.release(key as u32 as usize);
                self.registered.fetch_sub(1, Ordering::Relaxed);
                drop(st);
                for w in wake {
                    w.wake();
                }
                return Err(e);
            }
            key
        };
        self.after_push();
        for w in wake {
            w.wake();
        }
        Ok(key)
    }

    /// Sets the follow-up action run when `op` completes; gives `action` back if it
    /// has completed already (the caller runs it at once).
    pub(crate) fn set_after(&self, op: &Op, action: After) -> Result<(), After> {
        let mut st = self.state.lock();
        match st.slots.get_mut(op.key as u32 as usize) {
            // The slot is this operation's until its completion (then freed, rule 7),
            // and the reaper runs `after` under this lock.
            Some(Slot {
                generation,
                entry:
                    Entry::Op {
                        after,
                        state: OpState::Owned(cell),
                        ..
                    },
            }) if *generation == (op.key >> 32) as u32
                && cell.state.load(Ordering::Acquire) == CELL_WAITING =>
            {
                *after = action;
                Ok(())
            }
            _ => Err(action),
        }
    }
}

impl MultiOp {
    /// The next completion (result, flags); `None` once the operation ended (resubmit
    /// to go on), after which `self` must not be polled again.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(i32, u32)>> {
        self.next(Some(cx))
    }

    /// As [`poll_next`](Self::poll_next) without storing a waker: `Pending` if nothing
    /// is queued yet.
    pub(crate) fn try_next(&mut self) -> Poll<Option<(i32, u32)>> {
        self.next(None)
    }

    fn next(&mut self, cx: Option<&mut Context<'_>>) -> Poll<Option<(i32, u32)>> {
        if self.key == IGNORE {
            return Poll::Ready(None);
        }
        let mut st = self.shared.state.lock();
        let index = self.key as u32 as usize;
        let Entry::Op {
            state:
                OpState::Multi {
                    queue,
                    waker,
                    ended,
                },
            ..
        } = &mut st.slots[index].entry
        else {
            unreachable!("a MultiOp's slot holds a multishot operation");
        };
        if let Some(res) = queue.pop_front() {
            return Poll::Ready(Some(res));
        }
        if *ended {
            if !self.shared.shutdown.load(Ordering::SeqCst) {
                st.release(index);
                self.shared.registered.fetch_sub(1, Ordering::Relaxed);
            }
            self.key = IGNORE;
            return Poll::Ready(None);
        }
        if let Some(cx) = cx {
            match waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *waker = Some(cx.waker().clone()),
            }
        }
        Poll::Pending
    }
}

impl Drop for MultiOp {
    fn drop(&mut self) {
        if self.key == IGNORE {
            return;
        }
        let pushed = {
            let mut st = self.shared.state.lock();
            let index = self.key as u32 as usize;
            let Entry::Op { state, after, .. } = &mut st.slots[index].entry else {
                return;
            };
            let OpState::Multi { queue, ended, .. } = state else {
                return;
            };
            for (res, flags) in queue.drain(..) {
                self.shared.discard(after, res, flags);
            }
            if *ended {
                if !self.shared.shutdown.load(Ordering::SeqCst) {
                    st.release(index);
                    self.shared.registered.fetch_sub(1, Ordering::Relaxed);
                }
                false
            } else {
                *state = OpState::Orphan { cancelled: true };
                let sqe = opcode::AsyncCancel::new(self.key).build().user_data(IGNORE);
                let mut wake = Vec::new();
                let _ = self.shared.push_locked(&mut st, &sqe, &mut wake);
                drop(st);
                for w in wake {
                    w.wake();
                }
                true
            }
        };
        if pushed {
            self.shared.after_push();
        }
    }
}

impl Op {
    /// The completion: `(result, cqe flags, the buffers back)`, or pending with the
    /// waker stored. Once ready `self` must not be polled again. Takes no lock (rule 7).
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<(i32, u32, Keep)> {
        if let Some(out) = self.try_take() {
            return Poll::Ready(out);
        }
        self.cell.waker.register(cx.waker());
        match self.try_take() {
            Some(out) => Poll::Ready(out),
            None => Poll::Pending,
        }
    }

    /// The cell of an operation whose completion was taken, emptied for the owner's
    /// next submission ([`Shared::submit_in`]); `None` if it is not finished or the
    /// slot still holds it.
    pub(crate) fn into_cell(self) -> Option<Arc<OpCell>> {
        if self.key != IGNORE {
            return None; // not taken: the drop orphans it
        }
        let mut cell = self.cell.clone();
        drop(self);
        let c = Arc::get_mut(&mut cell)?;
        // Exclusive now: no slot or other owner holds it (rule 7's exchange is over).
        *c.state.get_mut() = CELL_WAITING;
        c.waker = AtomicWaker::new();
        *c.out.get_mut() = (0, 0, Keep::default());
        Some(cell)
    }

    fn try_take(&mut self) -> Option<(i32, u32, Keep)> {
        match self.cell.state.load(Ordering::Acquire) {
            CELL_DONE if self.key != IGNORE => {
                self.key = IGNORE;
                // SAFETY: DONE was published by the reaper after it wrote `out`
                // (`Acquire` above pairs with its `Release`); from now on only this
                // owner touches `out`, and `key == IGNORE` makes this the only take.
                Some(std::mem::take(unsafe { &mut *self.cell.out.get() }))
            }
            // The kernel may still hold the buffers (rule 6): they stay in the slot.
            CELL_SHUTDOWN => Some((-libc::ESHUTDOWN, 0, Keep::default())),
            _ => None,
        }
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        if self.key == IGNORE {
            return;
        }
        // Rule 2: orphan it, unless the completion (or the shutdown) came first.
        if self
            .cell
            .state
            .compare_exchange(
                CELL_WAITING,
                CELL_ORPHAN,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
            || !self.cancel_on_drop
        {
            // DONE: the result and buffers go with the cell; SHUTDOWN: the slot keeps
            // them; a write completes on its own.
            return;
        }
        let mut wake = Vec::new();
        let pushed = {
            let mut st = self.shared.state.lock();
            let index = self.key as u32 as usize;
            // Still in the kernel (the slot is freed by the completion)?
            let in_flight = st
                .slots
                .get(index)
                .is_some_and(|slot| slot.generation == (self.key >> 32) as u32);
            in_flight && {
                let sqe = opcode::AsyncCancel::new(self.key).build().user_data(IGNORE);
                self.shared.push_locked(&mut st, &sqe, &mut wake).is_ok()
            }
        };
        if pushed {
            self.shared.after_push();
        }
        for w in wake {
            w.wake();
        }
    }
}

impl State {
    fn alloc(&mut self, entry: Entry) -> io::Result<u64> {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len())
                    .ok()
                    .filter(|&i| i < u32::MAX - 1)
                    .ok_or_else(|| io::Error::other("too many io_uring operations"))?;
                self.slots.push(Slot {
                    generation: 0,
                    entry: Entry::Vacant,
                });
                i
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.entry = entry;
        Ok((u64::from(slot.generation) << 32) | u64::from(index))
    }

    fn release(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        slot.entry = Entry::Vacant;
        // Generations stay below u32::MAX - 1 so no key equals IGNORE or UNPARK.
        slot.generation = (slot.generation + 1) % (u32::MAX - 2);
        self.free.push(index as u32);
    }
}

impl Shared {
    /// Disposes of a completion nobody takes (rule 3): closes the descriptor of an
    /// accept, gives a receive's buffer back (`bufring` rule 3).
    fn discard(&self, after: &After, res: i32, flags: u32) {
        match after {
            After::CloseResults => close_result(res),
            After::ReturnBuffers => self.give_back(flags),
            After::Nothing | After::ShutdownWrite(_) => {}
        }
    }

    /// Gives back the provided buffer a completion's `flags` name, if any.
    pub(crate) fn give_back(&self, flags: u32) {
        if let (Some(bid), Some(pool)) = (cqueue::buffer_select(flags), self.bufs.as_ref()) {
            pool.give_back(bid);
        }
    }

    /// The provided-buffer pool, if the kernel has multishot receive (Linux >= 6.0).
    pub(crate) fn bufs(&self) -> Option<&BufRing> {
        self.bufs.as_ref()
    }
}

/// Closes the descriptor a multishot accept produced for an owner that is gone.
fn close_result(res: i32) {
    if res >= 0 {
        // SAFETY: a successful accept's result is a new descriptor only we know of.
        unsafe { libc::close(res) };
    }
}

/// Runs (and clears) an operation's follow-up action.
fn run_after(after: &mut After) {
    if let After::ShutdownWrite(fd) = std::mem::replace(after, After::Nothing) {
        // SAFETY: `fd` is a descriptor we own (a dup of the stream's); `shutdown` only
        // acts on it.
        unsafe { libc::shutdown(fd.as_raw_fd(), libc::SHUT_WR) };
    }
}

/// The events a readiness registration's multishot poll waits for.
const POLL_MASK: u32 = (libc::POLLIN | libc::POLLOUT | libc::POLLPRI | libc::POLLRDHUP) as u32;

fn poll_sqe(fd: RawFd, key: u64) -> squeue::Entry {
    opcode::PollAdd::new(types::Fd(fd), POLL_MASK)
        .multi(true)
        .build()
        .user_data(key)
}

fn poll_readiness(mask: u32) -> usize {
    let ev = mask as i16;
    let mut r = 0;
    if ev & (libc::POLLIN | libc::POLLPRI) != 0 {
        r |= READABLE;
    }
    if ev & libc::POLLOUT != 0 {
        r |= WRITABLE;
    }
    if ev & libc::POLLRDHUP != 0 {
        r |= READ_CLOSED;
    }
    if ev & libc::POLLHUP != 0 {
        r |= READ_CLOSED | WRITE_CLOSED;
    }
    if ev & libc::POLLERR != 0 {
        r |= ERROR;
    }
    r
}

impl Shared {
    /// How many registrations and operations the driver holds.
    pub(crate) fn registered(&self) -> usize {
        self.registered.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for UringReactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UringReactor")
            .field("ring", &self.shared.ring.as_raw_fd())
            .field("registered", &self.shared.registered())
            .finish()
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UringShared")
            .field("ring", &self.ring.as_raw_fd())
            .finish_non_exhaustive()
    }
}

/// Whether the running kernel's version is at least `major.minor` (from `uname`):
/// multishot receive (6.0) cannot be probed as an opcode.
fn kernel_at_least(major: u32, minor: u32) -> bool {
    // SAFETY: `uname` fills the zeroed struct we pass it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return false;
    }
    // SAFETY: `release` is NUL-terminated by `uname`.
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) };
    let mut parts = release
        .to_str()
        .unwrap_or("")
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

// Miri does not implement the io_uring syscalls these tests set up a ring with.
#[cfg(all(test, not(miri)))]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    /// Entries pushed and not yet handed to the kernel.
    fn queued(sh: &Shared) -> usize {
        sh.sq_len(&sh.state.lock())
    }

    /// Queue-handle rule: a look at the submission queue (the driver's poll, a flush)
    /// never rewinds its tail over entries other threads push meanwhile. Three threads
    /// push 20 000 no-ops each while a fourth polls the driver (`park(Some(0))`, as a
    /// busy worker does every batch) and another flushes it; every entry must reach the
    /// kernel and complete. A rewound tail loses entries (the io_uring echo hang).
    #[test]
    fn entries_pushed_during_a_queue_check_are_never_lost() {
        let Ok(mut driver) = UringReactor::new() else {
            return; // no io_uring here
        };
        const PUSHERS: usize = 3;
        const OPS: usize = 20_000;
        let sh = driver.shared.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    driver.park(Some(Duration::ZERO));
                }
                driver
            })
        };
        let flusher = {
            let (sh, stop) = (sh.clone(), stop.clone());
            std::thread::spawn(move || {
                sh.parked.store(true, Ordering::SeqCst); // so the flush looks at the queue
                while !stop.load(Ordering::Relaxed) {
                    sh.submit_if_parked();
                }
            })
        };
        let pushers: Vec<_> = (0..PUSHERS)
            .map(|_| {
                let sh = sh.clone();
                std::thread::spawn(move || {
                    (0..OPS)
                        .map(|_| {
                            let nop = opcode::Nop::new().build();
                            sh.submit(nop, Keep::default(), Waker::noop(), false)
                                .unwrap()
                        })
                        .collect::<Vec<Op>>()
                })
            })
            .collect();
        let mut ops: Vec<Op> = pushers
            .into_iter()
            .flat_map(|p| p.join().unwrap())
            .collect();
        stop.store(true, Ordering::Relaxed);
        flusher.join().unwrap();
        sh.parked.store(false, Ordering::SeqCst);
        let mut driver = poller.join().unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !ops.is_empty() && std::time::Instant::now() < deadline {
            driver.park(Some(Duration::from_millis(10)));
            ops.retain_mut(|op| op.poll(&mut cx).is_pending());
        }
        assert!(
            ops.is_empty(),
            "{} of {} pushed entries never completed",
            ops.len(),
            PUSHERS * OPS
        );
    }

    /// Ownership rule 7: the slot is free as soon as the completion is reaped, and the
    /// owner takes the result and its buffers from the operation's cell without the
    /// state lock (held by this test the whole time).
    #[test]
    fn a_completion_is_taken_without_the_state_lock() {
        let Ok(mut driver) = UringReactor::new() else {
            return; // no io_uring here
        };
        let sh = driver.shared.clone();
        let keep = Keep {
            buf: vec![1, 2, 3],
            extra: None,
        };
        let mut op = sh
            .submit(opcode::Nop::new().build(), keep, Waker::noop(), false)
            .unwrap();
        for _ in 0..1000 {
            if sh.registered() == 0 {
                break;
            }
            driver.park(Some(Duration::from_millis(1)));
        }
        assert_eq!(sh.registered(), 0, "the completion did not free the slot");
        let guard = sh.state.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            let out = op.poll(&mut cx).map(|(res, _, keep)| (res, keep.buf));
            let _ = tx.send(out);
        });
        let got = rx.recv_timeout(Duration::from_secs(10));
        drop(guard);
        assert!(
            matches!(&got, Ok(Poll::Ready((0, buf))) if buf == &[1, 2, 3]),
            "the owner could not take its completion while the lock was held: {got:?}"
        );
    }

    /// "Paused clock" rules 2-4: a `RECV` submitted by another thread, whose data has
    /// arrived, completes as that thread's task work (batching rule 6); while that
    /// thread runs in user space the completion is invisible to a zero park, but
    /// `park_owed` reports it owed. With no data it reports nothing (the clock may jump).
    #[test]
    fn a_completion_owed_to_another_threads_task_work_is_not_missed() {
        let Ok(mut driver) = UringReactor::new() else {
            return; // no io_uring here
        };
        driver.park(Some(Duration::ZERO)); // submits the unpark read
        let sh = driver.shared.clone();
        let (a, mut b) = UnixStream::pair().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let submitter = {
            let (sh, stop, fd) = (sh.clone(), stop.clone(), a.as_raw_fd());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16];
                let sqe = opcode::Recv::new(types::Fd(fd), buf.as_mut_ptr(), 16).build();
                let keep = Keep { buf, extra: None };
                let op = sh
                    .submit_in(None, sqe, keep, None, true, Some(Watch::recv(fd)))
                    .unwrap();
                sh.submit_now().unwrap(); // this thread is the submitter
                tx.send(op).unwrap();
                // User space only: no kernel entry runs this thread's task work (short
                // of a timer interrupt).
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        let mut op = rx.recv().unwrap();
        assert!(
            !driver.park_owed(),
            "nothing is owed before the data is sent"
        );
        std::io::Write::write_all(&mut b, b"x").unwrap();
        let owed = driver.park_owed();
        stop.store(true, Ordering::Relaxed);
        submitter.join().unwrap();
        assert!(owed, "the receive's completion was owed but not reported");
        let mut cx = Context::from_waker(Waker::noop());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let got = loop {
            if let Poll::Ready((res, _, keep)) = op.poll(&mut cx) {
                break (res, keep.buf[0]);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the receive never completed"
            );
            driver.park(Some(Duration::from_millis(10)));
        };
        assert_eq!(got, (1, b'x'));
        drop(a);
    }

    /// Batching rules 1 and 2, without a thread in the kernel: `parked` is set by hand.
    #[test]
    fn a_flushing_thread_defers_its_pushes_to_its_flush() {
        let Ok(mut driver) = UringReactor::new() else {
            return; // no io_uring here
        };
        driver.park(Some(Duration::ZERO)); // submits the unpark read
        let sh = driver.shared.clone();
        let pairs: Vec<_> = (0..8).map(|_| UnixStream::pair().unwrap()).collect();
        let keys: Vec<u64> = pairs
            .iter()
            .map(|(a, _)| sh.register(a.as_raw_fd()).unwrap().0)
            .collect();

        // Rule 1: the driver runs; nobody submits.
        sh.arm(keys[0]);
        assert_eq!(queued(&sh), 1);
        sh.submit_if_parked();
        assert_eq!(queued(&sh), 1, "the driver's own park submits it");

        // Rule 2: the driver sleeps; a thread that never flushed submits at once.
        sh.parked.store(true, Ordering::SeqCst);
        sh.arm(keys[1]);
        assert_eq!(queued(&sh), 0);

        // A flushing thread's pushes wait for its flush, which submits all at once.
        sh.flush();
        for &k in &keys[2..] {
            sh.arm(k);
        }
        assert_eq!(queued(&sh), 6);
        assert!(FLUSHER.with(|f| f.get()) == (sh.id, true));
        sh.flush();
        assert_eq!(queued(&sh), 0);
        assert!(FLUSHER.with(|f| f.get()) == (sh.id, false));

        // The flush of another driver does not cover this one's pushes.
        let Ok(other) = UringReactor::new() else {
            return;
        };
        other.shared.flush();
        let (c, _d) = UnixStream::pair().unwrap();
        let k = sh.register(c.as_raw_fd()).unwrap().0;
        sh.arm(k);
        assert_eq!(
            queued(&sh),
            0,
            "not this thread's driver: submitted at once"
        );
        sh.parked.store(false, Ordering::SeqCst);
        drop(pairs);
    }
}

//! The task allocation (header + future/output stage) and the type-erased operations on
//! it, reached through a per-future-type vtable.
//!
//! One `Box<Cell<F>>` per task: the [`Header`] (state word, vtable, scheduler, id, join
//! waker, metadata) followed by the stage (the future, then its output). Every handle
//! (`Notified`, `Waker`, `JoinHandle`, `AbortHandle`, the owned-task list) is a
//! `NonNull<Header>` counted in the state word (see [`state`](super::state) rule 6).

use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use corio_core::{coop, AtomicWaker, JoinError, TaskId};

use super::cancel::{CancelInfo, CurrentGuard};
use super::context_var::{self, Vars};
use super::sched::TaskScheduler;
use super::state::{State, ToIdle, ToRunning};
use super::waker::waker_ref;
use crate::debug::DebugConfig;
// loom's under `cfg(loom)`: the metadata word's upgrade is model-checked (rule 5).
use crate::loom::AtomicPtr;

/// Type-erased operations on a task cell.
pub(crate) struct Vtable {
    /// Claims and polls (or cancels) the task; consumes one reference (a `Notified`).
    pub(crate) run: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `dst` (a `*mut Poll<Result<T, JoinError>>`) if complete.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the stored output (called by the `JoinHandle` on drop after completion).
    pub(crate) drop_output: unsafe fn(NonNull<Header>),
    /// Cancels the task on behalf of shutdown; consumes one reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

/// A task's out-of-line metadata, allocated only when the task has a name, the runtime
/// is in debug mode, or the task meets cooperative cancellation (then lazily, see
/// [`TaskMeta::cancel_or_init`]).
struct Extra {
    /// The cooperative-cancel record (see `cancel`).
    cancel: CancelInfo,
    name: Option<Box<str>>,
    location: &'static Location<'static>,
    /// Debug mode: when the latest poll started, as a [`DebugConfig`] stamp (0: never).
    /// Written by the poller (which holds `RUNNING`), read by task dumps.
    ///
    /// [`DebugConfig`]: crate::debug::DebugConfig
    last_poll: Option<AtomicU64>,
}

/// The spawn location and the optional name, debug data and cancel record in one word,
/// so the header stays small (a small task's cell then fits glibc's fast bins: cheap
/// allocation and free).
///
/// # Invariants
/// 1. Low bit clear: the word is a `&'static Location<'static>`.
/// 2. Low bit set: with the bit cleared, the word is a `Box<Extra>` owned by this value
///    (freed on drop). Both pointees are at least 2-aligned, so the bit is free.
/// 3. The pointer keeps its provenance (tagging uses `map_addr`, strict-provenance clean).
/// 4. The word changes at most once after spawn: from a `Location` to a `Box<Extra>` (by
///    CAS, in [`TaskMeta::cancel_or_init`]). An `Extra` is never replaced or freed before
///    the task is, so a reference into it lives as long as the `TaskMeta`.
/// 5. Every use decides on one load: [`TaskMeta::cancel_or_init`] reads the word once
///    and, if that value is a `Location`, CASes from exactly that value, so its CAS can
///    only replace the `Location` it read, never an `Extra` another party installed
///    meanwhile (a `cancel()` on another thread racing the task's first cancel handler);
///    a reader (`location`) interprets the value it loaded, never a second load.
///    Replacing one would hand the two parties different cancel records: the handler
///    counted on the lost one, the runner reading the new one would see no handler alive
///    and drop the future in the middle of a `finally` cleanup (`stress_cancel_storm`,
///    about 1 run in 50 on 2 cores), and a request counted on the lost one would vanish
///    from `cancelling()`. `tests/loom_task_meta.rs` checks the race.
///
/// Debug mode is not tested here on the poll path: a task spawned in debug mode gets
/// the timed vtable instead (see [`allocate`]).
pub(crate) struct TaskMeta(AtomicPtr<u8>);

const EXTRA_TAG: usize = 0b01;

// SAFETY: the word is either a `&'static Location` (immutable, `Sync`) or an owned
// `Box<Extra>` (`Send + Sync`: its only mutable part is an atomic), per the invariants.
unsafe impl Send for TaskMeta {}
// SAFETY: as above; shared access only reads (and writes the atomic).
unsafe impl Sync for TaskMeta {}

impl TaskMeta {
    /// `debug`: reserve a last-poll timestamp (debug mode).
    #[inline]
    pub(crate) fn new(
        location: &'static Location<'static>,
        name: Option<Box<str>>,
        debug: bool,
    ) -> Self {
        const { assert!(std::mem::align_of::<Location<'static>>() >= 2) };
        if name.is_none() && !debug {
            return TaskMeta(AtomicPtr::new(NonNull::from(location).cast().as_ptr()));
        }
        Self::new_extra(location, name, debug)
    }

    /// The out-of-line part of `new`: a named task or debug mode.
    #[inline(never)]
    fn new_extra(
        location: &'static Location<'static>,
        name: Option<Box<str>>,
        debug: bool,
    ) -> Self {
        const { assert!(std::mem::align_of::<Extra>() >= 2) };
        TaskMeta(AtomicPtr::new(
            Self::tagged_extra(location, name, debug).as_ptr(),
        ))
    }

    /// A new `Box<Extra>`, leaked and tagged (rules 2 and 3).
    fn tagged_extra(
        location: &'static Location<'static>,
        name: Option<Box<str>>,
        debug: bool,
    ) -> NonNull<u8> {
        let extra = Box::new(Extra {
            cancel: CancelInfo::new(),
            name,
            location,
            last_poll: debug.then(|| AtomicU64::new(0)),
        });
        let extra = NonNull::from(Box::leak(extra));
        // Rule 2: tag the owned box's address; provenance is kept (rule 3).
        extra.cast::<u8>().map_addr(|a| a | EXTRA_TAG)
    }

    fn word(&self) -> NonNull<u8> {
        // Acquire: pairs with the release of the CAS that installed an `Extra` (rule 4).
        NonNull::new(self.0.load(Ordering::Acquire)).expect("task meta word is never null")
    }

    /// The owned `Box<Extra>` pointer (untagged, with its provenance), if any.
    fn extra_ptr(&self) -> Option<NonNull<Extra>> {
        Self::untag(self.word())
    }

    fn untag(word: NonNull<u8>) -> Option<NonNull<Extra>> {
        if word.addr().get() & EXTRA_TAG == 0 {
            return None;
        }
        let ptr = word.map_addr(|a| {
            // The untagged address of a live box is non-zero.
            std::num::NonZeroUsize::new(a.get() & !EXTRA_TAG).expect("tagged null")
        });
        Some(ptr.cast::<Extra>())
    }

    /// The task's cancel record, if it has one.
    pub(crate) fn cancel(&self) -> Option<&CancelInfo> {
        self.extra().map(|e| &e.cancel)
    }

    /// The task's cancel record, allocating it (rule 4) if the task has none yet.
    pub(crate) fn cancel_or_init(&self) -> &CancelInfo {
        // Rule 5: one load decides, and the CAS below expects exactly this value.
        let current = self.word();
        if let Some(extra) = Self::untag(current) {
            // SAFETY: rule 2: the tagged word is our live `Box<Extra>`, only read here.
            return &unsafe { extra.as_ref() }.cancel;
        }
        // SAFETY: rule 1: an untagged word is a `&'static Location`.
        let location = unsafe { current.cast::<Location<'static>>().as_ref() };
        let fresh = Self::tagged_extra(location, None, false);
        match self.0.compare_exchange(
            current.as_ptr(),
            fresh.as_ptr(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {}
            Err(_) => {
                // Another party upgraded the word since our load (rules 4 and 5): its
                // `Extra` stays, free ours.
                let ours = Self::untag(fresh).expect("tagged");
                // SAFETY: `fresh` was never shared; we still own the box.
                drop(unsafe { Box::from_raw(ours.as_ptr()) });
            }
        }
        &self.extra().expect("an Extra is installed now").cancel
    }

    /// Whether the task has a cancel handler alive (read by the runner).
    pub(crate) fn has_cancel_handlers(&self) -> bool {
        self.cancel()
            .is_some_and(|c| c.handlers.load(Ordering::Relaxed) > 0)
    }

    /// The message of the task's latest `cancel_with`, if any.
    pub(crate) fn cancel_message(&self) -> Option<std::sync::Arc<str>> {
        self.cancel().and_then(CancelInfo::message)
    }

    fn extra(&self) -> Option<&Extra> {
        // SAFETY: rule 2: the untagged word is our live `Box<Extra>`, only read here.
        self.extra_ptr().map(|p| unsafe { p.as_ref() })
    }

    /// The task's name, if it was given one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.extra().and_then(|e| e.name.as_deref())
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        // Rule 5: one load decides which of the two the word is.
        let word = self.word();
        match Self::untag(word) {
            // SAFETY: rule 2: the tagged word is our live `Box<Extra>`, only read here.
            Some(extra) => unsafe { extra.as_ref() }.location,
            // SAFETY: rule 1: an untagged word is a `&'static Location`.
            None => unsafe { word.cast::<Location<'static>>().as_ref() },
        }
    }

    /// The last-poll timestamp slot (tasks spawned in debug mode only).
    pub(crate) fn last_poll(&self) -> Option<&AtomicU64> {
        self.extra().and_then(|e| e.last_poll.as_ref())
    }
}

impl Drop for TaskMeta {
    fn drop(&mut self) {
        if let Some(ptr) = self.extra_ptr() {
            // SAFETY: rule 2: we own this box (the pointer keeps the box's provenance)
            // and nobody uses it after our drop.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        }
    }
}

/// The fixed-layout front of every task allocation.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) scheduler: TaskScheduler,
    pub(crate) id: TaskId,
    /// Slot index in the owned-task list; read and written only under its shard lock.
    pub(crate) owned_slot: AtomicU32,
    /// How many times the future was polled (saturating). Written only by the
    /// holder of `RUNNING` (a relaxed load and store, no read-modify-write), read by task
    /// dumps. Shares the word with `owned_slot`, so counting costs no header space.
    pub(crate) polls: AtomicU32,
    /// The waker of the task awaiting the `JoinHandle`.
    pub(crate) join_waker: AtomicWaker,
    /// Where the task was spawned, its optional name and its cancel record.
    pub(crate) meta: TaskMeta,
    /// The task's context variables: copied from the spawner at spawn, touched only by
    /// the holder of `RUNNING` on its own thread, dropped at completion (see
    /// `context_var`'s rules).
    pub(crate) context: UnsafeCell<Vars>,
}

impl Header {
    /// The task's name, if it was given one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.meta.name()
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        self.meta.location()
    }
}

/// The state of the future slot.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

#[repr(C)]
pub(crate) struct Cell<F: Future> {
    pub(crate) header: Header,
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// Allocates a task with `refs` references and returns its header pointer.
pub(crate) fn allocate<F>(
    future: F,
    scheduler: TaskScheduler,
    id: TaskId,
    location: &'static Location<'static>,
    name: Option<Box<str>>,
    refs: usize,
) -> NonNull<Header>
where
    F: Future + 'static,
{
    let debug = scheduler.debug().is_some();
    // Debug mode picks the timed `run` once here, so the poll path never tests it.
    let vtable = if debug {
        vtable::<F, true>()
    } else {
        vtable::<F, false>()
    };
    let cell = Box::new(Cell {
        header: Header {
            state: State::new(refs),
            vtable,
            scheduler,
            id,
            owned_slot: AtomicU32::new(u32::MAX),
            polls: AtomicU32::new(0),
            join_waker: AtomicWaker::new(),
            meta: TaskMeta::new(location, name, debug),
            context: UnsafeCell::new(context_var::capture()),
        },
        stage: UnsafeCell::new(Stage::Running(future)),
    });
    // `Cell` is `repr(C)` with the header first, so the cell pointer is a header pointer.
    NonNull::from(Box::leak(cell)).cast::<Header>()
}

/// The vtable of `Cell<F>`; `DEBUG`: its `run` times each poll (debug mode).
fn vtable<F, const DEBUG: bool>() -> &'static Vtable
where
    F: Future + 'static,
{
    &Vtable {
        run: run::<F, DEBUG>,
        dealloc: dealloc::<F>,
        try_read_output: try_read_output::<F>,
        drop_output: drop_output::<F>,
        shutdown: shutdown::<F>,
    }
}

/// # Safety
/// - `ptr` points to a live `Cell<F>` (the vtable's type).
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a UnsafeCell<Stage<F>> {
    // SAFETY: the caller guarantees `ptr` is a live `Cell<F>`; the header is its first field.
    unsafe { &(*ptr.cast::<Cell<F>>().as_ptr()).stage }
}

/// # Safety
/// - `ptr` points to a `Cell<F>` whose references have all been released.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: allocated by `allocate` as a `Box<Cell<F>>`; no reference remains.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) });
}

/// `DEBUG`: debug mode, each poll timed (chosen per task at spawn, see [`allocate`]).
///
/// # Safety
/// - `ptr` is a live `Cell<F>` and the caller owns one reference, which this consumes.
unsafe fn run<F, const DEBUG: bool>(ptr: NonNull<Header>)
where
    F: Future + 'static,
{
    // SAFETY: the caller's reference keeps the allocation alive for this call.
    let header = unsafe { ptr.as_ref() };
    match header.state.transition_to_running() {
        ToRunning::Success => {}
        // State rule 8: a cooperative cancel with no handler to take it acts as an abort.
        ToRunning::CancelRequested if header.meta.has_cancel_handlers() => {}
        ToRunning::Cancelled | ToRunning::CancelRequested => {
            // SAFETY: we hold RUNNING (state rule 1), so the stage is ours.
            unsafe {
                cancel_future::<F>(ptr);
                complete::<F>(ptr);
            }
            return;
        }
        ToRunning::Failed => return,
        ToRunning::Dealloc => {
            // SAFETY: the last reference was ours.
            unsafe { dealloc::<F>(ptr) };
            return;
        }
    }

    // SAFETY: `ptr` is live while we hold the running reference; the waker is only lent.
    let waker = unsafe { waker_ref(ptr) };
    let mut cx = Context::from_waker(&waker);
    // Cancel handlers polled inside find their task through this, and so do
    // `task::current()` and the context variables (current-task rule 1).
    let current = CurrentGuard::enter(ptr);
    // Only the holder of RUNNING writes the counter: a plain load and store suffice.
    let polls = header.polls.load(Ordering::Relaxed);
    header
        .polls
        .store(polls.saturating_add(1), Ordering::Relaxed);
    // A constant: debug off, the inlined poll; on, the timed poll out of line.
    let ready = if DEBUG {
        // SAFETY: we hold RUNNING, so we have exclusive access to the stage.
        unsafe { poll_future_timed::<F>(ptr, &mut cx) }
    } else {
        // SAFETY: as above.
        unsafe { poll_future::<F, false>(ptr, &mut cx) }
    };
    drop(current);
    if ready {
        // SAFETY: still RUNNING; the output is stored.
        unsafe { complete::<F>(ptr) };
        return;
    }
    let mut idle = header.state.transition_to_idle();
    if idle == ToIdle::CancelRequested {
        // State rule 8: handlers alive take the request at a later poll; none: cancel.
        idle = if header.meta.has_cancel_handlers() {
            header.state.transition_to_idle_shielded()
        } else {
            ToIdle::Cancelled
        };
    }
    match idle {
        ToIdle::Ok => {}
        ToIdle::OkNotified => {
            // Woken during its own poll (yield or spent budget): to the back of the queue.
            // SAFETY: the running reference becomes the `Notified`'s.
            let task = unsafe { super::Notified::from_raw(ptr) };
            header.scheduler.schedule(task, true);
        }
        ToIdle::OkDealloc => {
            // SAFETY: the running reference was the last.
            unsafe { dealloc::<F>(ptr) };
        }
        ToIdle::Cancelled | ToIdle::CancelRequested => {
            // SAFETY: still RUNNING (transition_to_idle refused), so the stage is ours.
            unsafe {
                cancel_future::<F>(ptr);
                complete::<F>(ptr);
            }
        }
    }
}

/// Polls the future once inside a fresh cooperative budget; on `Ready` or panic the
/// future is dropped and the result stored. Returns whether the task finished.
///
/// # Safety
/// - The caller holds `RUNNING` on a live `Cell<F>` whose stage is `Running`.
///
/// `_TIMED` only tells the debug-mode instantiation apart (see `poll_future_timed`).
// Inlined into `run`: the scheduler's hottest path.
#[inline(always)]
unsafe fn poll_future<F: Future, const _TIMED: bool>(
    ptr: NonNull<Header>,
    cx: &mut Context<'_>,
) -> bool {
    // SAFETY: exclusive access per the caller's `RUNNING`.
    let stage = unsafe { &mut *stage::<F>(ptr).get() };
    let res = panic::catch_unwind(AssertUnwindSafe(|| {
        let Stage::Running(fut) = stage else {
            unreachable!("a task was polled after it completed")
        };
        // SAFETY: the future lives in the heap cell and is never moved until dropped.
        let fut = unsafe { Pin::new_unchecked(fut) };
        coop::budget(|| fut.poll(cx))
    }));
    // SAFETY: the caller's reference keeps the header alive.
    let id = unsafe { ptr.as_ref() }.id;
    let output = match res {
        Ok(Poll::Pending) => return false,
        Ok(Poll::Ready(v)) => Ok(v),
        Err(payload) => Err(JoinError::panic(id, payload)),
    };
    // Drop the future before storing the output; a panicking destructor becomes the
    // task's error (unless it already had one).
    let drop_res = panic::catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
    *stage = Stage::Finished(match (output, drop_res) {
        (Ok(_), Err(p)) => Err(JoinError::panic(id, p)),
        (out, _) => out,
    });
    true
}

/// [`poll_future`] in debug mode: stamps the task's last-poll time and reports a slow
/// poll. Out of line, so the scheduler's fast path stays small; a separate
/// instantiation (`TIMED`), so the fast path's copy of the poll has a single caller and
/// stays inlined.
///
/// # Safety
/// As [`poll_future`].
#[inline(never)]
unsafe fn poll_future_timed<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> bool {
    // SAFETY: the caller's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    let start = header.meta.last_poll().map(DebugConfig::poll_started);
    // SAFETY: forwarded from the caller.
    let ready = unsafe { poll_future::<F, true>(ptr, cx) };
    if let (Some(start), Some(debug)) = (start, header.scheduler.debug()) {
        debug.poll_ended(header, start);
    }
    ready
}

/// Drops the future and stores a cancelled (or panic, if its destructor panicked) error.
///
/// # Safety
/// - The caller holds `RUNNING` on a live `Cell<F>`.
unsafe fn cancel_future<F: Future>(ptr: NonNull<Header>) {
    // The future's destructors run as this task (current-task rule 1).
    let _current = CurrentGuard::enter(ptr);
    // SAFETY: exclusive access per the caller's `RUNNING`.
    let stage = unsafe { &mut *stage::<F>(ptr).get() };
    // SAFETY: the caller's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    let id = header.id;
    let res = panic::catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
    *stage = Stage::Finished(Err(match res {
        Ok(()) => match header.meta.cancel_message() {
            Some(msg) => JoinError::cancelled_with_message(id, msg),
            None => JoinError::cancelled(id),
        },
        Err(p) => JoinError::panic(id, p),
    }));
}

/// Publishes completion, hands the output to the `JoinHandle` (or drops it), leaves the
/// owned list and releases the caller's reference.
///
/// # Safety
/// - The caller holds `RUNNING` and one reference on a live `Cell<F>` whose stage is
///   `Finished`.
unsafe fn complete<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive until the `ref_dec` below.
    let header = unsafe { ptr.as_ref() };
    // Context rule 4: the task's variables go with it (we still hold RUNNING).
    // SAFETY: exclusive access per the caller's `RUNNING`; the values are dropped
    // outside the slot.
    let context = unsafe { &mut *header.context.get() };
    if context.is_some() {
        drop(context.take());
    }
    // Leave the owned list first, so a joiner that wakes sees the task gone.
    let released = header.scheduler.release(header);
    let prev = header.state.transition_to_complete();
    if !prev.is_join_interested() {
        // Nobody will read the output (state rule 2): drop it here, never unwinding.
        // SAFETY: no `JoinHandle` exists, so the task side still owns the stage.
        let stage = unsafe { &mut *stage::<F>(ptr).get() };
        let _ = panic::catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
    } else if prev.has_join_waker() {
        // State rule 7: only a handle that stored a waker needs a wake.
        header.join_waker.wake();
    }
    if header.state.ref_dec_n(1 + released as usize) {
        // SAFETY: those were the last references.
        unsafe { dealloc::<F>(ptr) };
    }
}

/// # Safety
/// - `ptr` is a live `Cell<F>`; the caller is the `JoinHandle` (one reference) and
///   `dst` points to a valid `Poll<Result<F::Output, JoinError>>`.
unsafe fn try_read_output<F: Future>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: the handle's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    if !header.state.load().is_complete() {
        return;
    }
    // SAFETY: complete and we are the join handle: we own the stage (state rule 4).
    let stage = unsafe { &mut *stage::<F>(ptr).get() };
    match std::mem::replace(stage, Stage::Consumed) {
        Stage::Finished(out) => {
            let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
            // SAFETY: the caller passes a valid destination of this type.
            unsafe { *dst = Poll::Ready(out) };
        }
        _ => panic!("`JoinHandle` polled after it returned `Poll::Ready`"),
    }
}

/// # Safety
/// - `ptr` is a live, complete `Cell<F>` and the caller is the `JoinHandle` that just
///   cleared `JOIN_INTEREST`.
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: complete, and the join handle owns the stage (state rule 4).
    let stage = unsafe { &mut *stage::<F>(ptr).get() };
    *stage = Stage::Consumed;
}

/// # Safety
/// - `ptr` is a live `Cell<F>` and the caller owns one reference, which this consumes.
unsafe fn shutdown<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    if header.state.transition_to_shutdown() {
        // SAFETY: we now hold RUNNING; `complete` consumes our reference.
        unsafe {
            cancel_future::<F>(ptr);
            complete::<F>(ptr);
        }
    } else if header.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { dealloc::<F>(ptr) };
    }
}

/// A raw, counted pointer to a task without a role: used by the owned-task list and by
/// the abort path.
#[derive(Clone, Copy)]
pub(crate) struct RawTask(pub(crate) NonNull<Header>);

// SAFETY: a task's shared parts are synchronised by its state word; the future and
// output are `Send` (enforced at spawn).
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a `RawTask` is only used while one of its references is held.
        unsafe { self.0.as_ref() }
    }

    /// Cancels the task for shutdown, consuming one reference.
    ///
    /// # Safety
    /// - The caller owns one reference (e.g. the owned list's).
    pub(crate) unsafe fn shutdown(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.shutdown)(self.0) }
    }

    /// Releases one reference.
    ///
    /// # Safety
    /// - The caller owns one reference.
    pub(crate) unsafe fn drop_ref(self) {
        if self.header().state.ref_dec() {
            // SAFETY: last reference.
            unsafe { (self.header().vtable.dealloc)(self.0) }
        }
    }
}

/// A waker built over a task pointer without touching the reference count, valid only
/// while the caller's reference lives.
pub(crate) struct WakerRef(pub(crate) ManuallyDrop<Waker>);

impl std::ops::Deref for WakerRef {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.0
    }
}

/// A task's metadata word alone, for the loom model of its upgrade race
/// (`tests/loom_task_meta.rs`, [`TaskMeta`] rule 5).
#[cfg(loom)]
#[allow(missing_debug_implementations)]
pub struct MetaModel(TaskMeta);

#[cfg(loom)]
impl MetaModel {
    /// A spawned task's word: its spawn location, no `Extra` yet.
    #[track_caller]
    #[allow(clippy::new_without_default)]
    pub fn new() -> MetaModel {
        MetaModel(TaskMeta::new(Location::caller(), None, false))
    }

    /// What a cancel handler's first poll does (handlers rule 1): find or install the
    /// cancel record and count one handler on it.
    pub fn register_handler(&self) {
        let info = self.0.cancel_or_init();
        info.handlers.fetch_add(1, Ordering::Relaxed);
    }

    /// What `cancel()` does before setting the state bit (cancel rule 2): find or install
    /// the cancel record and count one request on it.
    pub fn request_cancel(&self) {
        let info = self.0.cancel_or_init();
        info.requests.fetch_add(1, Ordering::AcqRel);
    }

    /// The installed record's handler and request counts, as the runner and
    /// `cancelling()` read them.
    pub fn counts(&self) -> Option<(u32, u32)> {
        self.0.cancel().map(|c| {
            (
                c.handlers.load(Ordering::Relaxed),
                c.requests.load(Ordering::Acquire),
            )
        })
    }

    /// The task's spawn location (kept by the upgrade).
    pub fn location(&self) -> &'static Location<'static> {
        self.0.location()
    }
}

//! Debug mode (asyncio's `loop.set_debug(True)` / `PYTHONASYNCIODEBUG`): the slow-poll
//! detector and the per-task "last polled" timestamps shown by task dumps.
//!
//! When debug mode is off the runtime holds no [`DebugConfig`] and a task poll costs one
//! predictable branch on that `Option` (no clock read). When it is on, every task poll
//! (and every poll of a `block_on` future) reads the monotonic clock before and after; a
//! poll that took at least the threshold is reported to the hook as a [`SlowPoll`].
//!
//! Real time, not the runtime's (possibly paused, virtual) clock: the detector measures
//! how long a poll kept its thread busy. It reads Linux's coarse monotonic clock
//! (`CLOCK_MONOTONIC_COARSE`: about 6 ns a read here, against about 30 ns for
//! `Instant::now`), whose resolution is one kernel tick (1–10 ms): ample for a detector
//! whose threshold is 100 ms by default, and it makes debug mode several times cheaper.
//! Under Miri, which has no such clock, `Instant` stands in.

use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio_core::TaskId;

use crate::task::raw::Header;

/// The default slow-poll threshold (asyncio's `slow_callback_duration` is 100 ms too).
pub(crate) const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

/// The environment variable that turns debug mode on when the builder did not say.
pub(crate) const DEBUG_ENV: &str = "CORIO_DEBUG";

/// The callback that receives slow-poll reports.
pub(crate) type SlowPollHook = Arc<dyn Fn(&SlowPoll<'_>) + Send + Sync>;

/// Whether `CORIO_DEBUG` asks for debug mode: set, non-empty, and not `0`, `false`,
/// `no` or `off` (any case).
pub(crate) fn debug_from_env() -> bool {
    match std::env::var_os(DEBUG_ENV) {
        None => false,
        Some(v) => {
            let v = v.to_string_lossy();
            let v = v.trim();
            !(v.is_empty()
                || v == "0"
                || v.eq_ignore_ascii_case("false")
                || v.eq_ignore_ascii_case("no")
                || v.eq_ignore_ascii_case("off"))
        }
    }
}

/// A poll that took longer than the runtime's slow-poll threshold (debug mode only).
///
/// Passed to the hook set with
/// [`Builder::on_slow_poll`](crate::Builder::on_slow_poll); the default hook prints
/// its [`Display`](fmt::Display) form as one line to stderr.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use corio_executor::{task, Builder};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let rt = Builder::new_current_thread()
///     .debug(true)
///     .slow_poll_threshold(Duration::ZERO) // report every poll, for the example
///     .on_slow_poll(move |p| {
///         if !p.is_block_on() {
///             log.lock().unwrap().push((p.name().map(str::to_owned), p.to_string()));
///         }
///     })
///     .build()
///     .unwrap();
/// rt.block_on(async {
///     // A real slow poll would be a blocking call such as `std::thread::sleep`.
///     task::Builder::new().name("blocker").spawn(async {}).await.unwrap();
/// });
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen[0].0.as_deref(), Some("blocker"));
/// // e.g. slow poll: task 3 "blocker" (spawned at src/main.rs:17:39) took 1.2µs ...
/// assert!(seen[0].1.starts_with("slow poll: task "));
/// ```
#[derive(Debug, Clone)]
pub struct SlowPoll<'a> {
    id: Option<TaskId>,
    name: Option<&'a str>,
    location: &'static Location<'static>,
    duration: Duration,
    threshold: Duration,
}

impl<'a> SlowPoll<'a> {
    /// The task's id; `None` for the future passed to `block_on`.
    pub fn id(&self) -> Option<TaskId> {
        self.id
    }

    /// The task's name, if it was given one.
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }

    /// Where the task was spawned (for a `block_on` future: where `block_on` was called).
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// How long the poll took.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The runtime's slow-poll threshold (the poll took at least this long).
    pub fn threshold(&self) -> Duration {
        self.threshold
    }

    /// Whether this was a poll of the `block_on` future rather than of a spawned task.
    pub fn is_block_on(&self) -> bool {
        self.id.is_none()
    }
}

impl fmt::Display for SlowPoll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "slow poll: task {id}")?,
            None => f.write_str("slow poll: the block_on future")?,
        }
        if let Some(name) = self.name {
            write!(f, " {name:?}")?;
        }
        let at = if self.id.is_some() {
            "spawned at"
        } else {
            "called at"
        };
        write!(
            f,
            " ({at} {}) took {:?} (threshold {:?}); blocking calls belong in spawn_blocking",
            self.location, self.duration, self.threshold
        )
    }
}

/// The default hook: one line to stderr.
fn print_slow_poll(info: &SlowPoll<'_>) {
    eprintln!("corio: {info}");
}

/// The debug-mode settings of one runtime (present only when debug mode is on).
pub(crate) struct DebugConfig {
    threshold: Duration,
    hook: SlowPollHook,
}

impl DebugConfig {
    pub(crate) fn new(threshold: Duration, hook: Option<SlowPollHook>) -> Self {
        DebugConfig {
            threshold,
            hook: hook.unwrap_or_else(|| Arc::new(print_slow_poll)),
        }
    }

    /// A task's poll starts: stamps its last-poll slot and returns the start time.
    /// Out of line: the scheduler's fast path stays small.
    #[inline(never)]
    pub(crate) fn poll_started(slot: &AtomicU64) -> u64 {
        let start = coarse_now();
        // Plus one: 0 means "never polled" (see `since`).
        slot.store(start.saturating_add(1), Ordering::Relaxed);
        start
    }

    /// A task's poll that started at `start` ended: reports it if it was slow.
    /// `header` is the task's (alive: the caller holds `RUNNING`).
    #[inline(never)]
    pub(crate) fn poll_ended(&self, header: &Header, start: u64) {
        let duration = Duration::from_nanos(coarse_now().saturating_sub(start));
        if duration >= self.threshold {
            self.report(&SlowPoll {
                id: Some(header.id),
                name: header.name(),
                location: header.location(),
                duration,
                threshold: self.threshold,
            });
        }
    }

    /// Polls a `block_on` future through `poll`, reporting a slow poll.
    #[inline]
    pub(crate) fn time_block_on_poll<R>(
        &self,
        location: &'static Location<'static>,
        poll: impl FnOnce() -> R,
    ) -> R {
        let start = coarse_now();
        let out = poll();
        let duration = Duration::from_nanos(coarse_now().saturating_sub(start));
        if duration >= self.threshold {
            self.report(&SlowPoll {
                id: None,
                name: None,
                location,
                duration,
                threshold: self.threshold,
            });
        }
        out
    }

    /// Calls the hook; a panicking hook must not unwind through the scheduler (the
    /// task is mid-transition), so its panic is caught and reported.
    #[cold]
    fn report(&self, info: &SlowPoll<'_>) {
        if panic::catch_unwind(AssertUnwindSafe(|| (self.hook)(info))).is_err() {
            eprintln!("corio: the on_slow_poll hook panicked (report: {info})");
        }
    }

    /// How long ago the poll stamped `slot` started (`None`: never polled).
    pub(crate) fn since(&self, slot: &AtomicU64) -> Option<Duration> {
        match slot.load(Ordering::Relaxed) {
            0 => None,
            n => Some(Duration::from_nanos(coarse_now().saturating_sub(n - 1))),
        }
    }
}

/// Nanoseconds on the coarse monotonic clock (see the module docs).
#[cfg(not(miri))]
#[inline]
fn coarse_now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC_COARSE exists on every
    // Linux since 2.6.32 and cannot fail with a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Nanoseconds since the first call (Miri has no coarse clock).
#[cfg(miri)]
fn coarse_now() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Debug for DebugConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DebugConfig")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

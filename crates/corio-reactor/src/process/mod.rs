//! Subprocesses (asyncio's `create_subprocess_exec`/`create_subprocess_shell`, tokio's
//! `process`): [`Command`], [`Child`] and its piped stdin/stdout/stderr as async streams.
//!
//! # Examples
//!
//! Feed a child its input while reading its output (no deadlock however large both are):
//!
//! ```
//! # corio::run(async {
//! use corio_reactor::process::Command;
//! use std::process::Stdio;
//!
//! let mut child = Command::new("tr")
//!     .args(["a-z", "A-Z"])
//!     .stdin(Stdio::piped())
//!     .stdout(Stdio::piped())
//!     .spawn()?;
//! let out = child.communicate(Some(b"hello")).await?;
//! assert_eq!(out.stdout, b"HELLO");
//! assert!(out.status.success());
//! # Ok::<(), std::io::Error>(()) }).unwrap();
//! ```
//!
//! # Implementation
//! 1. Exit is observed through a *pidfd* (`pidfd_open`, Linux 5.3+): it becomes readable
//!    when the child exits, so the reactor wakes the waiting task and `waitpid(WNOHANG)`
//!    reaps it. On kernels without `pidfd_open` (`ENOSYS`), `wait` instead blocks one
//!    blocking-pool thread in `waitid(WNOWAIT)` and reaps afterwards. No `SIGCHLD`
//!    handler is installed, so other code's child handling is unaffected.
//! 2. Signals go through `pidfd_send_signal` when there is a pidfd, so a signal can never
//!    reach an unrelated process that reused the pid of a reaped child; a reaped child
//!    is never signalled.
//! 3. A [`Child`] dropped before it was reaped is handed to the reaper (`reaper.rs`):
//!    a task waits on its pidfd and reaps it when it exits, so no dropped child stays a
//!    zombie. Without a runtime (or a pidfd) it goes on an orphan list that every later
//!    spawn and drop sweeps.
//! 4. Pipes are switched to non-blocking mode and registered with the reactor. Writing to
//!    a child's stdin after it closed it returns `BrokenPipe` when `SIGPIPE` is ignored,
//!    which Rust programs do by default.

mod child;
mod pipes;
mod reaper;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::Child;
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

use crate::reactor::async_fd::Async;

/// Builds and spawns a child process: a `std::process::Command` plus
/// [`kill_on_drop`](Self::kill_on_drop). Everything std offers (and its Unix
/// `CommandExt`: `pre_exec`, `uid`, `gid`, `process_group`, ...) is reachable through
/// [`as_std_mut`](Self::as_std_mut) or by building from a std command (`From`).
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::process::Command;
///
/// let out = Command::new("echo").arg("hello").output().await?;
/// assert!(out.status.success());
/// assert_eq!(out.stdout, b"hello\n");
///
/// // A std command, with everything std can set, becomes an async one.
/// let mut std = std::process::Command::new("sh");
/// std.args(["-c", "echo $0"]).env_clear();
/// let out = corio_reactor::process::Command::from(std).output().await?;
/// assert_eq!(out.stdout, b"sh\n");
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
        }
    }
}

impl Command {
    /// A command running `program` (looked up in `PATH`).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// asyncio's `create_subprocess_shell`: runs `command` with `/bin/sh -c`.
    ///
    /// The command line is interpreted by the shell: never build it from untrusted
    /// input (use [`new`](Self::new) and [`arg`](Self::arg) instead).
    ///
    /// # Examples
    ///
    /// ```
    /// # corio::run(async {
    /// use corio_reactor::process::Command;
    /// let out = Command::shell("echo one; echo two >&2; exit 3").output().await?;
    /// assert_eq!(out.stdout, b"one\n");
    /// assert_eq!(out.stderr, b"two\n");
    /// assert_eq!(out.status.code(), Some(3));
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub fn shell(command: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(command);
        c
    }

    /// The std command inside.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The std command inside, to reach everything std offers.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.std.arg(arg);
        self
    }
    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }
    /// Sets an environment variable.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Self {
        self.std.env(key, val);
        self
    }
    /// Sets several environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }
    /// Removes an environment variable.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.std.env_remove(key);
        self
    }
    /// Clears the environment.
    pub fn env_clear(&mut self) -> &mut Self {
        self.std.env_clear();
        self
    }
    /// Sets the working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.std.current_dir(dir);
        self
    }
    /// Configures stdin (`Stdio::piped()` gives [`Child::stdin`]).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.std.stdin(cfg);
        self
    }
    /// Configures stdout (`Stdio::piped()` gives [`Child::stdout`]).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.std.stdout(cfg);
        self
    }
    /// Configures stderr (`Stdio::piped()` gives [`Child::stderr`]).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.std.stderr(cfg);
        self
    }
    /// Runs the child as user `uid` (`setuid`, which needs privileges).
    pub fn uid(&mut self, uid: u32) -> &mut Self {
        self.std.uid(uid);
        self
    }
    /// Runs the child as group `gid` (`setgid`).
    pub fn gid(&mut self, gid: u32) -> &mut Self {
        self.std.gid(gid);
        self
    }
    /// Puts the child in process group `pgroup` (0: a new group led by the child), so
    /// a terminal's Ctrl-C does not reach it and `kill(-pgid)` signals its whole tree.
    ///
    /// # Examples
    ///
    /// ```
    /// # corio::run(async {
    /// use corio_reactor::process::Command;
    /// use std::process::Stdio;
    ///
    /// // The child leads a new group: its process group id is its own pid.
    /// let child = Command::new("sh")
    ///     .args(["-c", "cut -d' ' -f5 /proc/$$/stat"])
    ///     .process_group(0)
    ///     .stdout(Stdio::piped())
    ///     .spawn()?;
    /// let pid = child.id();
    /// let out = child.wait_with_output().await?;
    /// assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), pid.to_string());
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Self {
        self.std.process_group(pgroup);
        self
    }
    /// Runs `f` in the child after `fork` and before `exec`.
    ///
    /// # Safety
    /// As for `std::os::unix::process::CommandExt::pre_exec`: `f` runs in a forked copy of
    /// a multi-threaded process, so it may only do async-signal-safe things (no
    /// allocation, no locks).
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Self
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds `pre_exec`'s contract (this function's `# Safety`).
        unsafe { self.std.pre_exec(f) };
        self
    }
    /// Whether dropping the [`Child`] before it was reaped kills it (`SIGKILL`). Off by
    /// default: a dropped child keeps running (and is reaped when it exits).
    ///
    /// # Examples
    ///
    /// ```
    /// # corio::run(async {
    /// use corio_reactor::process::Command;
    ///
    /// let child = Command::new("sleep").arg("600").kill_on_drop(true).spawn()?;
    /// let pid = child.id();
    /// drop(child); // killed now, and reaped by a runtime task once it has exited
    /// let gone = || !std::path::Path::new(&format!("/proc/{pid}")).exists();
    /// for _ in 0..1000 {
    ///     if gone() {
    ///         break;
    ///     }
    ///     corio::sleep(std::time::Duration::from_millis(5)).await;
    /// }
    /// assert!(gone(), "no zombie left");
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Self {
        self.kill_on_drop = kill;
        self
    }

    /// Starts the process.
    ///
    /// # Errors
    /// `NotFound` for a missing program and other OS errors unchanged; outside a
    /// runtime, the `NoRuntime` error naming `corio::process::Command::spawn`.
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.spawn_named("corio::process::Command::spawn", self.kill_on_drop)
    }

    fn spawn_named(&mut self, name: &'static str, kill_on_drop: bool) -> io::Result<Child> {
        crate::reactor::ReactorHandle::current(name)?;
        reaper::sweep();
        let mut child = self.std.spawn()?;
        let pipes = [
            child.stdin.is_some(),
            child.stdout.is_some(),
            child.stderr.is_some(),
        ];
        let stdin = child.stdin.take().map(|s| Async::new_named(s, name));
        let stdout = child.stdout.take().map(|s| Async::new_named(s, name));
        let stderr = child.stderr.take().map(|s| Async::new_named(s, name));
        let pidfd = child::pidfd_open(child.id())
            .and_then(|fd| fd.map(|fd| Async::new_named(fd, name)).transpose());
        let mut child = Child::new(child, kill_on_drop, pipes);
        // On any registration error the child is dropped: killed if configured, reaped.
        child.pidfd = pidfd?;
        child.stdin = stdin.transpose()?.map(ChildStdin::new);
        child.stdout = stdout.transpose()?.map(ChildStdout::new);
        child.stderr = stderr.transpose()?.map(ChildStderr::new);
        Ok(child)
    }

    /// Runs the process to completion (inheriting stdio) and returns its status.
    ///
    /// # Errors
    /// As for [`spawn`](Self::spawn) and [`Child::wait`].
    ///
    /// # Cancel safety
    /// Dropping the future kills the child (`SIGKILL`) and reaps it.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn_named("corio::process::Command::status", true)?
            .wait()
            .await
    }

    /// Runs the process with stdout and stderr captured (stdin: null unless set) and
    /// returns its status and output.
    ///
    /// # Errors
    /// As for [`spawn`](Self::spawn) and [`Child::wait_with_output`].
    ///
    /// # Cancel safety
    /// Dropping the future (e.g. under a timeout) kills the child (`SIGKILL`) and reaps
    /// it: nothing is left running and no zombie stays.
    pub async fn output(&mut self) -> io::Result<Output> {
        self.std.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = self.spawn_named("corio::process::Command::output", true)?;
        child.wait_with_output().await
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}

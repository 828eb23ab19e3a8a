//! Subprocesses (asyncio's `create_subprocess_exec`): [`Command`], [`Child`] and its
//! piped stdin/stdout/stderr as async streams.
//!
//! # Implementation
//! Exit is observed through a *pidfd* (`pidfd_open`, Linux 5.3+): it becomes readable
//! when the child exits, so the reactor wakes the waiting task and `waitpid(WNOHANG)`
//! reaps it. On kernels without `pidfd_open` (`ENOSYS`), `wait` instead blocks one
//! blocking-pool thread in `waitid(WNOWAIT)` and reaps afterwards. No `SIGCHLD` handler
//! is installed, so other code's child handling is unaffected.
//!
//! Pipes are switched to non-blocking mode and registered with the reactor. Writing to
//! a child's stdin after it closed it returns `BrokenPipe` when `SIGPIPE` is ignored,
//! which Rust programs do by default.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::pin::Pin;
use std::process::{ExitStatus, Output, Stdio};
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::blocking;
use crate::reactor::async_fd::Async;

/// Builds and spawns a child process (a wrapper over `std::process::Command`).
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
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// A command running `program` (looked up in `PATH`).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: std::process::Command::new(program),
            kill_on_drop: false,
        }
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
    /// Whether dropping the [`Child`] before it was waited for kills it (`SIGKILL`).
    /// Off by default: a dropped child keeps running.
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
        const NAME: &str = "corio::process::Command::spawn";
        crate::reactor::ReactorHandle::current(NAME)?;
        let mut child = self.std.spawn()?;
        let stdin = child
            .stdin
            .take()
            .map(|s| Async::new_named(s, NAME))
            .transpose();
        let stdout = child
            .stdout
            .take()
            .map(|s| Async::new_named(s, NAME))
            .transpose();
        let stderr = child
            .stderr
            .take()
            .map(|s| Async::new_named(s, NAME))
            .transpose();
        let pidfd = pidfd_open(child.id())
            .and_then(|fd| fd.map(|fd| Async::new_named(fd, NAME)).transpose());
        let mut child = Child {
            child,
            pidfd: None,
            status: None,
            kill_on_drop: self.kill_on_drop,
            stdin: None,
            stdout: None,
            stderr: None,
        };
        // On any registration error the child is dropped (and killed if configured).
        child.pidfd = pidfd?;
        child.stdin = stdin?.map(|io| ChildStdin { io });
        child.stdout = stdout?.map(|io| ChildStdout { io });
        child.stderr = stderr?.map(|io| ChildStderr { io });
        Ok(child)
    }

    /// Runs the process to completion (inheriting stdio) and returns its status.
    ///
    /// # Errors
    /// As for [`spawn`](Self::spawn) and [`Child::wait`].
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }

    /// Runs the process with stdout and stderr captured (stdin: null unless set) and
    /// returns its status and output.
    ///
    /// # Errors
    /// As for [`spawn`](Self::spawn) and [`Child::wait_with_output`].
    pub async fn output(&mut self) -> io::Result<Output> {
        self.std.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = self.spawn()?;
        child.wait_with_output().await
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}

fn pidfd_open(pid: u32) -> io::Result<Option<OwnedFd>> {
    // SAFETY: raw syscall with a pid and no flags; the result is a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOSYS) | Some(libc::EPERM) => Ok(None),
            _ => Err(e),
        };
    }
    // SAFETY: the kernel returned a fresh fd that nobody else owns. pidfds are
    // close-on-exec by default.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
}

/// A running (or finished) child process.
pub struct Child {
    child: std::process::Child,
    pidfd: Option<Async<OwnedFd>>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// The child's stdin, if it was configured `Stdio::piped()`.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if piped.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    /// The OS process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends `SIGKILL` (no-op once the child was reaped).
    ///
    /// # Errors
    /// The OS error from `kill(2)`.
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        self.child.kill()
    }

    /// Kills the child and waits for it.
    ///
    /// # Errors
    /// As for [`start_kill`](Self::start_kill) and [`wait`](Self::wait).
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// The exit status if the child has exited (reaping it), without waiting.
    ///
    /// # Errors
    /// The OS error from `waitpid`.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.child.try_wait()?;
        }
        Ok(self.status)
    }

    /// Waits for the child to exit and returns its status. Closes our end of its stdin
    /// first (so a child reading stdin sees end-of-file), as asyncio does.
    ///
    /// # Errors
    /// The OS error from `waitpid`.
    ///
    /// # Cancel safety
    /// Cancel safe: waiting again later returns the status.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(s) = self.status {
            return Ok(s);
        }
        let status = match &self.pidfd {
            Some(pidfd) => {
                let child = &mut self.child;
                pidfd
                    .read_with(|_| match child.try_wait()? {
                        Some(s) => Ok(s),
                        None => Err(io::ErrorKind::WouldBlock.into()),
                    })
                    .await?
            }
            None => {
                let pid = self.child.id() as libc::id_t;
                blocking::run("corio::process::Child::wait", move || wait_exited(pid)).await?;
                self.child.wait()?
            }
        };
        self.status = Some(status);
        Ok(status)
    }

    /// Waits for the child while collecting all of stdout and stderr (those not piped
    /// come back empty).
    ///
    /// # Errors
    /// Read errors on the pipes, or the wait error.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (mut out, mut err) = (self.stdout.take(), self.stderr.take());
        let read_out = async {
            let mut v = Vec::new();
            if let Some(s) = out.as_mut() {
                s.read_to_end(&mut v).await?;
            }
            Ok::<_, io::Error>(v)
        };
        let read_err = async {
            let mut v = Vec::new();
            if let Some(s) = err.as_mut() {
                s.read_to_end(&mut v).await?;
            }
            Ok::<_, io::Error>(v)
        };
        let (stdout, stderr, status) = futures::join!(read_out, read_err, self.wait());
        Ok(Output {
            status: status?,
            stdout: stdout?,
            stderr: stderr?,
        })
    }
}

// Blocks until `pid` has exited, leaving it to be reaped by `Child::wait`.
fn wait_exited(pid: libc::id_t) -> io::Result<()> {
    loop {
        // SAFETY: an all-zero siginfo_t is a valid out-parameter.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t.
        let r = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
        match sys_result(r) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn sys_result(r: i32) -> io::Result<()> {
    crate::sys::cvt(r).map(drop)
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.kill_on_drop && self.status.is_none() {
            let _ = self.child.kill();
            // Reap it if it is already gone; otherwise leave reaping to a pool thread
            // when one is available (a killed child exits promptly).
            if let Ok(None) = self.child.try_wait() {
                let pid = self.child.id() as libc::pid_t;
                let _ = corio_core::task::try_spawn_blocking(move || {
                    let mut st = 0;
                    // SAFETY: waiting for our own child; `st` is a valid out-parameter.
                    unsafe { libc::waitpid(pid, &mut st, 0) };
                });
            }
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.child.id())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The child's stdin: `AsyncWrite`; drop or `close` it to send end-of-file.
pub struct ChildStdin {
    io: Async<std::process::ChildStdin>,
}
/// The child's stdout: `AsyncRead`.
pub struct ChildStdout {
    io: Async<std::process::ChildStdout>,
}
/// The child's stderr: `AsyncRead`.
pub struct ChildStderr {
    io: Async<std::process::ChildStderr>,
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no half-close: closing means closing the fd, which happens on drop.
        Pin::new(&mut self.io).poll_flush(cx)
    }
}

macro_rules! reader {
    ($t:ident) => {
        impl AsyncRead for $t {
            fn poll_read(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.io).poll_read(cx, buf)
            }
        }
    };
}
reader!(ChildStdout);
reader!(ChildStderr);

macro_rules! pipe_common {
    ($($t:ident),*) => {$(
        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.io.as_raw_fd()
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t)).field("fd", &self.io.as_raw_fd()).finish()
            }
        }
    )*};
}
pipe_common!(ChildStdin, ChildStdout, ChildStderr);

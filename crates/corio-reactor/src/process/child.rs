//! [`Child`]: a spawned process, its exit status, signals and pipes.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{ExitStatus, Output};

use futures::io::{AsyncReadExt, AsyncWriteExt};

use super::pipes::{ChildStderr, ChildStdin, ChildStdout};
use super::reaper;
use crate::blocking;
use crate::reactor::async_fd::Async;

pub(super) fn pidfd_open(pid: u32) -> io::Result<Option<OwnedFd>> {
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
///
/// Dropping it before it was reaped never leaves a zombie: the child keeps running (or
/// is killed, with [`kill_on_drop`](super::Command::kill_on_drop)) and is reaped in the
/// background when it exits.
///
/// While it runs (until it is reaped or dropped), the child holds a paused clock
/// ([`Clock::hold`](corio_core::Clock::hold)): virtual time does not jump over its work
/// but flows at real speed, so a `timeout` around `wait` or `output` cannot fire early.
pub struct Child {
    /// Holds a paused runtime clock until the child is reaped (or the handle dropped).
    hold: Option<corio_core::clock::HoldGuard>,
    child: std::process::Child,
    pub(super) pidfd: Option<Async<OwnedFd>>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// Which of stdin, stdout, stderr were piped at spawn (to tell "taken" from "not
    /// piped" in `communicate`).
    piped: [bool; 3],
    /// The child's stdin, if it was configured `Stdio::piped()`.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if piped.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    pub(super) fn new(child: std::process::Child, kill_on_drop: bool, piped: [bool; 3]) -> Child {
        Child {
            hold: corio_core::context::clock().map(|clock| clock.hold()),
            child,
            pidfd: None,
            status: None,
            kill_on_drop,
            piped,
            stdin: None,
            stdout: None,
            stderr: None,
        }
    }

    /// The OS process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends signal `signum` (asyncio's `send_signal`). A child already reaped is not
    /// signalled (its pid may belong to another process by now): that is a no-op.
    ///
    /// # Errors
    /// `InvalidInput` for a number out of range; the OS error from
    /// `pidfd_send_signal`/`kill`.
    ///
    /// # Examples
    ///
    /// ```
    /// # corio::run(async {
    /// use corio_reactor::process::Command;
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// let mut child = Command::new("sleep").arg("30").spawn()?;
    /// child.send_signal(libc::SIGUSR1)?;
    /// assert_eq!(child.wait().await?.signal(), Some(libc::SIGUSR1));
    /// # Ok::<(), std::io::Error>(()) }).unwrap();
    /// ```
    pub fn send_signal(&mut self, signum: i32) -> io::Result<()> {
        if !(0..=libc::SIGRTMAX()).contains(&signum) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("signal {signum} is out of range"),
            ));
        }
        if self.status.is_some() {
            return Ok(());
        }
        let r = match &self.pidfd {
            // SAFETY: a valid pidfd we own, a checked signal number, no siginfo.
            Some(fd) => unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    signum,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                ) as i32
            },
            // SAFETY: `kill` on our own unreaped child's pid (it cannot have been reused).
            None => unsafe { libc::kill(self.child.id() as libc::pid_t, signum) },
        };
        crate::sys::cvt(r).map(drop)
    }

    /// Sends `SIGTERM`: asks the child to exit (asyncio's `terminate`).
    ///
    /// # Errors
    /// As for [`send_signal`](Self::send_signal).
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Sends `SIGKILL` (no-op once the child was reaped).
    ///
    /// # Errors
    /// As for [`send_signal`](Self::send_signal).
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
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
            if self.status.is_some() {
                self.hold = None;
            }
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
        self.hold = None;
        Ok(status)
    }

    /// asyncio's `communicate(input)`: writes `input` to stdin (then closes it) while
    /// reading all of stdout and stderr, then waits for the exit. Writing and reading
    /// run concurrently, so neither side can fill a pipe and block the other, however
    /// large both are. A child that exits without reading all its input is not an error.
    ///
    /// # Errors
    /// `InvalidInput` if a pipe configured `Stdio::piped()` was taken out of the `Child`
    /// (or consumed by an earlier `communicate`), or if `input` is given but stdin is not
    /// piped; read errors on the pipes; the wait error.
    ///
    /// # Cancel safety
    /// Not cancel safe: the pipes are consumed, so output read so far is lost (the child
    /// keeps running).
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<Output> {
        let present = [
            self.stdin.is_some(),
            self.stdout.is_some(),
            self.stderr.is_some(),
        ];
        for (i, name) in ["stdin", "stdout", "stderr"].into_iter().enumerate() {
            if self.piped[i] && !present[i] {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "communicate: the child's {name} pipe was taken out of the Child \
                         (or consumed by an earlier communicate)"
                    ),
                ));
            }
        }
        if input.is_some() && !self.piped[0] {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "communicate: input was given but the child's stdin is not piped",
            ));
        }
        self.collect(input).await
    }

    /// Waits for the child while collecting all of stdout and stderr (those not piped, or
    /// taken out of the `Child`, come back empty).
    ///
    /// # Errors
    /// Read errors on the pipes, or the wait error.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        self.collect(None).await
    }

    async fn collect(&mut self, input: Option<&[u8]>) -> io::Result<Output> {
        let (stdin, mut out, mut err) = (self.stdin.take(), self.stdout.take(), self.stderr.take());
        let write = async {
            if let (Some(mut pipe), Some(data)) = (stdin, input) {
                match pipe.write_all(data).await {
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                        ) => {}
                    other => other?,
                }
            } // dropping the pipe closes it: the child reads end-of-file
            Ok::<_, io::Error>(())
        };
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
        let (written, stdout, stderr) = futures::join!(write, read_out, read_err);
        let status = self.wait().await;
        written?;
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
        match crate::sys::cvt(r) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other.map(drop),
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = self.start_kill();
        }
        // Never a zombie: reaped now if it exited, else in the background.
        reaper::adopt(self.child.id() as libc::pid_t, self.pidfd.take());
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

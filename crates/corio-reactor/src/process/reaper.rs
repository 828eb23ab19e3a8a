//! Reaping children that were dropped before they were waited for (rule 3 of the
//! module docs): no dropped child stays a zombie.
//!
//! # Rules
//! 1. A dropped child that already exited is reaped at once (`waitpid(WNOHANG)`).
//! 2. Otherwise, with a pidfd and a runtime, a detached task waits for the pidfd to turn
//!    readable (the child exited) and reaps it.
//! 3. Whenever that is impossible (no pidfd, no runtime, the task is cancelled at
//!    shutdown), the pid goes on the orphan list, which every later `spawn` and every
//!    later drop sweeps. A pid is only ever on the list or in a task, never both, and it
//!    leaves either by being reaped.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Mutex;

use crate::reactor::async_fd::Async;

static ORPHANS: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

fn orphans() -> std::sync::MutexGuard<'static, Vec<libc::pid_t>> {
    ORPHANS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reaps `pid` if it has exited; true when it is gone (reaped now, or by someone else).
fn try_reap(pid: libc::pid_t) -> bool {
    let mut status = 0;
    // SAFETY: waiting for our own child without blocking; `status` is a valid
    // out-parameter.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    r == pid || (r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD))
}

/// Reaps every orphan that has exited (rule 3).
pub(super) fn sweep() {
    let mut list = orphans();
    if !list.is_empty() {
        list.retain(|&pid| !try_reap(pid));
    }
}

/// Takes over reaping `pid` (rules 1-3).
pub(super) fn adopt(pid: libc::pid_t, pidfd: Option<Async<OwnedFd>>) {
    sweep();
    if try_reap(pid) {
        return;
    }
    let Some(pidfd) = pidfd else {
        orphans().push(pid);
        return;
    };
    let mut guard = Orphan(Some(pid));
    // If the spawn fails, the future and its guard are dropped: the pid is listed.
    let _detached = corio_core::task::try_spawn(async move {
        let reaped = pidfd
            .read_with(|_| {
                if try_reap(pid) {
                    Ok(())
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                }
            })
            .await;
        if reaped.is_ok() {
            guard.disarm();
        }
    });
}

/// Lists its pid as an orphan when dropped unreaped (a cancelled reaper task).
struct Orphan(Option<libc::pid_t>);

impl Orphan {
    /// The pid was reaped: nothing to list.
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take() {
            if !try_reap(pid) {
                orphans().push(pid);
            }
        }
    }
}

//! Unix signals as streams: [`signal`] and [`SignalKind`], and asyncio's
//! `loop.add_signal_handler` as [`add_signal_handler`].
//!
//! How deliveries reach listeners is described in the registry's rules (the parent
//! module's `# Implementation`); in short: every listener of a signal sees every delivery
//! made after it was created, deliveries that pile up before a listener looks coalesce
//! into one, and while no listener exists the signal keeps its previous behaviour.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

use super::registry;
use crate::reactor::async_fd::Async;

/// A signal to listen for: a named constructor per common signal, or any number with
/// [`from_raw`](SignalKind::from_raw).
///
/// # Examples
///
/// ```
/// use corio_reactor::signal::unix::SignalKind;
/// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal number (checked when a listener is created: see [`signal`]'s errors).
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
    /// The signal number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }
    /// `SIGALRM`.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }
    /// `SIGCHLD`: a child stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }
    /// `SIGHUP`: the terminal hung up; by convention, "reload your configuration".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }
    /// `SIGINT`: Ctrl-C.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }
    /// `SIGIO`.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }
    /// `SIGPIPE`.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }
    /// `SIGQUIT`: Ctrl-\.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }
    /// `SIGTERM`: the polite "please stop" of `kill`, systemd, Docker and Kubernetes.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }
    /// `SIGUSR1`.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }
    /// `SIGUSR2`.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }
    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignalKind({})", self.0)
    }
}

/// Listens for `kind`: the returned [`Signal`] yields once per delivery (deliveries that
/// arrive while nobody polls coalesce into one).
///
/// Every `Signal` of the same kind sees every delivery made after it was created, also
/// those before its first poll. While at least one listener (or
/// [`add_signal_handler`] handler) of a signal exists, the signal no longer has its
/// default effect; when the last one is dropped, the previous disposition comes back (a
/// `SIGTERM` nobody listens for terminates the process again).
///
/// # Errors
/// `InvalidInput` for `SIGKILL`, `SIGSTOP`, the fault signals (`SIGSEGV`, `SIGBUS`,
/// `SIGILL`, `SIGFPE`) and numbers out of range; the OS error from `sigaction`; outside a
/// runtime, the `NoRuntime` error naming `corio::signal::unix::signal`.
///
/// # Examples
///
/// ```
/// # corio::run(async {
/// use corio_reactor::signal::unix::{signal, SignalKind};
///
/// let mut hangups = signal(SignalKind::hangup())?;
/// // SAFETY (of the doc example): raising a signal at ourselves, which `hangups` catches.
/// unsafe { libc::raise(libc::SIGHUP) };
/// hangups.recv().await; // reload the configuration here
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    Signal::new(kind, "corio::signal::unix::signal")
}

/// A stream of deliveries of one signal (see [`signal`]).
pub struct Signal {
    // Declared first: deregistered before the listener count drops.
    io: Async<OwnedFd>,
    kind: SignalKind,
    seen: u64,
    /// `None` only inside [`add_signal_handler`]'s task, whose [`SignalHandler`] holds the
    /// listener instead (so removing the handler gives the disposition back at once).
    listener: Option<Listener>,
}

/// One listener of a signal in the process-wide table (registry rule 4): the handler is
/// installed while any lives; the last one dropped restores the previous disposition.
struct Listener(i32);

impl Drop for Listener {
    fn drop(&mut self) {
        registry::remove_listener(self.0);
    }
}

impl Signal {
    pub(crate) fn new(kind: SignalKind, function: &'static str) -> io::Result<Signal> {
        crate::reactor::ReactorHandle::current(function)?;
        registry::check(kind.0)?;
        let fd = registry::eventfd()?.as_fd().try_clone_to_owned()?;
        let io = Async::new_named(fd, function)?;
        let seen = registry::add_listener(kind.0)?;
        Ok(Signal {
            io,
            kind,
            seen,
            listener: Some(Listener(kind.0)),
        })
    }

    /// The signal this listens for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }

    /// Waits for the next delivery. Returns `None` only if the reactor shut down.
    ///
    /// # Cancel safety
    /// Cancel safe: a delivery is consumed only when `recv` returns it.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The `poll` form of [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let signum = self.kind.0;
        let seen = self.seen;
        match self.io.poll_read_with(cx, |_| {
            let now = registry::count(signum);
            if now != seen {
                Ok(now)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            }
        }) {
            Poll::Ready(Ok(now)) => {
                self.seen = now;
                Poll::Ready(Some(()))
            }
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Stream for Signal {
    type Item = ();
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish()
    }
}

/// asyncio's `loop.add_signal_handler(sig, callback)`: runs `callback` on a task of the
/// current runtime once per delivery of `kind` (coalesced as for [`signal`]) until the
/// returned [`SignalHandler`] is removed or dropped.
///
/// # Errors
/// As for [`signal`]; the spawn error if the runtime is shutting down.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use corio_reactor::signal::unix::{add_signal_handler, SignalKind};
///
/// corio::run(async {
///     let reloads = Arc::new(AtomicUsize::new(0));
///     let r = reloads.clone();
///     let handler = add_signal_handler(SignalKind::user_defined1(), move || {
///         r.fetch_add(1, Ordering::SeqCst);
///     })?;
///     // SAFETY (of the doc example): SIGUSR1 is handled by `handler`.
///     unsafe { libc::raise(libc::SIGUSR1) };
///     while reloads.load(Ordering::SeqCst) == 0 {
///         corio::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     handler.remove(); // loop.remove_signal_handler(sig)
///     Ok::<(), std::io::Error>(())
/// }).unwrap();
/// ```
pub fn add_signal_handler<F>(kind: SignalKind, mut callback: F) -> io::Result<SignalHandler>
where
    F: FnMut() + Send + 'static,
{
    const NAME: &str = "corio::signal::unix::add_signal_handler";
    let mut signal = Signal::new(kind, NAME)?;
    // The handler holds the listener: `remove` (or a drop) gives the signal back at once,
    // not when the aborted task is next scheduled and dropped.
    let listener = signal.listener.take();
    corio_core::context::spawner(NAME).map_err(io::Error::other)?;
    let task = corio_core::task::try_spawn(async move {
        while signal.recv().await.is_some() {
            callback();
        }
    })
    .map_err(io::Error::other)?;
    Ok(SignalHandler {
        kind,
        task: Some(task),
        _listener: listener,
    })
}

/// The handler installed by [`add_signal_handler`]; dropping it (or
/// [`remove`](Self::remove)) stops the callback and gives the signal its previous
/// disposition back when no other listener remains.
#[must_use = "dropping a SignalHandler removes the handler at once"]
pub struct SignalHandler {
    kind: SignalKind,
    task: Option<corio_core::task::TaskHandle<()>>,
    /// Dropped right after `drop` aborted the task: the disposition is restored (if this
    /// was the last listener) before `remove` returns.
    _listener: Option<Listener>,
}

impl SignalHandler {
    /// The signal handled.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }

    /// Removes the handler (asyncio's `loop.remove_signal_handler`).
    pub fn remove(mut self) {
        self.abort();
    }

    fn abort(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for SignalHandler {
    fn drop(&mut self) {
        self.abort();
    }
}

impl fmt::Debug for SignalHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalHandler")
            .field("kind", &self.kind)
            .finish()
    }
}

/// Completes at the next delivery of `kind` after this call (a one-shot [`signal`]).
pub(crate) fn next(
    kind: SignalKind,
    function: &'static str,
) -> impl Future<Output = io::Result<()>> {
    let listener = Signal::new(kind, function);
    async move {
        let mut listener = listener?;
        match listener.recv().await {
            Some(()) => Ok(()),
            None => Err(crate::reactor::shutdown_error()),
        }
    }
}

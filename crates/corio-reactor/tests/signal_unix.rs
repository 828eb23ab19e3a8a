//! `signal::unix`: any signal as a stream. Own test binary (signal dispositions are
//! process-wide); each test uses its own signal so that tests running in parallel do not
//! see each other's deliveries.
#![cfg(not(miri))]

use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio_reactor::signal::unix::{add_signal_handler, signal, SignalKind};
use futures::{FutureExt, StreamExt};

fn raise(signum: i32) {
    // SAFETY: raising a signal at ourselves; each test has a listener installed for it.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

/// The current disposition of `signum` (`SIG_DFL`, `SIG_IGN` or a handler). Tests compare
/// it with the one found before they listened, not with `SIG_DFL`: a test run started
/// under `nohup` (or as a background job) inherits SIGHUP (or SIGINT/SIGQUIT) ignored.
fn disposition(signum: i32) -> libc::sighandler_t {
    // SAFETY: an all-zero sigaction is a valid out-parameter; a null `act` only queries.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let r = unsafe { libc::sigaction(signum, std::ptr::null(), &mut old) };
    assert_eq!(r, 0);
    old.sa_sigaction
}

#[corio::test(start_paused = true)]
async fn several_listeners_each_see_a_delivery() {
    let mut a = signal(SignalKind::user_defined1()).unwrap();
    let mut b = signal(SignalKind::user_defined1()).unwrap();
    let mut c = signal(SignalKind::from_raw(libc::SIGUSR1)).unwrap();
    raise(libc::SIGUSR1);
    assert_eq!(a.recv().await, Some(()));
    assert_eq!(b.recv().await, Some(()));
    assert_eq!(c.next().await, Some(()));
    // Each consumed its own copy: none has another one pending.
    assert!(a.recv().now_or_never().is_none());
    assert!(b.recv().now_or_never().is_none());
}

#[corio::test(start_paused = true)]
async fn a_delivery_before_the_first_poll_is_not_lost() {
    let mut s = signal(SignalKind::user_defined2()).unwrap();
    raise(libc::SIGUSR2);
    // Not polled before the delivery; it still sees it.
    assert_eq!(s.recv().await, Some(()));
}

#[corio::test(start_paused = true)]
async fn deliveries_while_nobody_polls_coalesce_into_one() {
    let mut s = signal(SignalKind::window_change()).unwrap();
    raise(libc::SIGWINCH);
    raise(libc::SIGWINCH);
    raise(libc::SIGWINCH);
    assert_eq!(s.recv().await, Some(()));
    assert!(s.recv().now_or_never().is_none());
    raise(libc::SIGWINCH);
    assert_eq!(s.recv().await, Some(()));
}

#[corio::test(start_paused = true)]
async fn cancelled_recv_loses_no_delivery() {
    let mut s = signal(SignalKind::alarm()).unwrap();
    // A recv polled once and dropped while pending consumes nothing.
    assert!(s.recv().now_or_never().is_none());
    raise(libc::SIGALRM);
    assert_eq!(s.recv().await, Some(()));
}

#[corio::test(start_paused = true)]
async fn refused_signals_are_io_errors() {
    for signum in [libc::SIGKILL, libc::SIGSTOP, 0, -1, 65, 1000, libc::SIGSEGV] {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "signal {signum}: {err}"
        );
        assert!(err.to_string().contains(&signum.to_string()), "{err}");
    }
    // A real-time signal is fine.
    let rt = libc::SIGRTMIN() + 3;
    let mut s = signal(SignalKind::from_raw(rt)).unwrap();
    raise(rt);
    assert_eq!(s.recv().await, Some(()));
}

#[corio::test(start_paused = true)]
async fn the_default_comes_back_when_the_last_listener_is_dropped() {
    let quit = libc::SIGQUIT;
    let before = disposition(quit);
    let a = signal(SignalKind::quit()).unwrap();
    let b = signal(SignalKind::quit()).unwrap();
    assert_ne!(disposition(quit), before);
    drop(a);
    assert_ne!(disposition(quit), before, "one listener is left");
    drop(b);
    assert_eq!(
        disposition(quit),
        before,
        "nobody listens: SIGQUIT does what it did before"
    );
}

#[corio::test(start_paused = true)]
async fn ctrl_c_does_not_swallow_sigint_once_dropped() {
    let before = disposition(libc::SIGINT);
    let c = corio_reactor::signal::ctrl_c();
    assert_ne!(disposition(libc::SIGINT), before);
    drop(c);
    assert_eq!(disposition(libc::SIGINT), before);
}

#[corio::test(start_paused = true)]
async fn add_signal_handler_runs_the_callback_until_removed() {
    let hup = libc::SIGHUP;
    let before = disposition(hup);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let handler = add_signal_handler(SignalKind::hangup(), move || {
        c.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    assert_eq!(handler.kind(), SignalKind::hangup());
    raise(hup);
    while calls.load(Ordering::SeqCst) == 0 {
        corio::task::yield_now().await;
    }
    handler.remove();
    // The disposition is back before `remove` returns (the aborted task is dropped later).
    assert_eq!(disposition(hup), before);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn outside_a_runtime_the_error_names_the_function() {
    let err = signal(SignalKind::terminate()).unwrap_err();
    assert!(
        err.to_string().contains("corio::signal::unix::signal"),
        "{err}"
    );
}

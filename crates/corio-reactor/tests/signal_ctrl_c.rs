//! ctrl_c completes when we raise SIGINT at ourselves. Own test binary: it installs a
//! process-wide SIGINT handler.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[test]
fn raising_sigint_completes_ctrl_c() {
    let mut rt = support::Rt::new();
    let _g = rt.cx.enter();
    let mut first = pin!(corio_reactor::signal::ctrl_c());
    let mut second = pin!(corio_reactor::signal::ctrl_c());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    // Spurious park: nothing happened yet.
    drop(_g);
    let _ = corio_core::Driver::park(&mut rt.reactor, Some(std::time::Duration::from_millis(1)));
    let _g = rt.cx.enter();
    assert!(first.as_mut().poll(&mut cx).is_pending());

    // SAFETY: raising a signal at ourselves; our handler is installed, so it does not
    // terminate the process.
    assert_eq!(unsafe { libc::raise(libc::SIGINT) }, 0);
    drop(_g);
    rt.block_on(async {
        first.await.unwrap();
        second.await.unwrap();
    });
}

#[test]
fn outside_a_runtime_names_the_function() {
    let err = futures::executor::block_on(corio_reactor::signal::ctrl_c()).unwrap_err();
    assert!(err.to_string().contains("corio::signal::ctrl_c"));
    let _ = Poll::<()>::Pending;
}

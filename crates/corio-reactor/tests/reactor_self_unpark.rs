//! An unpark made by the thread that is delivering the reactor's events (a waker run by
//! `park` notifies the worker parked there: itself) leaves no eventfd write behind,
//! while every other unpark is still delivered.
mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use corio_core::{Driver, Unparker};
use corio_reactor::net::UdpSocket;
use support::Rt;

/// A waker that does what an executor does for a task woken inside its worker's park:
/// it notifies the worker, i.e. unparks the reactor.
struct UnparkOnWake {
    unparker: Unparker,
    wakes: AtomicUsize,
}

impl Wake for UnparkOnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.unparker.unpark();
    }
}

#[test]
fn a_wake_run_inside_park_does_not_leave_a_self_unpark_pending() {
    let mut rt = Rt::new();
    let sock = rt.block_on(async { UdpSocket::bind("127.0.0.1:0").await.unwrap() });
    let to = sock.local_addr().unwrap();
    // Drain the fresh registration's writable edge.
    while rt.reactor.park(Some(Duration::ZERO)) {}

    let waker_state = Arc::new(UnparkOnWake {
        unparker: rt.reactor.unparker(),
        wakes: AtomicUsize::new(0),
    });
    let waker = Waker::from(waker_state.clone());
    let mut buf = [0u8; 16];
    let mut recv = pin!(sock.recv_from(&mut buf));
    {
        let _g = rt.cx.enter();
        let mut cx = Context::from_waker(&waker);
        assert!(recv.as_mut().poll(&mut cx).is_pending());
    }
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"ping", to).unwrap();

    // The readable event wakes the task inside `park`; its unpark targets this very park.
    let mut rounds = 0;
    while waker_state.wakes.load(Ordering::SeqCst) == 0 {
        rt.reactor.park(Some(Duration::from_millis(100)));
        rounds += 1;
        assert!(rounds < 100, "the datagram's event never arrived");
    }
    assert_eq!(waker_state.wakes.load(Ordering::SeqCst), 1);
    // Nothing is left pending: no eventfd write was made for it.
    assert!(!rt.reactor.park(Some(Duration::ZERO)));

    // Outside the delivery, the same thread's unpark is delivered as always.
    waker.wake_by_ref();
    assert!(rt.reactor.park(Some(Duration::ZERO)));
    assert!(!rt.reactor.park(Some(Duration::ZERO)));
    assert!(matches!(
        rt.poll_once(&mut recv.as_mut()),
        Poll::Ready(Ok((4, _)))
    ));
}

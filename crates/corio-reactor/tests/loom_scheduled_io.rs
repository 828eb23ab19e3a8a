//! loom models of the readiness word (`scheduled_io` rules 2 and 4): an epoll event
//! racing a reader that clears readiness after `WouldBlock` never leaves data unread
//! with readiness cleared, and a waker registered racing an event is always woken (or
//! sees the readiness).
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p corio-reactor --release --test loom_scheduled_io`.
#![cfg(loom)]

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio_reactor::__loom::{ScheduledIo, READABLE, READ_CLOSED};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// Counts its wake-ups.
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count(AtomicUsize::new(0)));
    let w = Waker::from(c.clone());
    (c, w)
}

/// A fresh registration whose optimistic read readiness was already cleared by a
/// `WouldBlock`: from here only events set it.
fn not_readable() -> ScheduledIo {
    let io = ScheduledIo::new();
    let Poll::Ready(seen) = io.poll_ready(true, &mut Context::from_waker(Waker::noop())) else {
        unreachable!("a new registration starts readable")
    };
    io.clear_readiness(seen);
    assert!(io
        .poll_ready(true, &mut Context::from_waker(Waker::noop()))
        .is_pending());
    io
}

/// The reactor: data lands in the socket (the kernel), then its edge event is
/// dispatched: readiness set, collected wakers woken.
/// (An RMW rather than a plain store: loom 0.7 can let a plain store race a `swap`
/// without either seeing the other.)
fn deliver(io: &ScheduledIo, data: &AtomicUsize) {
    data.swap(1, Ordering::SeqCst);
    for w in io.set_readiness(READABLE) {
        w.wake();
    }
}

#[test]
fn event_racing_clear_on_would_block_loses_no_readiness() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new()); // optimistically readable
        let data = Arc::new(AtomicUsize::new(0));
        let (wakes, waker) = counter();

        let reactor = {
            let (io, data) = (io.clone(), data.clone());
            thread::spawn(move || deliver(&io, &data))
        };

        // The reader: one `poll_read` (rule 2: snapshot, try, clear on WouldBlock),
        // then registers its waker like a task returning `Pending`.
        let mut cx = Context::from_waker(&waker);
        let mut consumed = false;
        loop {
            match io.poll_ready(true, &mut cx) {
                Poll::Pending => break,
                Poll::Ready(seen) => {
                    if data.swap(0, Ordering::SeqCst) == 1 {
                        consumed = true;
                        break;
                    }
                    io.clear_readiness(seen); // WouldBlock
                }
            }
        }
        reactor.join().unwrap();

        if !consumed {
            // The data is still in the socket: the reader must be able to get it, either
            // because readiness is still set or because it was woken to try again.
            assert_eq!(data.load(Ordering::SeqCst), 1);
            let ready = io
                .poll_ready(true, &mut Context::from_waker(Waker::noop()))
                .is_ready();
            assert!(ready, "readiness lost with data unread");
            // It returned `Pending`, so the event came after its waker was stored.
            assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "lost wake-up");
        }
    });
}

#[test]
fn waker_registered_racing_an_event_is_woken() {
    loom::model(|| {
        let io = Arc::new(not_readable());
        let data = Arc::new(AtomicUsize::new(0));
        let (wakes, waker) = counter();

        let reactor = {
            let (io, data) = (io.clone(), data.clone());
            thread::spawn(move || deliver(&io, &data))
        };

        let polled = io.poll_ready(true, &mut Context::from_waker(&waker));
        reactor.join().unwrap();

        match polled {
            // Saw the event's readiness: nothing to wake.
            Poll::Ready(seen) => assert_eq!(seen.ready() & READABLE, READABLE),
            // Rule 4: the event found the waker.
            Poll::Pending => assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "lost wake-up"),
        }
    });
}

#[test]
fn listed_waiter_racing_an_event_is_woken_and_removed() {
    loom::model(|| {
        let io = Arc::new(not_readable());
        let (wakes, waker) = counter();

        let reactor = {
            let io = io.clone();
            thread::spawn(move || {
                for w in io.set_readiness(READ_CLOSED) {
                    w.wake();
                }
            })
        };

        let mut id = None;
        let polled = io.poll_ready_listed(true, &mut id, &mut Context::from_waker(&waker));
        reactor.join().unwrap();

        match polled {
            Poll::Ready(seen) => {
                assert_eq!(seen.ready() & READ_CLOSED, READ_CLOSED);
                assert!(id.is_none(), "a completed waiter keeps no entry");
            }
            Poll::Pending => {
                assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "lost wake-up");
                // Woken: the re-poll completes and drops the entry.
                let again = io.poll_ready_listed(true, &mut id, &mut Context::from_waker(&waker));
                assert!(again.is_ready());
                assert!(id.is_none());
            }
        }
        io.remove_waiter(&mut id);
    });
}

#[test]
fn two_events_racing_two_clears_keep_the_newest_readiness() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let data = Arc::new(AtomicUsize::new(0));

        let reactor = {
            let (io, data) = (io.clone(), data.clone());
            thread::spawn(move || {
                deliver(&io, &data);
                deliver(&io, &data);
            })
        };

        // Two attempts that each see no data (WouldBlock) and clear what they saw.
        let mut consumed = false;
        for _ in 0..2 {
            if let Poll::Ready(seen) = io.poll_ready(true, &mut Context::from_waker(Waker::noop()))
            {
                if data.swap(0, Ordering::SeqCst) == 1 {
                    consumed = true;
                } else {
                    io.clear_readiness(seen);
                }
            }
        }
        reactor.join().unwrap();

        // Whatever interleaving: unread data implies readiness still set.
        if data.load(Ordering::SeqCst) == 1 {
            assert!(
                io.poll_ready(true, &mut Context::from_waker(Waker::noop()))
                    .is_ready(),
                "readiness lost with data unread (consumed earlier: {consumed})"
            );
        }
    });
}

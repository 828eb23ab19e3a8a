//! Polling a future by hand: no-op and counting wakers, and tokio-test's `task::spawn`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts its wake-ups (`wake` and `wake_by_ref` alike).
#[derive(Debug, Default)]
pub struct CountWaker(AtomicUsize);

impl CountWaker {
    /// How many times it was woken.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Whether it was woken at least once.
    pub fn woken(&self) -> bool {
        self.count() > 0
    }

    /// Resets the count to zero.
    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A [`CountWaker`] and a [`Waker`] that counts into it.
pub fn count_waker() -> (Arc<CountWaker>, Waker) {
    let c = Arc::new(CountWaker::default());
    (c.clone(), Waker::from(c))
}

/// Polls `f` once with a no-op waker.
pub fn poll_once<F: Future + Unpin + ?Sized>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `f` once with `waker`.
pub fn poll_with<F: Future + Unpin + ?Sized>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// A future under test, polled by hand with a waker that records its wake-ups
/// (tokio-test's `Spawn`).
#[derive(Debug)]
pub struct Spawn<F> {
    fut: Pin<Box<F>>,
    wakes: Arc<CountWaker>,
    waker: Waker,
}

/// Wraps `fut` for polling by hand (tokio-test's `task::spawn`; nothing is spawned).
pub fn spawn<F: Future>(fut: F) -> Spawn<F> {
    let (wakes, waker) = count_waker();
    Spawn {
        fut: Box::pin(fut),
        wakes,
        waker,
    }
}

impl<F: Future> Spawn<F> {
    /// Polls once; the wake-up record is cleared first.
    pub fn poll(&mut self) -> Poll<F::Output> {
        self.wakes.reset();
        self.fut
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// Whether the waker was woken since the last poll.
    pub fn is_woken(&self) -> bool {
        self.wakes.woken()
    }

    /// Wake-ups since the last poll.
    pub fn wake_count(&self) -> usize {
        self.wakes.count()
    }

    /// A pending future that was *not* woken must still be pending when polled: polls
    /// once and panics naming `what` if it completed without a wake-up (a lost wake-up:
    /// a real executor would never have polled it again).
    pub fn poll_not_lost(&mut self, what: &str) -> Poll<F::Output> {
        let woken = self.is_woken();
        let polled = self.poll();
        assert!(
            woken || polled.is_pending(),
            "{what}: completed without a wake-up (a lost wake-up)"
        );
        polled
    }

    /// The pinned future (for methods such as `Notified::enable`).
    pub fn fut(&mut self) -> Pin<&mut F> {
        self.fut.as_mut()
    }

    /// The future itself.
    pub fn get_mut(&mut self) -> &mut F
    where
        F: Unpin,
    {
        self.fut.as_mut().get_mut()
    }
}

/// Asserts that a `Poll` is `Pending`.
#[macro_export]
macro_rules! assert_pending {
    ($e:expr) => {
        match $e {
            ::std::task::Poll::Pending => {}
            ::std::task::Poll::Ready(_) => panic!("ready; expected pending"),
        }
    };
}

/// Asserts that a `Poll` is `Ready` and evaluates to its value.
#[macro_export]
macro_rules! assert_ready {
    ($e:expr) => {
        match $e {
            ::std::task::Poll::Ready(v) => v,
            ::std::task::Poll::Pending => panic!("pending; expected ready"),
        }
    };
}

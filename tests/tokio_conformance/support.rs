//! tokio-test's `task::spawn` harness: a future polled by hand with a waker that
//! records whether it was woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future under test (tokio-test's `Spawn`).
pub(crate) struct Spawn<F> {
    fut: Pin<Box<F>>,
    count: Arc<Count>,
    waker: Waker,
}

/// tokio-test's `task::spawn`.
pub(crate) fn spawn<F: Future>(fut: F) -> Spawn<F> {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    Spawn {
        fut: Box::pin(fut),
        waker: Waker::from(count.clone()),
        count,
    }
}

impl<F: Future> Spawn<F> {
    /// Polls once; clears the woken flag (as tokio-test does).
    pub(crate) fn poll(&mut self) -> Poll<F::Output> {
        self.count.0.store(0, Ordering::SeqCst);
        let mut cx = Context::from_waker(&self.waker);
        self.fut.as_mut().poll(&mut cx)
    }

    /// Whether the waker was woken since the last poll.
    pub(crate) fn is_woken(&self) -> bool {
        self.count.0.load(Ordering::SeqCst) > 0
    }

    /// The pinned future, for methods like `Notified::enable`.
    pub(crate) fn fut(&mut self) -> Pin<&mut F> {
        self.fut.as_mut()
    }
}

macro_rules! assert_pending {
    ($e:expr) => {
        match $e {
            std::task::Poll::Pending => {}
            std::task::Poll::Ready(_) => panic!("ready; expected pending"),
        }
    };
}

macro_rules! assert_ready {
    ($e:expr) => {
        match $e {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("pending; expected ready"),
        }
    };
}

pub(crate) use {assert_pending, assert_ready};

//! Counting drops and polls.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Hands out [`DropToken`]s and counts how many of them were dropped.
///
/// # Examples
///
/// ```
/// let drops = corio_test_util::DropCounter::new();
/// let (a, b) = (drops.token(), drops.token());
/// drop(a);
/// assert_eq!(drops.drops(), 1);
/// drop(b);
/// assert_eq!(drops.drops(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

/// Counts one drop into its [`DropCounter`] when dropped.
#[derive(Debug)]
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl DropCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// A token that counts its drop here (move it into the value under test).
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    /// How many tokens were dropped.
    pub fn drops(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counts the polls and drops of the futures it wraps.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    polls: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Counters {
    /// Counters at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Polls of the wrapped futures.
    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    /// Drops of the wrapped futures.
    pub fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }

    /// Wraps `fut`: each poll and its drop are counted.
    pub fn wrap<F: Future>(&self, fut: F) -> Counted<F> {
        Counted {
            fut: Box::pin(fut),
            c: self.clone(),
        }
    }
}

/// A future whose polls and drop are counted (see [`Counters::wrap`]).
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Counted<F> {
    fut: Pin<Box<F>>,
    c: Counters,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.c.polls.fetch_add(1, Ordering::SeqCst);
        self.fut.as_mut().poll(cx)
    }
}

impl<F> Drop for Counted<F> {
    fn drop(&mut self) {
        self.c.drops.fetch_add(1, Ordering::SeqCst);
    }
}

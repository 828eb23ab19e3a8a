//! [`Indexed`]: a future tagged with its input position.
//!
//! The collection combinators (`gather`, `wait`, `as_completed`) keep their futures in a
//! `FuturesUnordered`, which polls only the futures that were woken and hands outputs
//! back in completion order. Tagging each future with its index lets them put outputs
//! back in input order, and hand unfinished futures back in input order.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future and its position in the caller's input.
#[derive(Debug)]
pub(crate) struct Indexed<F> {
    pub(crate) index: usize,
    future: F,
}

impl<F> Indexed<F> {
    pub(crate) fn new(index: usize, future: F) -> Self {
        Indexed { index, future }
    }

    /// The future back (only for `Unpin` futures, which may be moved freely).
    pub(crate) fn into_inner(self) -> F
    where
        F: Unpin,
    {
        self.future
    }
}

impl<F: Future> Future for Indexed<F> {
    type Output = (usize, F::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: `Indexed` never moves it out while
        // pinned (`into_inner` needs `F: Unpin`), has no `Drop` impl, and is not
        // `Unpin` unless `F` is. `index` is plain data that is only read.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; the pinned `Indexed` keeps `future` in place.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        let index = this.index;
        future.poll(cx).map(|out| (index, out))
    }
}

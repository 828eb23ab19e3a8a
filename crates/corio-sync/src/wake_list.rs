//! A fixed-capacity batch of wakers, collected under a lock and woken after it is
//! released (waking under the lock would make the woken task contend for it at once).

use std::task::Waker;

const CAP: usize = 32;

/// Up to 32 wakers, woken together by [`WakeList::wake_all`] (or on drop).
pub(crate) struct WakeList {
    wakers: [Option<Waker>; CAP],
    len: usize,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        WakeList {
            wakers: [const { None }; CAP],
            len: 0,
        }
    }

    /// Whether another waker fits; callers that fill it release their lock, call
    /// [`wake_all`](Self::wake_all) and continue.
    #[inline]
    pub(crate) fn can_push(&self) -> bool {
        self.len < CAP
    }

    #[inline]
    pub(crate) fn push(&mut self, waker: Waker) {
        debug_assert!(self.can_push());
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    pub(crate) fn wake_all(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}

impl Drop for WakeList {
    fn drop(&mut self) {
        self.wake_all();
    }
}

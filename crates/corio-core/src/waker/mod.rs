//! Waker utilities shared by the sync primitives and the timer.

mod atomic_waker;
mod wait_list;

pub use atomic_waker::AtomicWaker;
pub use wait_list::{Iter, WaitKey, WaitList};

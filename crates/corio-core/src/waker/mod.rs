//! Waker utilities shared by the crates.

mod atomic_waker;

pub use atomic_waker::AtomicWaker;

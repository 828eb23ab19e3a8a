//! Waker utilities shared by the crates.

mod atomic_waker;
mod indexed;

pub use atomic_waker::AtomicWaker;
pub use indexed::{IndexWaker, IndexedWakers};

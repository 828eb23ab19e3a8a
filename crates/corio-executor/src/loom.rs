//! Atomics shim: std's atomics normally, loom's under `cfg(loom)`, so the lock-free task
//! state word and the local run queue can be model-checked (`RUSTFLAGS="--cfg loom"`).
//!
//! Only `task/state.rs`, `queue.rs` and the task metadata word (`task/raw.rs`'s
//! `TaskMeta`) use this shim; the rest of the crate uses std directly (it is not
//! model-checked and must not touch loom objects outside a model).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

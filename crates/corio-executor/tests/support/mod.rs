//! Helpers shared by the executor tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio_executor::{Builder, Executor};

/// One executor of each flavor (2 workers for the multi-thread one).
pub fn executors() -> Vec<(&'static str, Executor)> {
    vec![
        (
            "current_thread",
            Builder::new_current_thread().build().unwrap(),
        ),
        (
            "multi_thread",
            Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
    ]
}

/// Counts drops of the values it hands out.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

pub struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl DropCounter {
    pub fn token(&self) -> Token {
        Token(self.0.clone())
    }
    pub fn drops(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Scales a count down under Miri.
pub fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        (n / 1000).max(10)
    } else {
        n
    }
}

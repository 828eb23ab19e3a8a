//! The hand-off protocol exposed for the loom model tests (`cfg(loom)` only; not API).

use std::sync::Arc;
use std::task::Waker;

use corio_core::Unparker;

use crate::entry::{Entry, Handoff};

/// The word of a fired entry.
pub const FIRED: u64 = crate::entry::FIRED;
/// The word of a disarmed entry.
pub const CANCELLED: u64 = crate::entry::CANCELLED;

/// The driver side and the producer side of the queue.
#[derive(Debug)]
pub struct Model(Handoff);

/// One timer's shared state.
#[derive(Debug, Clone)]
pub struct ModelEntry(Arc<Entry>);

impl Model {
    /// A hand-off that wakes the driver with `unparker`.
    pub fn new(unparker: Unparker) -> Self {
        Model(Handoff::new(unparker))
    }
    /// Producer: arm `entry` at `deadline`.
    pub fn submit(&self, entry: &ModelEntry, deadline: u64) {
        self.0.submit(&entry.0, deadline);
    }
    /// Producer: a new entry armed at `deadline`, registered (the first-poll path).
    pub fn register(&self, deadline: u64) -> ModelEntry {
        let entry = Entry::new(deadline, Waker::noop());
        self.0.register(entry.clone());
        ModelEntry(entry)
    }
    /// Producer: disarm `entry`.
    pub fn cancel(&self, entry: &ModelEntry) {
        self.0.cancel(&entry.0);
    }
    /// Driver: the next queued entry and its word.
    pub fn pop(&self) -> Option<(ModelEntry, u64)> {
        self.0.pop().map(|(e, w)| (ModelEntry(e), w))
    }
    /// Driver: announce a park until `until`; `false` = must not block.
    pub fn prepare_park(&self, until: u64) -> bool {
        self.0.prepare_park(until)
    }
    /// Driver: awake again.
    pub fn awake(&self) {
        self.0.awake()
    }
}

impl ModelEntry {
    /// An unarmed entry with a no-op waker.
    pub fn new() -> Self {
        ModelEntry(Entry::new(CANCELLED, Waker::noop()))
    }
    /// Driver: fire the entry filed under `deadline`.
    pub fn fire(&self, deadline: u64) -> bool {
        self.0.fire(deadline)
    }
    /// The deadline word.
    pub fn word(&self) -> u64 {
        self.0.deadline.load(crate::loom::Ordering::SeqCst)
    }
    /// Whether both handles are the same entry.
    pub fn ptr_eq(&self, other: &ModelEntry) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for ModelEntry {
    fn default() -> Self {
        Self::new()
    }
}

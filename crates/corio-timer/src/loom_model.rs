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
    /// Producer: a new entry armed at `deadline`, filed directly in the wheel when its
    /// lock is free, else registered through the queue (the first-poll path of `Sleep`).
    /// Returns the entry and whether it went directly.
    pub fn file(&self, deadline: u64) -> (ModelEntry, bool) {
        let entry = Entry::new(deadline, Waker::noop());
        let direct = match self.0.try_wheel() {
            Some(wheel) => {
                assert!(self.0.file_new(wheel, &entry, deadline), "not yet due");
                true
            }
            None => {
                self.0.register(entry.clone());
                false
            }
        };
        (ModelEntry(entry), direct)
    }
    /// Driver: takes in the queue (filing what it pops) and records the turn, under the
    /// wheel lock; returns the nearest filed deadline.
    pub fn turn(&self) -> Option<u64> {
        let mut wheel = self.0.wheel();
        while let Some((entry, word)) = self.0.pop() {
            let key = entry.key.load(crate::loom::Ordering::Relaxed);
            if key != crate::entry::NO_KEY {
                wheel.remove(key);
            }
            if word < CANCELLED {
                wheel.insert(entry, word);
            }
        }
        self.0.note_turn(&wheel);
        wheel.next_deadline()
    }
    /// Driver: the next queued entry and its word.
    pub fn pop(&self) -> Option<(ModelEntry, u64)> {
        self.0.pop().map(|(e, w)| (ModelEntry(e), w))
    }
    /// Driver: announce a park until `until`; `false` = must not block.
    pub fn prepare_park(&self, until: u64) -> bool {
        self.0.prepare_park(until, &mut Vec::new())
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

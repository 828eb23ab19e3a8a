//! `WaitList<T>`: a FIFO of waiters with O(1) push, pop and removal by key.
//!
//! Sync primitives keep one under their lock: a waiting future pushes its entry
//! (typically its waker and how many permits it wants) and keeps the [`WaitKey`]; when
//! the future is dropped (cancelled) it removes its entry in O(1), so a cancelled waiter
//! never holds up or loses anything for the ones behind it.
//!
//! # Implementation
//! A slab (`Vec` of slots) with a doubly linked list threaded through the occupied slots
//! by index, and a free list through the vacant ones. Every push is stamped with a
//! per-list sequence number stored in the slot and in the key, so a stale key (its
//! entry already popped or removed, the slot reused) is recognised and ignored.
//!
//! # Invariants
//! 1. `head`/`tail` are `NIL` iff `len == 0`; following `next` from `head` visits exactly
//!    `len` occupied slots in push order and ends at `tail`.
//! 2. A key is live iff its slot is occupied with the same stamp.
//! 3. When the list empties and holds a large allocation, the allocation is released, so
//!    memory returns to its baseline after a burst of waiters.

use std::fmt;

const NIL: usize = usize::MAX;
const SHRINK_ABOVE: usize = 1024;

/// Identifies one entry of a [`WaitList`]; stays valid until the entry leaves the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct WaitKey {
    index: usize,
    stamp: u64,
}

enum Slot<T> {
    Occupied {
        value: T,
        stamp: u64,
        prev: usize,
        next: usize,
    },
    Vacant {
        next_free: usize,
    },
}

/// A FIFO of waiters with O(1) removal of any entry by its [`WaitKey`].
pub(crate) struct WaitList<T> {
    slots: Vec<Slot<T>>,
    free: usize,
    head: usize,
    tail: usize,
    len: usize,
    next_stamp: u64,
}

impl<T> WaitList<T> {
    /// An empty list (allocates nothing until the first push).
    pub(crate) const fn new() -> Self {
        WaitList {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            len: 0,
            next_stamp: 0,
        }
    }

    /// Number of entries.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the list has no entries.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `value` at the back and returns its key.
    pub(crate) fn push_back(&mut self, value: T) -> WaitKey {
        let stamp = self.next_stamp;
        self.next_stamp = self.next_stamp.wrapping_add(1);
        let slot = Slot::Occupied {
            value,
            stamp,
            prev: self.tail,
            next: NIL,
        };
        let index = if self.free != NIL {
            let index = self.free;
            self.free = match self.slots[index] {
                Slot::Vacant { next_free } => next_free,
                Slot::Occupied { .. } => unreachable!("free list points at an occupied slot"),
            };
            self.slots[index] = slot;
            index
        } else {
            self.slots.push(slot);
            self.slots.len() - 1
        };
        if self.tail != NIL {
            self.set_next(self.tail, index);
        } else {
            self.head = index;
        }
        self.tail = index;
        self.len += 1;
        WaitKey { index, stamp }
    }

    /// Removes and returns the front entry.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.head == NIL {
            return None;
        }
        Some(self.unlink(self.head))
    }

    /// The front entry.
    pub(crate) fn front(&self) -> Option<&T> {
        self.value(self.head)
    }

    /// The front entry, mutably.
    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        let head = self.head;
        self.value_mut(head)
    }

    /// The key of the front entry.
    pub(crate) fn front_key(&self) -> Option<WaitKey> {
        match self.slots.get(self.head) {
            Some(Slot::Occupied { stamp, .. }) => Some(WaitKey {
                index: self.head,
                stamp: *stamp,
            }),
            _ => None,
        }
    }

    /// The entry for `key`, if it is still in the list.
    #[cfg(test)]
    pub(crate) fn get(&self, key: WaitKey) -> Option<&T> {
        if self.live(key) {
            self.value(key.index)
        } else {
            None
        }
    }

    /// The entry for `key`, mutably, if it is still in the list.
    pub(crate) fn get_mut(&mut self, key: WaitKey) -> Option<&mut T> {
        if self.live(key) {
            self.value_mut(key.index)
        } else {
            None
        }
    }

    /// Removes `key`'s entry in O(1); `None` if it already left the list.
    pub(crate) fn remove(&mut self, key: WaitKey) -> Option<T> {
        if self.live(key) {
            Some(self.unlink(key.index))
        } else {
            None
        }
    }

    /// Iterates front to back.
    pub(crate) fn iter(&self) -> Iter<'_, T> {
        Iter {
            list: self,
            at: self.head,
            left: self.len,
        }
    }

    /// Calls `f` on every entry, front to back.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&mut T)) {
        let mut at = self.head;
        while at != NIL {
            match &mut self.slots[at] {
                Slot::Occupied { value, next, .. } => {
                    f(value);
                    at = *next;
                }
                Slot::Vacant { .. } => unreachable!("list threads through a vacant slot"),
            }
        }
    }

    fn live(&self, key: WaitKey) -> bool {
        matches!(self.slots.get(key.index), Some(Slot::Occupied { stamp, .. }) if *stamp == key.stamp)
    }

    fn value(&self, index: usize) -> Option<&T> {
        match self.slots.get(index) {
            Some(Slot::Occupied { value, .. }) => Some(value),
            _ => None,
        }
    }

    fn value_mut(&mut self, index: usize) -> Option<&mut T> {
        match self.slots.get_mut(index) {
            Some(Slot::Occupied { value, .. }) => Some(value),
            _ => None,
        }
    }

    fn set_next(&mut self, index: usize, to: usize) {
        if let Slot::Occupied { next, .. } = &mut self.slots[index] {
            *next = to;
        }
    }

    fn set_prev(&mut self, index: usize, to: usize) {
        if let Slot::Occupied { prev, .. } = &mut self.slots[index] {
            *prev = to;
        }
    }

    fn unlink(&mut self, index: usize) -> T {
        let old = std::mem::replace(
            &mut self.slots[index],
            Slot::Vacant {
                next_free: self.free,
            },
        );
        let Slot::Occupied {
            value, prev, next, ..
        } = old
        else {
            unreachable!("unlink of a vacant slot");
        };
        self.free = index;
        if prev != NIL {
            self.set_next(prev, next);
        } else {
            self.head = next;
        }
        if next != NIL {
            self.set_prev(next, prev);
        } else {
            self.tail = prev;
        }
        self.len -= 1;
        if self.len == 0 && self.slots.capacity() > SHRINK_ABOVE {
            self.slots = Vec::new();
            self.free = NIL;
        }
        value
    }
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for WaitList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Front-to-back iterator over a [`WaitList`].
#[derive(Debug)]
pub(crate) struct Iter<'a, T> {
    list: &'a WaitList<T>,
    at: usize,
    left: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if self.at == NIL {
            return None;
        }
        match &self.list.slots[self.at] {
            Slot::Occupied { value, next, .. } => {
                self.at = *next;
                self.left -= 1;
                Some(value)
            }
            Slot::Vacant { .. } => None,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_with_removals_in_the_middle() {
        let mut l = WaitList::new();
        let keys: Vec<_> = (0..10).map(|i| l.push_back(i)).collect();
        for k in keys.iter().skip(1).step_by(2) {
            assert!(l.remove(*k).is_some());
        }
        assert_eq!(l.iter().copied().collect::<Vec<_>>(), vec![0, 2, 4, 6, 8]);
        assert_eq!(l.len(), 5);
        let k = l.push_back(10);
        assert_eq!(l.get(k), Some(&10));
        let all: Vec<_> = std::iter::from_fn(|| l.pop_front()).collect();
        assert_eq!(all, vec![0, 2, 4, 6, 8, 10]);
    }

    #[test]
    fn stale_key_after_slot_reuse_is_ignored() {
        let mut l = WaitList::new();
        let a = l.push_back('a');
        assert_eq!(l.pop_front(), Some('a'));
        let b = l.push_back('b'); // reuses a's slot
        assert_eq!(a.index, b.index);
        assert_eq!(l.remove(a), None);
        assert_eq!(l.get_mut(a), None);
        assert_eq!(l.remove(b), Some('b'));
    }

    #[test]
    fn remove_head_and_tail_keep_links_consistent() {
        let mut l = WaitList::new();
        let a = l.push_back(1);
        let _b = l.push_back(2);
        let c = l.push_back(3);
        l.remove(a);
        l.remove(c);
        assert_eq!(l.front(), Some(&2));
        assert_eq!(l.iter().count(), 1);
        l.push_back(4);
        assert_eq!(l.iter().copied().collect::<Vec<_>>(), vec![2, 4]);
    }

    #[test]
    fn memory_is_released_after_a_burst() {
        let mut l = WaitList::new();
        let n = if cfg!(miri) { 2_000 } else { 100_000 };
        let keys: Vec<_> = (0..n).map(|i| l.push_back(i)).collect();
        for k in keys {
            l.remove(k);
        }
        assert!(l.is_empty());
        assert_eq!(l.slots.capacity(), 0);
        // Keys issued before the release stay stale afterwards.
        let k = l.push_back(7);
        assert_eq!(l.get(k), Some(&7));
    }

    #[test]
    fn for_each_mut_visits_in_order() {
        let mut l = WaitList::new();
        for i in 0..5 {
            l.push_back(i);
        }
        let mut seen = vec![];
        l.for_each_mut(|v| {
            *v *= 10;
            seen.push(*v)
        });
        assert_eq!(seen, vec![0, 10, 20, 30, 40]);
    }
}

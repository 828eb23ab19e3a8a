//! loom model of the worker run queue: every item is taken exactly once by the owner, a
//! stealer, or the overflow path.
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p corio-executor --release --test loom_queue`.
#![cfg(loom)]

use std::ptr::NonNull;

use corio_executor::__loom::{local, Local, Steal, CAPACITY};
use loom::thread;

fn item(v: usize) -> NonNull<usize> {
    NonNull::from(Box::leak(Box::new(v)))
}

fn take(p: NonNull<usize>) -> usize {
    // SAFETY: every pointer comes from `item` and is taken exactly once (what we check).
    *unsafe { Box::from_raw(p.as_ptr()) }
}

/// Steals once from `stealer` into `dst` and takes everything `dst` then holds, in the
/// order it comes out.
fn steal_and_drain(stealer: &Steal<usize>, dst: &mut Local<usize>) -> Vec<usize> {
    let mut got: Vec<usize> = stealer.steal_into(dst).map(take).into_iter().collect();
    while let Some(p) = dst.pop() {
        got.push(take(p));
    }
    got
}

#[test]
fn steal_racing_pop_takes_each_item_once() {
    loom::model(|| {
        let (mut owner, stealer) = local::<usize>();
        let (mut thief, _thief_stealer) = local::<usize>();
        for i in 0..3 {
            owner.push_back(item(i)).unwrap();
        }
        let t = thread::spawn(move || steal_and_drain(&stealer, &mut thief));
        let mut mine = Vec::new();
        while let Some(p) = owner.pop() {
            mine.push(take(p));
        }
        let mut all = t.join().unwrap();
        all.extend(mine);
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2]);
    });
}

#[test]
fn overflow_racing_steal_loses_nothing() {
    loom::model(|| {
        let (mut owner, stealer) = local::<usize>();
        let (mut thief, _s) = local::<usize>();
        for i in 0..CAPACITY {
            owner.push_back(item(i)).unwrap();
        }
        let t = thread::spawn(move || steal_and_drain(&stealer, &mut thief));
        let mut overflowed = Vec::new();
        owner.push_back_or_overflow(item(CAPACITY), |batch| {
            overflowed.extend(batch.map(take));
        });
        let mut all = overflowed;
        while let Some(p) = owner.pop() {
            all.push(take(p));
        }
        all.extend(t.join().unwrap());
        all.sort_unstable();
        assert_eq!(all, (0..=CAPACITY).collect::<Vec<_>>());
    });
}

#[test]
fn two_stealers_share_without_duplicates() {
    loom::model(|| {
        let (mut owner, stealer) = local::<usize>();
        for i in 0..2 {
            owner.push_back(item(i)).unwrap();
        }
        let stealer = std::sync::Arc::new(stealer);
        let s2 = stealer.clone();
        let t = thread::spawn(move || steal_and_drain(&s2, &mut local::<usize>().0));
        let mut all = steal_and_drain(&stealer, &mut local::<usize>().0);
        all.extend(t.join().unwrap());
        while let Some(p) = owner.pop() {
            all.push(take(p));
        }
        all.sort_unstable();
        assert_eq!(all, vec![0, 1]);
    });
}

use super::*;
use std::collections::BTreeMap;
use std::task::Waker;

/// A tiny deterministic PRNG (xorshift) so the model test needs no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Checks rules 5 and 6 of the run, and rule 7 of the staged timers.
fn check_run(wheel: &Wheel) {
    for (i, s) in wheel.staged.iter().enumerate() {
        // SAFETY: staged, and the test holds the wheel and the entries (rule 8).
        let entry = unsafe { s.entry.get() };
        assert_eq!(entry.key.load(Ordering::Relaxed), STAGED | i);
        assert!(s.deadline > wheel.processed() && s.deadline >= wheel.staged_min);
    }
    let live = wheel
        .nodes
        .iter()
        .filter(|n| n.entry.is_some() && n.slot == RUN)
        .count();
    assert_eq!(live, wheel.run_live);
    assert!(
        wheel.run.sorted.windows(2).all(|w| w[0] >= w[1]),
        "run unsorted"
    );
    assert!(wheel.run.len() <= 2 * wheel.run_live + COMPACT_SLACK);
    if let Some((d, seq, idx)) = wheel.run.peek() {
        assert!(wheel.is_live(idx, seq), "stale run top");
        assert_eq!(d / TICK_NS, wheel.elapsed);
        assert!(d > wheel.processed());
    }
    for (d, seq, idx) in wheel.run.iter() {
        if wheel.is_live(idx, seq) {
            assert_eq!(wheel.nodes[idx as usize].slot, RUN);
            assert_eq!(wheel.nodes[idx as usize].deadline, d);
        }
    }
}

fn entry(d: u64) -> Arc<Entry> {
    let e = Entry::new(d, Waker::noop());
    e.deadline.store(d, Ordering::Relaxed);
    e
}

/// Random inserts, removals and time steps across every level, checked against a
/// sorted model: everything due fires, nothing early, in (deadline, seq) order, and
/// `next_deadline` is a lower bound of the true minimum above `processed`.
#[test]
fn matches_a_sorted_model() {
    let rounds = if cfg!(miri) { 60 } else { 4000 };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut wheel = Wheel::new();
    let mut model: BTreeMap<(u64, u64), Arc<Entry>> = BTreeMap::new();
    let mut seq = 0u64;
    let mut now = 0u64;
    let mut total_fired = 0;
    let mut heap_used = false;
    let scales = [
        1_000,
        TICK_NS,
        64 * TICK_NS,
        4096 * TICK_NS,
        1 << 40,
        1 << 55,
    ];
    for _ in 0..rounds {
        match rng.below(10) {
            0..=5 => {
                let scale = scales[rng.below(scales.len() as u64) as usize];
                let d = now + 1 + rng.below(scale);
                let e = entry(d);
                // Half staged (rule 7), half linked at once: one order of firing.
                if rng.below(2) == 0 {
                    wheel.stage(&e, d);
                } else {
                    wheel.insert(e.clone(), d);
                }
                model.insert((d, seq), e);
                seq += 1;
            }
            6 => {
                if let Some(k) = model
                    .keys()
                    .nth(rng.below(model.len() as u64 + 1) as usize)
                    .copied()
                {
                    let e = model.remove(&k).unwrap();
                    let key = e.key.load(Ordering::Relaxed);
                    assert!(wheel.remove(key));
                    assert_eq!(e.key.load(Ordering::Relaxed), NO_KEY);
                }
            }
            _ => {
                if let Some(next) = wheel.next_deadline() {
                    let true_min = model.keys().next().unwrap().0;
                    assert!(next <= true_min && next > wheel.processed());
                } else {
                    assert!(model.is_empty());
                }
                let step = match rng.below(3) {
                    0 => rng.below(2 * TICK_NS),
                    1 => wheel.next_deadline().map_or(0, |n| n - now),
                    _ => {
                        let bits = 10 + rng.below(40);
                        rng.below(1 << bits)
                    }
                };
                now += step;
                let mut fired = Vec::new();
                wheel.process(now, |e, d| {
                    fired.push((d, e as *const Entry));
                    true
                });
                let expect: Vec<_> = model
                    .range(..(now + 1, 0))
                    .map(|(&(d, _), e)| (d, Arc::as_ptr(e)))
                    .collect();
                assert_eq!(fired, expect, "at {now}");
                total_fired += fired.len();
                model.retain(|&(d, _), _| d > now);
            }
        }
        assert_eq!(wheel.len(), model.len());
        check_run(&wheel);
        heap_used |= !wheel.run.heap.is_empty();
    }
    assert!(
        total_fired > rounds / 10,
        "the model test fired only {total_fired}"
    );
    // Both parts of the run were exercised (a tick split more than once).
    assert!(heap_used || cfg!(miri), "the run's heap was never used");
}

#[test]
fn emptied_wheel_releases_its_slab() {
    let n = if cfg!(miri) { 50 } else { 10_000 };
    let mut wheel = Wheel::new();
    let entries: Vec<_> = (1..=n).map(|i| entry(i * 1000)).collect();
    for e in &entries {
        wheel.insert(e.clone(), e.deadline.load(Ordering::Relaxed));
    }
    for e in entries.iter().rev() {
        assert!(wheel.remove(e.key.load(Ordering::Relaxed)));
    }
    assert_eq!(wheel.len(), 0);
    if n > SHRINK_ABOVE as u64 {
        assert_eq!(wheel.capacity(), 0);
    }
    assert_eq!(wheel.next_deadline(), None);
    assert!(entries.iter().all(|e| Arc::strong_count(e) == 1));
}

/// Staged timers all unstaged before a pass (each cancelled before the driver turned),
/// in an order that moves others around (rule 7): each removal unfiles its own entry,
/// none fires, and the next pass releases a large emptied list.
#[test]
fn unstaged_timers_never_fire_and_their_list_is_released() {
    let n = if cfg!(miri) { 50 } else { 10_000 };
    let mut wheel = Wheel::new();
    let entries: Vec<_> = (1..=n).map(|i| entry(i * 1000)).collect();
    for e in &entries {
        wheel.stage(e, e.deadline.load(Ordering::Relaxed));
    }
    assert_eq!(wheel.len(), n as usize);
    assert_eq!(wheel.next_deadline(), Some(1000));
    // Every third from the front, then the rest from the back: swap-removes in the middle.
    let order = (0..entries.len())
        .step_by(3)
        .chain((0..entries.len()).rev().filter(|i| i % 3 != 0));
    for i in order {
        let e = &entries[i];
        assert!(wheel.remove(e.key.load(Ordering::Relaxed)));
        assert_eq!(e.key.load(Ordering::Relaxed), NO_KEY);
        check_run(&wheel);
    }
    assert_eq!(wheel.len(), 0);
    assert_eq!(wheel.next_deadline(), None);
    assert_eq!(wheel.process(n * 1000, |_, _| true), 0);
    if n > SHRINK_ABOVE as u64 {
        assert_eq!(wheel.capacity(), 0);
    }
    assert!(entries.iter().all(|e| Arc::strong_count(e) == 1));
}

/// Distinct sub-tick deadlines all within one tick, fired one pass per deadline as the
/// driver does (parking to each exact deadline), with cancellations of timers already
/// moved to the run: each pass fires exactly the next live one, and `next_deadline` is
/// exact throughout.
#[test]
fn one_tick_fires_each_deadline_on_its_own_pass() {
    let n: u64 = if cfg!(miri) { 200 } else { 20_000 };
    let base = 7 * TICK_NS;
    let step = TICK_NS / n; // all within tick 7
    let mut rng = Rng(0xDEAD_BEEF);
    // Shuffled registration order, distinct deadlines.
    let mut order: Vec<u64> = (1..n).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut wheel = Wheel::new();
    let entries: BTreeMap<u64, Arc<Entry>> = order
        .iter()
        .map(|&i| {
            let d = base + i * step;
            let e = entry(d);
            wheel.insert(e.clone(), d);
            (d, e)
        })
        .collect();
    let mut live: std::collections::BTreeSet<u64> = entries.keys().copied().collect();
    let mut fired = Vec::new();
    let mut passes = 0;
    while let Some(next) = wheel.next_deadline() {
        assert_eq!(Some(&next), live.first(), "next_deadline is exact");
        let before = fired.len();
        wheel.process(next, |e, d| {
            fired.push((d, e as *const Entry));
            true
        });
        assert_eq!(fired.len(), before + 1, "one deadline per pass");
        live.pop_first();
        passes += 1;
        // Cancel two timers already sitting in the run, one of them its top.
        if passes % 7 == 0 && live.len() > 2 {
            let top = *live.first().unwrap();
            let later = *live
                .range(top + TICK_NS / 4..)
                .next()
                .unwrap_or(live.last().unwrap());
            for d in [top, later] {
                let e = &entries[&d];
                let key = e.key.load(Ordering::Relaxed);
                assert_eq!(wheel.nodes[key].slot, RUN);
                assert!(wheel.remove(key));
                live.remove(&d);
            }
        }
        if passes % 97 == 0 || cfg!(miri) {
            check_run(&wheel);
        }
    }
    assert!(live.is_empty());
    assert_eq!(wheel.len(), 0);
    let got: Vec<_> = fired.iter().map(|&(d, _)| d).collect();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(got, sorted, "in order, exactly once");
    assert!(fired
        .iter()
        .all(|&(d, p)| std::ptr::eq(Arc::as_ptr(&entries[&d]), p)));
    assert!(passes > n as usize / 2);
    assert!(entries.values().all(|e| Arc::strong_count(e) == 1));
}

/// Removing most of a large run compacts its heap, and an emptied large run is freed.
#[test]
fn cancelled_run_is_compacted_and_released() {
    let n: u64 = if cfg!(miri) { 300 } else { 10_000 };
    let mut wheel = Wheel::new();
    let entries: Vec<_> = (1..=n)
        .map(|i| {
            let d = TICK_NS + i * (TICK_NS / (n + 1));
            let e = entry(d);
            wheel.insert(e.clone(), d);
            e
        })
        .collect();
    // The first deadline fires; the rest move to the run.
    let first = entries[0].deadline.load(Ordering::Relaxed);
    assert_eq!(wheel.process(first, |e, d| e.fire(d)), 1);
    assert_eq!(wheel.run_live, n as usize - 1);
    // Cancel all but the last, back to front (none of them is the top until the end).
    for e in entries[1..entries.len() - 1].iter().rev() {
        assert!(wheel.remove(e.key.load(Ordering::Relaxed)));
        assert!(wheel.run.len() <= 2 * wheel.run_live + COMPACT_SLACK);
    }
    check_run(&wheel);
    assert_eq!(wheel.run_live, 1);
    let last = entries[entries.len() - 1].deadline.load(Ordering::Relaxed);
    assert_eq!(wheel.next_deadline(), Some(last));
    assert_eq!(wheel.process(last, |e, d| e.fire(d)), 1);
    assert_eq!(wheel.len(), 0);
    assert_eq!(wheel.run.len(), 0);
    if n as usize > SHRINK_ABOVE {
        assert_eq!(wheel.run.capacity(), 0);
    }
    assert!(entries.iter().all(|e| Arc::strong_count(e) == 1));
}

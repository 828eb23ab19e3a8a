//! `CancellationToken`: the tree, waiting, cancel-safety of the waiters, drop guards.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use corio_sync::CancellationToken;
use corio_test_util::{count_waker, poll_once, poll_with, Rng};
use futures::executor::block_on;

#[test]
fn cancel_reaches_every_descendant_and_never_an_ancestor() {
    let root = CancellationToken::new();
    let a = root.child_token();
    let aa = a.child_token();
    let ab = a.child_token();
    let b = root.child_token();
    a.cancel();
    assert!(a.is_cancelled() && aa.is_cancelled() && ab.is_cancelled());
    assert!(!root.is_cancelled() && !b.is_cancelled());
    root.cancel();
    assert!(b.is_cancelled());
}

#[test]
fn clones_share_one_token() {
    let t = CancellationToken::new();
    let c = t.clone();
    let child_of_clone = c.child_token();
    drop(c);
    t.cancel();
    assert!(child_of_clone.is_cancelled());
}

#[test]
fn cancelling_twice_and_cancelling_a_cancelled_child_are_no_ops() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let (count, waker) = count_waker();
    let mut wait = Box::pin(child.cancelled());
    assert!(poll_with(&mut wait, &waker).is_pending());
    child.cancel();
    child.cancel();
    root.cancel();
    assert_eq!(
        count.count(),
        1,
        "one wake per waiter, however many cancels"
    );
    assert_eq!(poll_once(&mut wait), Poll::Ready(()));
}

#[test]
fn a_child_of_a_cancelled_token_is_born_cancelled() {
    let root = CancellationToken::new();
    root.cancel();
    let child = root.child_token();
    assert!(child.is_cancelled());
    assert_eq!(poll_once(&mut Box::pin(child.cancelled())), Poll::Ready(()));
    assert!(child.child_token().is_cancelled());
}

#[test]
fn every_waiter_is_woken_exactly_once() {
    let root = CancellationToken::new();
    let kids: Vec<_> = (0..100).map(|_| root.child_token()).collect();
    let (count, waker) = count_waker();
    let mut waits: Vec<_> = kids
        .iter()
        .flat_map(|k| [Box::pin(k.cancelled()), Box::pin(k.cancelled())])
        .collect();
    let mut root_wait = Box::pin(root.clone().cancelled_owned());
    for w in &mut waits {
        assert!(poll_with(w, &waker).is_pending());
    }
    assert!(poll_with(&mut root_wait, &waker).is_pending());
    root.cancel();
    assert_eq!(count.count(), 201);
    for w in &mut waits {
        assert_eq!(poll_once(w), Poll::Ready(()));
    }
    assert_eq!(poll_once(&mut root_wait), Poll::Ready(()));
}

#[test]
fn a_dropped_waiter_costs_no_other_waiter_its_wake() {
    let t = CancellationToken::new();
    let (count, waker) = count_waker();
    let mut first = Box::pin(t.cancelled());
    let mut second = Box::pin(t.cancelled());
    let mut third = Box::pin(t.cancelled());
    for w in [&mut first, &mut second, &mut third] {
        assert!(poll_with(w, &waker).is_pending());
    }
    drop(second);
    // A new waiter reuses the freed slot.
    let mut fourth = Box::pin(t.cancelled());
    assert!(poll_with(&mut fourth, &waker).is_pending());
    t.cancel();
    assert_eq!(count.count(), 3);
    assert_eq!(poll_once(&mut first), Poll::Ready(()));
    assert_eq!(poll_once(&mut fourth), Poll::Ready(()));
    // Dropped after the cancel, it must not touch the (taken) slab.
    drop(third);
}

#[test]
fn a_repolled_waiter_is_woken_through_its_latest_waker() {
    let t = CancellationToken::new();
    let (old, old_waker) = count_waker();
    let (new, new_waker) = count_waker();
    let mut w = Box::pin(t.cancelled());
    assert!(poll_with(&mut w, &old_waker).is_pending());
    assert!(poll_with(&mut w, &new_waker).is_pending());
    t.cancel();
    assert_eq!((old.count(), new.count()), (0, 1));
}

#[test]
fn run_until_cancelled_checks_cancellation_first() {
    let t = CancellationToken::new();
    assert_eq!(block_on(t.run_until_cancelled(async { 1 })), Some(1));
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    let mut fut = pin!(t
        .clone()
        .run_until_cancelled_owned(futures::future::poll_fn(move |_| {
            p.fetch_add(1, Ordering::SeqCst);
            Poll::<()>::Pending
        })));
    let (count, waker) = count_waker();
    assert!(poll_with(&mut fut, &waker).is_pending());
    t.cancel();
    assert_eq!(count.count(), 1);
    assert_eq!(poll_once(&mut fut), Poll::Ready(None));
    assert_eq!(
        polled.load(Ordering::SeqCst),
        1,
        "not polled once cancelled"
    );
}

#[test]
fn run_until_cancelled_sees_a_cancel_made_while_the_future_ran() {
    // `fut` runs before the wait registers: a cancel from inside its poll (or from
    // another thread at that moment) must be seen by the registration, not lost.
    let t = CancellationToken::new();
    let inner = t.clone();
    let mut fut = pin!(t.run_until_cancelled(futures::future::poll_fn(move |_| {
        inner.cancel();
        Poll::<()>::Pending
    })));
    let (count, waker) = count_waker();
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(None));
    assert_eq!(count.count(), 0, "nothing was registered to wake");
    // A ready future on a live token completes without registering anything; a
    // pending one registers and is woken by the cancel.
    let t = CancellationToken::new();
    assert_eq!(block_on(t.run_until_cancelled(async { 2 })), Some(2));
    let mut fut = pin!(t.run_until_cancelled(std::future::pending::<()>()));
    assert!(poll_with(&mut fut, &waker).is_pending());
    t.cancel();
    assert_eq!(count.count(), 1);
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(None));
}

#[test]
fn drop_guard_cancels_unless_disarmed() {
    let t = CancellationToken::new();
    let guard = t.clone().drop_guard();
    assert!(!t.is_cancelled());
    drop(guard);
    assert!(t.is_cancelled());
    let t = CancellationToken::new();
    let back = t.clone().drop_guard().disarm();
    drop(back);
    assert!(!t.is_cancelled());
}

#[test]
fn threads_cancelling_and_waiting_at_random_lose_no_wake() {
    // Waiters on a random tree register, re-poll and drop on several threads while
    // another thread cancels the root: every waiter still alive gets its wake.
    for seed in 1..=20u64 {
        let root = CancellationToken::new();
        let mut rng = Rng::new(seed);
        let mut tokens = vec![root.clone()];
        for _ in 0..40 {
            let parent = tokens[rng.below(tokens.len())].clone();
            tokens.push(parent.child_token());
        }
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let mine: Vec<_> = tokens.iter().skip(i).step_by(4).cloned().collect();
                std::thread::spawn(move || {
                    let ok = mine.iter().all(|t| {
                        block_on(t.cancelled());
                        t.is_cancelled()
                    });
                    drop(mine); // detaching after the cancel
                    ok
                })
            })
            .collect();
        // Drop and re-create some children concurrently with the waits.
        for _ in 0..10 {
            let i = 1 + rng.below(tokens.len() - 1);
            let t = tokens.swap_remove(i);
            tokens.push(t.child_token());
        }
        root.cancel();
        for h in handles {
            assert!(h.join().unwrap(), "seed {seed}");
        }
        assert!(tokens.iter().all(CancellationToken::is_cancelled));
    }
}

#[test]
fn tokens_are_send_sync_and_futures_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<CancellationToken>();
    send_sync::<corio_sync::DropGuard>();
    let t = CancellationToken::new();
    send(&t.cancelled());
    send(&t.clone().cancelled_owned());
    send(&t.run_until_cancelled(async {}));
}

//! A waker that panics in `wake` never makes a primitive lose a waiter, a permit, an
//! item or a value, even when it sits in a full wake batch (wakers are woken 32 at a
//! time with the lock released).
//!
//! Every scenario queues `N` (> 32) waiters by polling their futures by hand, with a
//! counting waker each; some of those wakers also panic (first, middle, last of the
//! first batch, first of the second batch, the very last, or several at once). Then:
//! - the call that woke them re-raises the *first* panic (by queue order), or, where
//!   it hands a value to its caller, returns that value and raises nothing;
//! - every waiter was woken exactly once, the panicking ones included;
//! - every waiter completes when polled again, with exactly what it was granted;
//! - permits, items and values are conserved exactly, and the primitive stays usable.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Once};
use std::task::{Context, Poll, Wake, Waker};

use corio_sync::{
    broadcast, oneshot, watch, Barrier, BoundedSemaphore, CancellationToken, Condition, Event,
    Notify, Queue, QueueShutDown, RwLock, Semaphore,
};

/// Waiters per scenario: always more than one wake batch (32).
const N: usize = if cfg!(miri) { 40 } else { 100 };

/// Every panic this file raises on purpose carries this marker.
const MARK: &str = "expected-waker-panic";

/// Which waiters (by queue position) get a panicking waker, scenario by scenario.
fn cases() -> Vec<Vec<usize>> {
    vec![
        vec![0],
        vec![15],
        vec![31],
        vec![32],
        vec![N - 1],
        vec![0, 31, 32, N - 1],
    ]
}

/// Keeps the default panic hook quiet about the panics raised on purpose.
fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !message(info.payload()).contains(MARK) {
                default(info);
            }
        }));
    });
}

fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::new()
    }
}

/// Counts its wakes and, if asked, panics on every one.
struct Probe {
    id: usize,
    panics: bool,
    wakes: AtomicUsize,
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
        if self.panics {
            panic!("{MARK} {}", self.id);
        }
    }
}

/// `n` probes; those at `panicking` panic.
struct Waiters {
    probes: Vec<Arc<Probe>>,
    wakers: Vec<Waker>,
    panicking: Vec<usize>,
}

impl Waiters {
    fn new(n: usize, panicking: &[usize]) -> Self {
        quiet_expected_panics();
        let probes: Vec<_> = (0..n)
            .map(|id| {
                Arc::new(Probe {
                    id,
                    panics: panicking.contains(&id),
                    wakes: AtomicUsize::new(0),
                })
            })
            .collect();
        let wakers = probes.iter().map(|p| Waker::from(p.clone())).collect();
        Waiters {
            probes,
            wakers,
            panicking: panicking.to_vec(),
        }
    }

    /// Polls waiter `i`'s future once with its probe: it must wait.
    fn pend<F: Future + ?Sized>(&self, i: usize, f: Pin<&mut F>) {
        assert!(
            poll(f, &self.wakers[i]).is_pending(),
            "waiter {i} should have to wait"
        );
    }

    /// Polls every future once, in order, with its probe.
    fn pend_all<F: Future + ?Sized>(&self, futs: &mut [Pin<Box<F>>]) {
        for (i, f) in futs.iter_mut().enumerate() {
            self.pend(i, f.as_mut());
        }
    }

    /// The call re-raised the first panic by queue order (the earliest woken).
    fn assert_first_panic<T>(&self, r: std::thread::Result<T>) {
        let Err(payload) = r else {
            panic!("a waker panicked: the waking call should re-raise it");
        };
        let first = self.panicking.iter().min().expect("a panicking waiter");
        assert_eq!(message(&*payload), format!("{MARK} {first}"));
    }

    /// Waiters `range` were woken exactly once; the others never.
    fn assert_woken(&self, woken: std::ops::Range<usize>) {
        for (i, p) in self.probes.iter().enumerate() {
            let expected = usize::from(woken.contains(&i));
            assert_eq!(
                p.wakes.load(SeqCst),
                expected,
                "waiter {i} (panics: {}) woken a wrong number of times; panicking: {:?}",
                p.panics,
                self.panicking
            );
        }
    }
}

fn poll<F: Future + ?Sized>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

/// Polls every future once more (no-op waker); each must be ready.
fn ready_all<F: Future + ?Sized>(futs: &mut [Pin<Box<F>>]) -> Vec<F::Output> {
    futs.iter_mut()
        .enumerate()
        .map(|(i, f)| match poll(f.as_mut(), Waker::noop()) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("waiter {i} was woken but is not complete"),
        })
        .collect()
}

// ---- Notify ----

#[test]
fn notify_waiters_wakes_every_waiter_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let notify = Notify::new();
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(notify.notified())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| notify.notify_waiters())));
        w.assert_woken(0..N);
        assert_eq!(ready_all(&mut futs).len(), N);
        drop(futs);
        // No stored permit, nobody left queued, still usable.
        let mut next = Box::pin(notify.notified());
        assert!(poll(next.as_mut(), Waker::noop()).is_pending());
        notify.notify_one();
        assert!(poll(next.as_mut(), Waker::noop()).is_ready());
    }
}

#[test]
fn notified_dropped_while_unwinding_passes_on_to_a_panicking_waker_without_abort() {
    let w = Waiters::new(2, &[1]);
    let notify = Notify::new();
    let mut chosen = Box::pin(notify.notified());
    let mut next = Box::pin(notify.notified());
    w.pend(0, chosen.as_mut());
    w.pend(1, next.as_mut());
    notify.notify_one(); // chooses `chosen`
    let r = catch_unwind(AssertUnwindSafe(move || {
        let _chosen = chosen;
        panic!("{MARK} outer");
    }));
    // `chosen`'s drop passed the notification to `next` during the unwind; its waker
    // panicked then, and that second panic was dropped rather than abort the process.
    assert_eq!(message(&*r.unwrap_err()), format!("{MARK} outer"));
    w.assert_woken(0..2);
    assert!(poll(next.as_mut(), Waker::noop()).is_ready());
}

// ---- Semaphore ----

#[test]
fn semaphore_add_permits_hands_out_every_permit_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let sem = Semaphore::new(0);
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(sem.acquire())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| sem.add_permits(N + 3))));
        w.assert_woken(0..N);
        assert_eq!(sem.available_permits(), 3, "the surplus reaches the count");
        let permits: Vec<_> = ready_all(&mut futs)
            .into_iter()
            .map(|p| p.expect("open semaphore"))
            .collect();
        assert_eq!(permits.len(), N);
        drop(permits);
        drop(futs);
        assert_eq!(sem.available_permits(), N + 3, "permits lost");
    }
}

#[test]
fn semaphore_partial_release_keeps_later_waiters_queued_past_a_panicking_waker() {
    for case in cases() {
        // Each waiter wants 2; release enough for the first half and one more permit.
        let w = Waiters::new(N, &case);
        let sem = Semaphore::new(0);
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(sem.acquire_many(2))).collect();
        w.pend_all(&mut futs);
        let half = N / 2;
        let r = catch_unwind(AssertUnwindSafe(|| sem.add_permits(2 * half + 1)));
        if case.iter().any(|&i| i < half) {
            w.assert_first_panic(r);
        } else {
            assert!(r.is_ok(), "no panicking waker among the granted ones");
        }
        w.assert_woken(0..half);
        assert_eq!(
            sem.available_permits(),
            0,
            "the odd permit is assigned to waiter {half}"
        );
        let granted = ready_all(&mut futs[..half]);
        for (i, f) in futs.iter_mut().enumerate().skip(half) {
            w.pend(i, f.as_mut()); // nothing granted beyond the released permits
        }
        // The rest of what they need: each remaining waiter is completed.
        let r = catch_unwind(AssertUnwindSafe(|| sem.add_permits(2 * (N - half) - 1)));
        if case.iter().any(|&i| i >= half) {
            let w2 = Waiters {
                probes: Vec::new(),
                wakers: Vec::new(),
                panicking: case.iter().copied().filter(|&i| i >= half).collect(),
            };
            w2.assert_first_panic(r);
        } else {
            assert!(r.is_ok());
        }
        w.assert_woken(0..N);
        let rest = ready_all(&mut futs[half..]);
        assert_eq!(sem.available_permits(), 0);
        drop((granted, rest, futs));
        assert_eq!(sem.available_permits(), 2 * N, "permits lost");
    }
}

#[test]
fn semaphore_close_wakes_every_waiter_and_returns_partial_permits() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let sem = Semaphore::new(1);
        // The first waiter takes the one permit and queues for one more.
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(sem.acquire_many(2))).collect();
        w.pend_all(&mut futs);
        assert_eq!(sem.available_permits(), 0);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| sem.close())));
        w.assert_woken(0..N);
        for (i, r) in ready_all(&mut futs).into_iter().enumerate() {
            assert!(r.is_err(), "waiter {i} acquired a closed semaphore");
        }
        assert_eq!(
            sem.available_permits(),
            1,
            "the partial assignment came back"
        );
    }
}

#[test]
fn granted_acquire_dropped_while_unwinding_passes_permits_to_a_panicking_waker() {
    let w = Waiters::new(2, &[1]);
    let sem = Semaphore::new(0);
    let mut granted = Box::pin(sem.acquire());
    let mut next = Box::pin(sem.acquire());
    w.pend(0, granted.as_mut());
    w.pend(1, next.as_mut());
    sem.add_permits(1); // grants `granted`, which is never polled again
    let r = catch_unwind(AssertUnwindSafe(move || {
        let _granted = granted;
        panic!("{MARK} outer");
    }));
    assert_eq!(message(&*r.unwrap_err()), format!("{MARK} outer"));
    w.assert_woken(0..2);
    let Poll::Ready(Ok(permit)) = poll(next.as_mut(), Waker::noop()) else {
        panic!("the permit was not passed on");
    };
    assert_eq!(sem.available_permits(), 0);
    drop(permit);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn bounded_semaphore_close_wakes_every_waiter_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let sem = BoundedSemaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(sem.acquire())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| sem.close())));
        w.assert_woken(0..N);
        assert!(ready_all(&mut futs).iter().all(Result::is_err));
        drop(futs);
        drop(held);
        assert_eq!(sem.available_permits(), 1);
    }
}

#[test]
fn bounded_semaphore_release_hands_each_permit_on_past_a_panicking_waker() {
    let w = Waiters::new(3, &[1]);
    let sem = BoundedSemaphore::new(3);
    let held: Vec<_> = (0..3).map(|_| sem.try_acquire().unwrap()).collect();
    let mut futs: Vec<_> = (0..3).map(|_| Box::pin(sem.acquire())).collect();
    w.pend_all(&mut futs);
    let mut held = held.into_iter();
    drop(held.next());
    w.assert_woken(0..1);
    w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| drop(held.next()))));
    w.assert_woken(0..2);
    drop(held.next());
    w.assert_woken(0..3);
    let permits = ready_all(&mut futs);
    assert_eq!(sem.available_permits(), 0);
    drop(permits);
    drop(futs);
    assert_eq!(sem.available_permits(), 3);
}

// ---- RwLock (a write unlock releases every permit at once) ----

#[test]
fn rwlock_write_unlock_wakes_every_reader_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let lock = RwLock::new(7u32);
        let writer = lock.try_write().unwrap();
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(lock.read())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(move || drop(writer))));
        w.assert_woken(0..N);
        let readers = ready_all(&mut futs);
        assert!(readers.iter().all(|r| **r == 7));
        assert!(lock.try_write().is_err());
        drop(readers);
        drop(futs);
        assert!(lock.try_write().is_ok(), "a read permit was lost");
    }
}

// ---- Event, Condition, Barrier ----

#[test]
fn event_set_wakes_every_waiter_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let event = Event::new();
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(event.wait())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| event.set())));
        w.assert_woken(0..N);
        assert!(event.is_set());
        assert_eq!(ready_all(&mut futs).len(), N);
    }
}

#[test]
fn token_cancel_wakes_every_waiter_of_the_tree_past_a_panicking_waker() {
    for case in cases() {
        // Half the waiters on the root, half on children (one each): the wake order is
        // the root's waiters, then the children in creation order.
        let w = Waiters::new(N, &case);
        let root = CancellationToken::new();
        let kids: Vec<_> = (0..N / 2).map(|_| root.child_token()).collect();
        let mut futs: Vec<_> = (0..N)
            .map(|i| match i.checked_sub(N - N / 2) {
                None => Box::pin(root.clone().cancelled_owned()),
                Some(k) => Box::pin(kids[k].clone().cancelled_owned()),
            })
            .collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| root.cancel())));
        w.assert_woken(0..N);
        assert!(kids.iter().all(CancellationToken::is_cancelled));
        assert_eq!(ready_all(&mut futs).len(), N);
    }
}

#[test]
fn condition_notify_all_wakes_every_waiter_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let cond = Condition::new(0usize);
        let mut futs: Vec<_> = (0..N)
            .map(|_| {
                Box::pin(async {
                    let guard = cond.lock().await;
                    let mut guard = cond.wait(guard).await;
                    *guard += 1;
                })
            })
            .collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| cond.notify_all())));
        w.assert_woken(0..N);
        assert_eq!(ready_all(&mut futs).len(), N);
        drop(futs);
        assert_eq!(
            *cond.mutex().try_lock().unwrap(),
            N,
            "every waiter ran once"
        );
        assert_eq!(cond.notify_all(), 0, "nobody left queued");
    }
}

#[test]
fn condition_notify_some_keeps_the_rest_queued_past_a_panicking_waker() {
    let half = N / 2;
    let w = Waiters::new(N, &[0, half - 1]);
    let cond = Condition::new(());
    let mut futs: Vec<_> = (0..N)
        .map(|_| {
            Box::pin(async {
                let guard = cond.lock().await;
                drop(cond.wait(guard).await);
            })
        })
        .collect();
    w.pend_all(&mut futs);
    w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| cond.notify(half))));
    w.assert_woken(0..half);
    assert_eq!(ready_all(&mut futs[..half]).len(), half);
    assert_eq!(
        cond.notify(N),
        N - half,
        "exactly the rest was still queued"
    );
    assert_eq!(ready_all(&mut futs[half..]).len(), N - half);
}

#[test]
fn barrier_leader_completes_and_every_waiter_passes_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let barrier = Barrier::new(N + 1);
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(barrier.wait())).collect();
        w.pend_all(&mut futs);
        // The last arrival's own result must reach it: no panic out of its poll.
        let mut leader = Box::pin(barrier.wait());
        let Poll::Ready(Ok(result)) = poll(leader.as_mut(), Waker::noop()) else {
            panic!("the last arrival did not pass");
        };
        assert!(result.is_leader());
        w.assert_woken(0..N);
        let results = ready_all(&mut futs);
        assert!(results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|r| !r.is_leader())));
        assert_eq!(barrier.n_waiting(), 0);
    }
}

#[test]
fn barrier_abort_wakes_every_waiter_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let barrier = Barrier::new(N + 1);
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(barrier.wait())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| barrier.abort())));
        w.assert_woken(0..N);
        assert!(barrier.is_broken());
        assert!(ready_all(&mut futs).iter().all(Result::is_err));
    }
}

// ---- broadcast, watch ----

#[test]
fn broadcast_send_delivers_to_every_receiver_once_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let (tx, rx) = broadcast::channel::<u32>(4);
        let mut rxs: Vec<_> = std::iter::once(rx)
            .chain((1..N).map(|_| tx.subscribe()))
            .collect();
        let mut futs: Vec<_> = rxs.iter_mut().map(|rx| Box::pin(rx.recv())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| tx.send(5))));
        w.assert_woken(0..N);
        assert!(ready_all(&mut futs).into_iter().all(|v| v == Ok(5)));
        drop(futs);
        for rx in &mut rxs {
            assert_eq!(
                rx.try_recv(),
                Err(broadcast::TryRecvError::Empty),
                "delivered twice"
            );
        }
        assert_eq!(tx.send(6), Ok(N));
        assert!(rxs.iter_mut().all(|rx| rx.try_recv() == Ok(6)));
    }
}

#[test]
fn broadcast_last_sender_drop_wakes_every_receiver_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let (tx, rx) = broadcast::channel::<u32>(4);
        let mut rxs: Vec<_> = std::iter::once(rx)
            .chain((1..N).map(|_| tx.subscribe()))
            .collect();
        let mut futs: Vec<_> = rxs.iter_mut().map(|rx| Box::pin(rx.recv())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(move || drop(tx))));
        w.assert_woken(0..N);
        assert!(ready_all(&mut futs)
            .into_iter()
            .all(|v| v == Err(broadcast::RecvError::Closed)));
    }
}

#[test]
fn watch_send_wakes_every_receiver_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let (tx, rx) = watch::channel(0u32);
        let mut rxs: Vec<_> = (0..N).map(|_| rx.clone()).collect();
        let mut futs: Vec<_> = rxs.iter_mut().map(|rx| Box::pin(rx.changed())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| tx.send(1))));
        w.assert_woken(0..N);
        assert!(ready_all(&mut futs).iter().all(Result::is_ok));
        drop(futs);
        assert!(rxs.iter().all(|rx| *rx.borrow() == 1));
    }
}

#[test]
fn watch_send_replace_returns_the_old_value_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let (tx, rx) = watch::channel(String::from("old"));
        let mut rxs: Vec<_> = (0..N).map(|_| rx.clone()).collect();
        let mut futs: Vec<_> = rxs.iter_mut().map(|rx| Box::pin(rx.changed())).collect();
        w.pend_all(&mut futs);
        // The old value is handed back, so the panic is not re-raised over it.
        assert_eq!(tx.send_replace(String::from("new")), "old");
        w.assert_woken(0..N);
        assert!(ready_all(&mut futs).iter().all(Result::is_ok));
    }
}

// ---- Queue ----

#[test]
fn queue_shutdown_wakes_every_getter_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let q: Queue<u32> = Queue::new(0);
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(q.get())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| q.shutdown(false))));
        w.assert_woken(0..N);
        let results: Vec<Result<u32, QueueShutDown>> = ready_all(&mut futs);
        assert!(results.iter().all(Result::is_err), "a getter got an item");
    }
}

#[test]
fn queue_shutdown_gives_every_putter_its_item_back_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let q: Queue<usize> = Queue::new(1);
        q.put_nowait(usize::MAX).unwrap();
        let mut futs: Vec<_> = (0..N).map(|i| Box::pin(q.put(i))).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| q.shutdown(false))));
        w.assert_woken(0..N);
        let back: Vec<_> = ready_all(&mut futs)
            .into_iter()
            .map(|r| r.expect_err("shut down").0)
            .collect();
        assert_eq!(
            back,
            (0..N).collect::<Vec<_>>(),
            "each item back exactly once"
        );
        assert_eq!(q.get_nowait(), Ok(usize::MAX), "the stored item drains");
    }
}

#[test]
fn queue_task_done_releases_every_joiner_past_a_panicking_waker() {
    for case in cases() {
        let w = Waiters::new(N, &case);
        let q: Queue<u32> = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait(), Ok(1));
        let mut futs: Vec<_> = (0..N).map(|_| Box::pin(q.join())).collect();
        w.pend_all(&mut futs);
        w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| q.task_done().unwrap())));
        w.assert_woken(0..N);
        assert_eq!(ready_all(&mut futs).len(), N);
        assert_eq!(q.unfinished_tasks(), 0);
    }
}

#[test]
fn queue_get_keeps_its_item_when_the_chosen_putters_waker_panics() {
    let w = Waiters::new(2, &[0, 1]);
    let q: Queue<u32> = Queue::new(1);
    q.put_nowait(1).unwrap();
    let mut putter = Box::pin(q.put(2));
    w.pend(0, putter.as_mut());
    // get_nowait frees the slot and chooses the putter, whose waker panics: the item
    // is still returned (nothing re-raised over it).
    assert_eq!(q.get_nowait(), Ok(1));
    w.assert_woken(0..1);
    assert!(matches!(
        poll(putter.as_mut(), Waker::noop()),
        Poll::Ready(Ok(()))
    ));

    // The same through a waiting `get` future.
    let mut putter = Box::pin(q.put(3));
    w.pend(1, putter.as_mut());
    let mut get = Box::pin(q.get());
    assert_eq!(poll(get.as_mut(), Waker::noop()), Poll::Ready(Ok(2)));
    w.assert_woken(0..2);
    assert!(matches!(
        poll(putter.as_mut(), Waker::noop()),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(q.get_nowait(), Ok(3));
    assert_eq!(q.qsize(), 0);
}

#[test]
fn queue_put_stores_its_item_when_the_chosen_getters_waker_panics() {
    let w = Waiters::new(1, &[0]);
    let q: Queue<u32> = Queue::new(0);
    let mut getter = Box::pin(q.get());
    w.pend(0, getter.as_mut());
    w.assert_first_panic(catch_unwind(AssertUnwindSafe(|| q.put_nowait(9))));
    assert_eq!(poll(getter.as_mut(), Waker::noop()), Poll::Ready(Ok(9)));
    assert_eq!(q.qsize(), 0);
}

// ---- oneshot ----

#[test]
fn oneshot_sender_dropped_while_unwinding_with_a_panicking_receiver_waker_does_not_abort() {
    let w = Waiters::new(1, &[0]);
    let (tx, mut rx) = oneshot::channel::<u32>();
    w.pend(0, Pin::new(&mut rx));
    let r = catch_unwind(AssertUnwindSafe(move || {
        let _tx = tx;
        panic!("{MARK} outer");
    }));
    assert_eq!(message(&*r.unwrap_err()), format!("{MARK} outer"));
    w.assert_woken(0..1);
    assert!(matches!(
        poll(Pin::new(&mut rx), Waker::noop()),
        Poll::Ready(Err(_))
    ));
}

// ---- mpsc ----

#[test]
fn mpsc_receive_keeps_the_message_when_a_blocked_senders_waker_panics() {
    for first in [true, false] {
        // The receive that frees a slot wakes the first blocked sender; that waker panics.
        let panicking: &[usize] = if first { &[0] } else { &[1] };
        let w = Waiters::new(2, panicking);
        let (tx, mut rx) = corio_sync::mpsc::channel::<usize>(1);
        tx.try_send(100).unwrap();
        let mut sends: Vec<_> = (0..2).map(|i| Box::pin(tx.send(i))).collect();
        w.pend_all(&mut sends);
        // The message is handed back, not lost to the waker's panic.
        assert_eq!(rx.try_recv(), Ok(100));
        w.assert_woken(0..1);
        assert!(poll(sends[0].as_mut(), Waker::noop()).is_ready());
        assert_eq!(rx.try_recv(), Ok(0));
        assert!(poll(sends[1].as_mut(), Waker::noop()).is_ready());
        assert_eq!(rx.try_recv(), Ok(1));
    }
}

//! Test support: a seeded RNG, counting wakers, manual polling, and a tiny
//! virtual-time executor with a test `TimerSource`.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use corio_core::context::{RuntimeContext, TimerSource};
use corio_core::task::BoxFuture;
use corio_core::Clock;

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A waker that counts its wakes.
pub struct CountWaker(pub AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn count_waker() -> (Arc<CountWaker>, Waker) {
    let c = Arc::new(CountWaker(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

impl CountWaker {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls once with a no-op waker.
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    Pin::new(f).poll(&mut cx)
}

/// Polls once with `waker`.
pub fn poll_with<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    let mut cx = Context::from_waker(waker);
    Pin::new(f).poll(&mut cx)
}

// ---- virtual time ----

struct Sleeps {
    next_id: u64,
    pending: BTreeMap<(Instant, u64), Option<Waker>>,
}

/// A `TimerSource` on a paused clock: sleeps complete when the executor advances the
/// clock past their deadline.
pub struct VirtualTimer {
    clock: Clock,
    sleeps: Mutex<Sleeps>,
}

impl VirtualTimer {
    pub fn new(clock: Clock) -> Arc<Self> {
        Arc::new(VirtualTimer {
            clock,
            sleeps: Mutex::new(Sleeps {
                next_id: 0,
                pending: BTreeMap::new(),
            }),
        })
    }

    /// The deadline of the earliest pending sleep.
    pub fn earliest(&self) -> Option<Instant> {
        self.sleeps
            .lock()
            .unwrap()
            .pending
            .keys()
            .next()
            .map(|(d, _)| *d)
    }

    /// Number of sleeps registered and not yet completed or dropped.
    pub fn pending(&self) -> usize {
        self.sleeps.lock().unwrap().pending.len()
    }

    /// Wakes every pending sleep whose deadline is not after the clock's now.
    pub fn fire_due(&self) {
        let now = self.clock.now();
        let mut s = self.sleeps.lock().unwrap();
        let keys: Vec<_> = s
            .pending
            .range(..=(now, u64::MAX))
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            if let Some(Some(w)) = s.pending.get_mut(&k).map(Option::take) {
                w.wake();
            }
        }
    }
}

struct Sleep {
    timer: Arc<VirtualTimer>,
    key: (Instant, u64),
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.timer.clock.now() >= self.key.0 {
            self.timer.sleeps.lock().unwrap().pending.remove(&self.key);
            return Poll::Ready(());
        }
        if let Some(slot) = self.timer.sleeps.lock().unwrap().pending.get_mut(&self.key) {
            *slot = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.timer.sleeps.lock().unwrap().pending.remove(&self.key);
    }
}

/// The `TimerSource` handle installed in the context.
pub struct TimerHandle(pub Arc<VirtualTimer>);

impl TimerSource for TimerHandle {
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<()> {
        let mut s = self.0.sleeps.lock().unwrap();
        let id = s.next_id;
        s.next_id += 1;
        s.pending.insert((deadline, id), None);
        Box::pin(Sleep {
            timer: self.0.clone(),
            key: (deadline, id),
        })
    }
}

struct Flag(AtomicUsize);
impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(1, Ordering::SeqCst);
    }
}

/// Runs `tasks` to completion on one thread under a paused clock, advancing the clock
/// to the earliest pending sleep whenever no task is runnable. Panics on a deadlock
/// (nothing runnable and no sleep pending).
pub fn run_virtual<'a>(
    clock: &Clock,
    timer: &Arc<VirtualTimer>,
    tasks: Vec<Pin<Box<dyn Future<Output = ()> + 'a>>>,
) {
    let cx_rt = RuntimeContext::new(clock.clone()).with_timer(Arc::new(TimerHandle(timer.clone())));
    let _guard = cx_rt.enter();
    let mut tasks: Vec<_> = tasks
        .into_iter()
        .map(|t| (Some(t), Arc::new(Flag(AtomicUsize::new(1)))))
        .collect();
    loop {
        let mut progressed = false;
        for (task, flag) in tasks.iter_mut() {
            if task.is_some() && flag.0.swap(0, Ordering::SeqCst) == 1 {
                progressed = true;
                let waker = Waker::from(flag.clone());
                let mut cx = Context::from_waker(&waker);
                if task.as_mut().unwrap().as_mut().poll(&mut cx).is_ready() {
                    *task = None;
                }
            }
        }
        if tasks.iter().all(|(t, _)| t.is_none()) {
            return;
        }
        if !progressed {
            let next = timer
                .earliest()
                .expect("deadlock: nothing runnable, no timer pending");
            clock.advance_to(next).unwrap();
            timer.fire_due();
        }
    }
}

//! Miri-sized unit tests of the raw task lifecycle: spawn, poll, complete, abort, join
//! handle dropped before and after completion, wakers used after completion, shutdown.
//! Every count is asserted exactly; Miri checks the memory (no leak, no use after free).

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use corio_test_util::{poll_once, Counters, DropCounter};

use crate::{yield_now, Executor};

fn rt() -> Executor {
    Executor::builder_current_thread().build().unwrap()
}

/// Pending until `open` is set, storing its waker in `slot` (wrap it in
/// [`Counters::wrap`] to count its polls and its drop).
struct Gate {
    open: Arc<Mutex<bool>>,
    slot: Arc<Mutex<Option<Waker>>>,
}

impl Gate {
    fn new(open: bool) -> Self {
        Gate {
            open: Arc::new(Mutex::new(open)),
            slot: Arc::new(Mutex::new(None)),
        }
    }
}

impl Future for Gate {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if *self.open.lock().unwrap() {
            return Poll::Ready(7);
        }
        *self.slot.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn header_stays_small() {
    // 80 bytes (the scheduler in one tagged word pays for the context-variable slot):
    // a task with a small future is a 128-byte glibc chunk (fast bins).
    if cfg!(target_pointer_width = "64") {
        assert!(std::mem::size_of::<super::raw::Header>() <= 80);
    }
}

#[test]
fn spawn_poll_complete_and_join() {
    let rt = rt();
    let counts = Counters::new();
    let gate = Gate::new(false);
    let (open, slot) = (gate.open.clone(), gate.slot.clone());
    let out = rt.block_on(async {
        let h = crate::spawn(counts.wrap(gate));
        yield_now().await; // the task runs once and parks
        assert_eq!(counts.polls(), 1);
        assert!(!h.is_finished());
        *open.lock().unwrap() = true;
        slot.lock().unwrap().take().unwrap().wake();
        h.await.unwrap()
    });
    assert_eq!(out, 7);
    assert_eq!(counts.polls(), 2);
    assert_eq!(counts.drops(), 1, "future dropped exactly once");
    assert_eq!(rt.handle().num_alive_tasks(), 0);
}

#[test]
fn join_handle_dropped_before_completion_drops_output_in_task() {
    let rt = rt();
    let out_drops = DropCounter::new();
    let d = out_drops.clone();
    rt.block_on(async move {
        let h = crate::spawn(async move { d.token() });
        drop(h);
        yield_now().await;
    });
    assert_eq!(out_drops.drops(), 1);
    assert_eq!(rt.handle().num_alive_tasks(), 0);
}

#[test]
fn join_handle_dropped_after_completion_drops_output() {
    let rt = rt();
    let out_drops = DropCounter::new();
    let d = out_drops.clone();
    let mut h = rt.spawn(async move { d.token() });
    rt.block_on(yield_now()); // runs the task
    assert!(h.is_finished());
    assert_eq!(out_drops.drops(), 0, "kept for the handle");
    drop(h);
    assert_eq!(out_drops.drops(), 1);
    // A handle that read its output and is dropped afterwards drops nothing more.
    let d = out_drops.clone();
    h = rt.spawn(async move { d.token() });
    rt.block_on(yield_now());
    let out = poll_once(&mut h);
    assert!(matches!(out, Poll::Ready(Ok(_))));
    drop(out);
    assert_eq!(out_drops.drops(), 2);
    drop(h);
    assert_eq!(out_drops.drops(), 2);
}

#[test]
fn abort_idle_task_drops_future_once_and_reports_cancelled() {
    let rt = rt();
    let counts = Counters::new();
    let h = rt.spawn(counts.wrap(Gate::new(false)));
    rt.block_on(yield_now());
    assert_eq!(counts.polls(), 1);
    let abort = h.abort_handle();
    abort.abort();
    abort.abort(); // idempotent
    let err = rt.block_on(h).unwrap_err();
    assert!(err.is_cancelled());
    assert!(abort.is_finished());
    assert_eq!(counts.polls(), 1);
    assert_eq!(counts.drops(), 1);
}

#[test]
fn abort_before_first_poll_never_polls() {
    let rt = rt();
    let counts = Counters::new();
    let h = rt.spawn(counts.wrap(Gate::new(true)));
    h.abort();
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert_eq!(counts.polls(), 0);
    assert_eq!(counts.drops(), 1);
}

#[test]
fn wakers_used_after_completion_and_after_runtime_drop() {
    let rt = rt();
    let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let s = slot.clone();
    let h = rt.spawn(poll_fn(move |cx| {
        *s.lock().unwrap() = Some(cx.waker().clone());
        Poll::Ready(5)
    }));
    assert_eq!(rt.block_on(h).unwrap(), 5);
    let waker = slot.lock().unwrap().take().unwrap();
    let clone = waker.clone();
    waker.wake_by_ref();
    clone.wake(); // consumes a reference, schedules nothing
    let late = waker.clone();
    drop(waker);
    drop(rt);
    late.wake_by_ref();
    drop(late); // the last reference frees the task
}

#[test]
fn wake_from_another_thread_runs_task_again() {
    let rt = rt();
    let counts = Counters::new();
    let gate = Gate::new(false);
    let (open, slot) = (gate.open.clone(), gate.slot.clone());
    let h = rt.spawn(counts.wrap(gate));
    rt.block_on(yield_now());
    let waker = slot.lock().unwrap().take().unwrap();
    *open.lock().unwrap() = true;
    let t = std::thread::spawn(move || waker.wake());
    assert_eq!(rt.block_on(h).unwrap(), 7);
    t.join().unwrap();
    assert_eq!(counts.polls(), 2);
}

#[test]
fn panic_in_task_becomes_join_error() {
    let rt = rt();
    let drops = DropCounter::new();
    let d = drops.token();
    let h = rt.spawn(async move {
        let _d = d;
        panic!("boom");
    });
    let err = rt.block_on(h).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(drops.drops(), 1);
}

#[test]
fn shutdown_cancels_idle_and_queued_tasks_once() {
    let rt = rt();
    let counts = Counters::new();
    let mk = || counts.wrap(Gate::new(false));
    let idle = rt.spawn(mk());
    rt.block_on(yield_now());
    let queued = rt.spawn(mk()); // never polled
    let detached = rt.spawn(mk());
    drop(detached);
    assert_eq!(rt.handle().num_alive_tasks(), 3);
    drop(rt);
    assert_eq!(counts.drops(), 3);
    let mut idle = idle;
    let mut queued = queued;
    assert!(matches!(poll_once(&mut idle), Poll::Ready(Err(e)) if e.is_cancelled()));
    assert!(matches!(poll_once(&mut queued), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn named_task_keeps_name_and_location() {
    let rt = rt();
    let h = super::Builder::new()
        .name("worker-1")
        .spawn_on(async { 1 }, rt.handle());
    assert_eq!(h.name(), Some("worker-1"));
    let line = line!() - 2; // the `.spawn_on(` line
    assert_eq!(h.header().location().line(), line);
    assert!(format!("{h:?}").contains("worker-1"));
    let plain = rt.spawn(async { 2 });
    assert_eq!(plain.name(), None);
    assert!(plain.header().location().file().ends_with("tests.rs"));
    assert_eq!(rt.block_on(h).unwrap() + rt.block_on(plain).unwrap(), 3);
}

#[test]
fn multi_thread_runs_spawned_tasks() {
    let rt = Executor::builder_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let n = if cfg!(miri) { 8 } else { 200 };
    let sum = rt.block_on(async move {
        let hs: Vec<_> = (0..n)
            .map(|i| {
                crate::spawn(async move {
                    yield_now().await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, n * (n - 1) / 2);
}

#[test]
fn header_metadata_variants_in_debug_mode_are_freed_and_dumped() {
    // Plain, named, debug and named-debug task metadata (the tagged word's four
    // shapes): each is read by a dump and freed exactly once (Miri checks the memory).
    for debug in [false, true] {
        let rt = crate::Builder::new_current_thread()
            .debug(debug)
            .slow_poll_threshold(std::time::Duration::ZERO)
            .on_slow_poll(|_| {})
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, rx) = futures::channel::oneshot::channel::<u32>();
            let named = crate::task::Builder::new()
                .name("named")
                .spawn(async { rx.await.unwrap() });
            let plain = crate::spawn(async { 2 });
            yield_now().await;
            let tasks = crate::task::dump();
            assert_eq!(tasks.len(), 1, "the plain task finished: {tasks:?}");
            assert_eq!(tasks[0].name(), Some("named"));
            assert_eq!(tasks[0].polls(), 1);
            assert_eq!(tasks[0].since_last_poll().is_some(), debug);
            assert!(tasks[0].location().file().ends_with("tests.rs"));
            tx.send(1).unwrap();
            assert_eq!(named.await.unwrap() + plain.await.unwrap(), 3);
            assert!(crate::task::dump().is_empty());
        });
        let m = rt.handle().metrics();
        assert_eq!((m.total_polls(), m.live_tasks()), (3, 0));
    }
}

#[test]
fn cooperative_cancel_paths_free_everything() {
    // The cancel record is installed lazily into the task's metadata word (also for a
    // named task, whose record already exists); handlers hold counted references.
    let rt = rt();
    let drops = DropCounter::new();
    let d = drops.clone();
    let cleaned = Arc::new(AtomicUsize::new(0));
    let c = cleaned.clone();
    rt.block_on(async move {
        let plain = crate::spawn(async move {
            let _d = d.token();
            std::future::pending::<()>().await
        });
        let named = crate::task::Builder::new()
            .name("named")
            .spawn(crate::task::finally(
                std::future::pending::<()>(),
                move || async move {
                    yield_now().await;
                    c.fetch_add(1, Ordering::SeqCst);
                },
            ));
        let caught = crate::spawn(async {
            crate::task::catch_cancel(std::future::pending::<()>())
                .await
                .unwrap_err()
        });
        yield_now().await;
        assert!(plain.cancel_with("a"));
        assert!(named.cancel_with("b"));
        assert!(caught.cancel());
        assert_eq!(plain.await.unwrap_err().cancel_message(), Some("a"));
        assert_eq!(named.await.unwrap_err().cancel_message(), Some("b"));
        assert_eq!(caught.await.unwrap().message(), None);
        // A request racing nothing: cancelled before its first poll.
        let early = crate::spawn(async {});
        assert!(early.cancel());
        assert!(early.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.drops(), 1);
    assert_eq!(cleaned.load(Ordering::SeqCst), 1);
}

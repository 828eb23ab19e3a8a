//! `corio::shield` and `corio::with_resource` on the real runtime (current-thread and 2
//! workers, virtual time): shielded work survives its caller's cancellation; the async
//! release runs after success, error, panic, and — in the background, on the runtime —
//! when the task running the operation is aborted.

mod support;

use support::{on, runtimes, SEC};

use std::future::{pending, Future};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::sync::Event;
use corio::time::{sleep, Instant};
use corio::{shield, timeout_scope, try_with_resource, with_resource, Exit};
use corio_test_util::DropCounter;

#[test]
fn shield_work_outlives_a_timed_out_caller_and_the_handle_gets_it() {
    for (flavor, rt) in runtimes() {
        let (outer, got, at) = on(&rt, async {
            let start = Instant::now();
            let shielded = shield(async {
                sleep(2 * SEC).await;
                42
            });
            let handle = shielded.handle();
            // The caller gives up after 1 s; dropping the shield must not cancel.
            let outer = timeout_scope(SEC, shielded).await.is_err();
            (outer, handle.await.unwrap(), start.elapsed())
        });
        assert!(outer, "{flavor}: the caller timed out");
        assert_eq!(got, 42, "{flavor}");
        assert_eq!(
            at,
            2 * SEC,
            "{flavor}: the work finished on its own schedule"
        );
    }
}

#[test]
fn aborting_the_task_awaiting_a_shield_leaves_the_work_running() {
    for (flavor, rt) in runtimes() {
        let steps = Arc::new(AtomicUsize::new(0));
        let s = steps.clone();
        let (outer_cancelled, got, at) = on(&rt, async move {
            let start = Instant::now();
            let shielded = shield(async move {
                for _ in 0..3 {
                    sleep(SEC).await;
                    s.fetch_add(1, Ordering::SeqCst);
                }
                "saved"
            });
            let handle = shielded.handle();
            let caller = corio::spawn(shielded);
            sleep(SEC / 2).await;
            caller.abort();
            let outer_cancelled = caller.await.unwrap_err().is_cancelled();
            (outer_cancelled, handle.await.unwrap(), start.elapsed())
        });
        assert!(outer_cancelled, "{flavor}");
        assert_eq!(got, "saved", "{flavor}");
        assert_eq!(at, 3 * SEC, "{flavor}");
        assert_eq!(steps.load(Ordering::SeqCst), 3, "{flavor}");
    }
}

#[test]
fn shield_abort_is_the_one_way_to_cancel_the_work() {
    for (flavor, rt) in runtimes() {
        let err = on(&rt, async {
            let shielded = shield(pending::<()>());
            let handle = shielded.handle();
            drop(shielded);
            handle.abort();
            handle.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{flavor}");
    }
}

#[test]
fn shielded_panic_reaches_the_handle_as_a_join_error() {
    for (flavor, rt) in runtimes() {
        let err = on(&rt, async {
            let shielded = shield(async {
                sleep(SEC).await;
                panic!("disk full")
            });
            shielded.await.unwrap_err()
        });
        assert!(err.is_panic(), "{flavor}");
        assert_eq!(err.panic_message().as_deref(), Some("disk full"));
    }
}

/// Every release: how the body ended and when (since the run's start).
type Log = Arc<Mutex<Vec<(Exit, Duration)>>>;

fn release_into(
    log: &Log,
    start: Instant,
    done: &Arc<Event>,
) -> impl FnOnce(u32, Exit) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    let (log, done) = (log.clone(), done.clone());
    move |resource, exit| {
        Box::pin(async move {
            assert_eq!(resource, 7, "the release gets the resource back");
            sleep(SEC).await; // an async release: it takes a second
            log.lock().unwrap().push((exit, start.elapsed()));
            done.set();
        })
    }
}

#[test]
fn release_runs_after_success_error_and_panic() {
    for (flavor, rt) in runtimes() {
        let log: Log = Arc::default();
        let l = log.clone();
        let panicked = on(&rt, async move {
            let start = Instant::now();
            let done = Arc::new(Event::new());
            let v = with_resource(
                async { 7u32 },
                async |r: &mut u32| *r * 2,
                release_into(&l, start, &done),
            )
            .await;
            assert_eq!(v, 14);
            assert_eq!(start.elapsed(), SEC, "awaited in place");
            let e: Result<(), &str> = try_with_resource(
                async { 7u32 },
                async |_r: &mut u32| Err("rolled back"),
                release_into(&l, start, &done),
            )
            .await;
            assert_eq!(e, Err("rolled back"));
            // A panicking body, in a task: the release finishes before the panic
            // reaches the JoinHandle.
            let (l2, done2) = (l.clone(), done.clone());
            let t = corio::spawn(async move {
                with_resource(
                    async {
                        sleep(SEC).await;
                        7u32
                    },
                    async |_r: &mut u32| -> () { panic!("body failed") },
                    release_into(&l2, start, &done2),
                )
                .await
            });
            let err = t.await.unwrap_err();
            assert_eq!(start.elapsed(), 4 * SEC);
            err.panic_message()
        });
        assert_eq!(panicked.as_deref(), Some("body failed"), "{flavor}");
        assert_eq!(
            *log.lock().unwrap(),
            [
                (Exit::Ok, SEC),
                (Exit::Err, 2 * SEC),
                (Exit::Panic, 4 * SEC)
            ],
            "{flavor}"
        );
    }
}

#[test]
fn aborting_the_body_runs_the_release_in_the_background() {
    for (flavor, rt) in runtimes() {
        let log: Log = Arc::default();
        let body_dropped = DropCounter::new();
        let (l, b) = (log.clone(), body_dropped.clone());
        let finished_at = on(&rt, async move {
            let start = Instant::now();
            let done = Arc::new(Event::new());
            let release = release_into(&l, start, &done);
            let worker = corio::spawn(async move {
                with_resource(
                    async { 7u32 },
                    async move |_r: &mut u32| {
                        let _d = b.token();
                        sleep(10 * SEC).await; // cancelled long before this
                    },
                    release,
                )
                .await
            });
            sleep(2 * SEC).await;
            worker.abort();
            assert!(worker.await.unwrap_err().is_cancelled());
            // Nobody awaits the release: it finishes as a task of its own.
            done.wait().await;
            start.elapsed()
        });
        assert_eq!(body_dropped.drops(), 1, "{flavor}");
        assert_eq!(
            finished_at,
            3 * SEC,
            "{flavor}: abort at 2 s + a 1 s release"
        );
        assert_eq!(
            *log.lock().unwrap(),
            [(Exit::Cancelled, 3 * SEC)],
            "{flavor}"
        );
    }
}

#[test]
fn aborting_during_the_release_lets_it_finish_in_the_background() {
    for (flavor, rt) in runtimes() {
        let log: Log = Arc::default();
        let l = log.clone();
        let finished_at = on(&rt, async move {
            let start = Instant::now();
            let done = Arc::new(Event::new());
            let release = release_into(&l, start, &done);
            let worker = corio::spawn(async move {
                with_resource(async { 7u32 }, async |r: &mut u32| *r, release).await
            });
            // The body ends at once; the release sleeps 1 s; abort half-way through.
            sleep(SEC / 2).await;
            worker.abort();
            assert!(worker.await.unwrap_err().is_cancelled());
            done.wait().await;
            start.elapsed()
        });
        assert_eq!(
            finished_at, SEC,
            "{flavor}: the release kept its own schedule"
        );
        assert_eq!(*log.lock().unwrap(), [(Exit::Ok, SEC)], "{flavor}");
    }
}

#[test]
fn aborting_while_acquiring_releases_nothing() {
    for (flavor, rt) in runtimes() {
        let log: Log = Arc::default();
        let l = log.clone();
        on(&rt, async move {
            let start = Instant::now();
            let done = Arc::new(Event::new());
            let release = release_into(&l, start, &done);
            let worker = corio::spawn(async move {
                with_resource(
                    async {
                        sleep(5 * SEC).await;
                        7u32
                    },
                    async |r: &mut u32| *r,
                    release,
                )
                .await
            });
            sleep(SEC).await;
            worker.abort();
            assert!(worker.await.unwrap_err().is_cancelled());
            sleep(10 * SEC).await;
            assert!(!done.is_set());
        });
        assert!(log.lock().unwrap().is_empty(), "{flavor}");
    }
}

//! `TaskGroup` cancels its children as asyncio's `TaskGroup` does, with `Task.cancel()`
//! (corio's `JoinHandle::cancel`), not an abort: a child's async `task::finally` cleanup
//! runs to its end, a `catch_cancel` child may go on, and the group's end waits for them.
//! Each scenario runs on both runtime flavours, on virtual time (exact sleeps).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::task::{catch_cancel, finally};
use corio::time::{sleep, Instant};
use corio::{task_group, ChildFailure, TaskGroup};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `$scenario` on the current-thread and on the multi-thread runtime.
macro_rules! both_flavours {
    ($($scenario:ident),* $(,)?) => {
        mod current_thread {
            $(
                #[corio::test(flavor = "current_thread", start_paused = true)]
                async fn $scenario() {
                    super::$scenario().await
                }
            )*
        }
        mod multi_thread {
            $(
                #[corio::test(flavor = "multi_thread", worker_threads = 2, start_paused = true)]
                async fn $scenario() {
                    super::$scenario().await
                }
            )*
        }
    };
}

both_flavours!(
    a_sibling_failure_runs_the_childs_async_cleanup_and_waits_for_it,
    a_body_failure_runs_the_childs_async_cleanup_and_waits_for_it,
    cancelling_the_task_running_the_group_runs_the_childs_cleanup,
    cancelling_the_group_runs_the_childs_cleanup_and_join_waits,
    a_child_without_handlers_is_dropped_at_once_next_to_one_cleaning_up,
    a_child_that_catches_the_cancel_returns_ok_and_the_group_still_fails,
    aborting_a_child_handle_stops_its_cleanup,
    cancelling_the_task_awaiting_join_runs_the_childs_cleanup,
    a_failure_during_the_cancel_is_returned_and_the_cancel_goes_on,
    a_handler_around_the_group_takes_the_cancel_after_the_cleanups,
    a_handler_in_the_body_takes_the_cancel_before_the_group,
    dropping_an_unjoined_group_lets_the_cleanups_run,
    cancelling_one_child_runs_its_cleanup_and_is_not_a_failure,
);

/// CPython's `try: await sleep(10)` / `finally: n += 1; await sleep(0.1); n += 10`: `n`
/// is 11 once the cleanup ran to its end, 1 if it was stopped at its await.
async fn sleeper_with_cleanup(n: Arc<AtomicUsize>) -> Result<(), String> {
    finally(
        async {
            sleep(Duration::from_secs(10)).await;
            Ok(())
        },
        move || async move {
            n.fetch_add(1, Ordering::SeqCst);
            sleep(ms(100)).await;
            n.fetch_add(10, Ordering::SeqCst);
        },
    )
    .await
}

async fn fails_after(delay: Duration) -> Result<(), String> {
    sleep(delay).await;
    Err("boom".to_string())
}

async fn a_sibling_failure_runs_the_childs_async_cleanup_and_waits_for_it() {
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let cleanups = n.clone();
    let err = task_group(|g| async move {
        g.spawn(sleeper_with_cleanup(cleanups));
        g.spawn(fails_after(ms(100)));
        Ok::<_, String>(())
    })
    .await
    .unwrap_err();
    // asyncio: the cleanup ran to its end (11) and the group ended after it (0.2 s).
    assert_eq!(n.load(Ordering::SeqCst), 11, "the cleanup ran to its end");
    assert_eq!(t0.elapsed(), ms(200), "the group waited for the cleanup");
    assert_eq!(err.len(), 1, "the cancelled child is not a failure");
    assert_eq!(err.first().index(), Some(1));
}

async fn a_body_failure_runs_the_childs_async_cleanup_and_waits_for_it() {
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let cleanups = n.clone();
    let err = task_group(|g| async move {
        g.spawn(sleeper_with_cleanup(cleanups));
        sleep(ms(100)).await;
        Err::<(), _>("body broke".to_string())
    })
    .await
    .unwrap_err();
    assert_eq!(n.load(Ordering::SeqCst), 11, "the cleanup ran to its end");
    assert_eq!(t0.elapsed(), ms(200), "the group waited for the cleanup");
    assert_eq!(err.len(), 1);
    assert!(matches!(err.first(), ChildFailure::Body { error } if error == "body broke"));
}

async fn cancelling_the_task_running_the_group_runs_the_childs_cleanup() {
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let cleanups = n.clone();
    let runner = corio::spawn(async move {
        task_group(|g| async move {
            g.spawn(sleeper_with_cleanup(cleanups));
            sleep(Duration::from_secs(10)).await;
            Ok::<_, String>(())
        })
        .await
    });
    sleep(ms(100)).await;
    assert!(runner.cancel());
    let err = runner.await.unwrap_err();
    assert!(err.is_cancelled(), "the runner ends cancelled");
    // asyncio's group waits for the cleanup before the cancel goes on: 0.2 s.
    assert_eq!(t0.elapsed(), ms(200), "the runner waited for the cleanup");
    assert_eq!(n.load(Ordering::SeqCst), 11, "the cleanup ran to its end");
}

async fn cancelling_the_group_runs_the_childs_cleanup_and_join_waits() {
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let group = TaskGroup::<(), String>::new();
    group.spawn(sleeper_with_cleanup(n.clone()));
    sleep(ms(100)).await;
    group.cancel();
    let outputs = group.join().await.unwrap();
    assert!(outputs.is_empty(), "a cancelled child has no output");
    assert_eq!(n.load(Ordering::SeqCst), 11, "the cleanup ran to its end");
    assert_eq!(t0.elapsed(), ms(200), "join waited for the cleanup");
}

async fn a_child_without_handlers_is_dropped_at_once_next_to_one_cleaning_up() {
    /// Records when it is dropped (the plain child's only way to see its cancel).
    struct DroppedAt(Instant, Arc<std::sync::Mutex<Option<Duration>>>);
    impl Drop for DroppedAt {
        fn drop(&mut self) {
            *self.1.lock().unwrap() = Some(self.0.elapsed());
        }
    }
    let t0 = Instant::now();
    let dropped = Arc::new(std::sync::Mutex::new(None));
    let n = Arc::new(AtomicUsize::new(0));
    let (d, cleanups) = (dropped.clone(), n.clone());
    let err = task_group(|g| async move {
        g.spawn(async move {
            let _d = DroppedAt(t0, d);
            sleep(Duration::from_secs(10)).await;
            Ok(())
        });
        g.spawn(sleeper_with_cleanup(cleanups));
        g.spawn(fails_after(ms(100)));
        Ok::<_, String>(())
    })
    .await
    .unwrap_err();
    assert_eq!(
        *dropped.lock().unwrap(),
        Some(ms(100)),
        "a child without handlers is dropped when the cancel comes"
    );
    assert_eq!(n.load(Ordering::SeqCst), 11);
    assert_eq!(t0.elapsed(), ms(200));
    assert_eq!(err.len(), 1);
    assert_eq!(err.first().index(), Some(2));
}

async fn a_child_that_catches_the_cancel_returns_ok_and_the_group_still_fails() {
    // asyncio: a child `except CancelledError: return 7` ends normally; the group still
    // raises `ExceptionGroup([the sibling's error])`.
    let t0 = Instant::now();
    let caught = Arc::new(AtomicUsize::new(0));
    let c = caught.clone();
    let err = task_group(|g| async move {
        g.spawn(async move {
            match catch_cancel(sleep(Duration::from_secs(10))).await {
                Ok(()) => Ok(0),
                Err(_cancelled) => {
                    sleep(ms(50)).await; // it may still await
                    c.fetch_add(1, Ordering::SeqCst);
                    Ok(7)
                }
            }
        });
        g.spawn(async {
            sleep(ms(100)).await;
            Err("boom".to_string())
        });
        Ok::<_, String>(())
    })
    .await
    .unwrap_err();
    assert_eq!(
        caught.load(Ordering::SeqCst),
        1,
        "the child caught the cancel"
    );
    assert_eq!(
        t0.elapsed(),
        ms(150),
        "the group waited for the catching child"
    );
    assert_eq!(err.len(), 1, "only the sibling's error");
    assert_eq!(err.errors().collect::<Vec<_>>(), ["boom"]);
}

async fn aborting_a_child_handle_stops_its_cleanup() {
    // `ChildHandle::abort` stays the hard cancel: it stops a cleanup the group's cancel
    // started, at its await.
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let cleanups = n.clone();
    let err = task_group(|g| async move {
        let child = g.spawn(sleeper_with_cleanup(cleanups));
        g.spawn(async move {
            sleep(ms(100)).await;
            corio::spawn(async move {
                sleep(ms(50)).await;
                child.abort();
            })
            .detach();
            Err("boom".to_string())
        });
        Ok::<_, String>(())
    })
    .await
    .unwrap_err();
    assert_eq!(
        n.load(Ordering::SeqCst),
        1,
        "the cleanup started, then was aborted"
    );
    assert_eq!(t0.elapsed(), ms(150), "the group ended at the abort");
    assert_eq!(err.len(), 1);
}

async fn cancelling_the_task_awaiting_join_runs_the_childs_cleanup() {
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let cleanups = n.clone();
    let runner = corio::spawn(async move {
        let group = TaskGroup::<(), String>::new();
        group.spawn(sleeper_with_cleanup(cleanups));
        group.join().await
    });
    sleep(ms(100)).await;
    assert!(runner.cancel());
    assert!(runner.await.unwrap_err().is_cancelled());
    assert_eq!(t0.elapsed(), ms(200), "join waited for the cleanup");
    assert_eq!(n.load(Ordering::SeqCst), 11);
}

async fn a_failure_during_the_cancel_is_returned_and_the_cancel_goes_on() {
    // asyncio (3.13) `__aexit__`: errors raised while the group handles its task's cancel
    // are raised (the `ExceptionGroup`), and the task is re-cancelled: its next await
    // ends it.
    let t0 = Instant::now();
    let seen = Arc::new(std::sync::Mutex::new(None));
    let s = seen.clone();
    let runner = corio::spawn(async move {
        let r = task_group(|g| async move {
            g.spawn(async {
                if catch_cancel(sleep(Duration::from_secs(10))).await.is_err() {
                    sleep(ms(100)).await;
                    return Err("cleanup failed".to_string());
                }
                Ok(())
            });
            sleep(Duration::from_secs(10)).await;
            Ok::<_, String>(())
        })
        .await;
        *s.lock().unwrap() = Some((
            r.map_err(|e| e.errors().cloned().collect::<Vec<_>>()),
            t0.elapsed(),
        ));
        sleep(Duration::from_secs(1)).await;
        unreachable!("the cancel went on to the next await");
    });
    sleep(ms(100)).await;
    assert!(runner.cancel());
    assert!(runner.await.unwrap_err().is_cancelled());
    let (r, at) = seen.lock().unwrap().take().expect("the group returned");
    assert_eq!(
        r,
        Err(vec!["cleanup failed".to_string()]),
        "the failure is returned"
    );
    assert_eq!(at, ms(200), "after the child's cleanup");
    assert_eq!(t0.elapsed(), ms(200), "and the next await ended the task");
}

async fn a_handler_around_the_group_takes_the_cancel_after_the_cleanups() {
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let cleanups = n.clone();
    let runner = corio::spawn(async move {
        let r = catch_cancel(task_group(|g| async move {
            g.spawn(sleeper_with_cleanup(cleanups));
            sleep(Duration::from_secs(10)).await;
            Ok::<_, String>(())
        }))
        .await;
        (r.is_err(), Instant::now())
    });
    sleep(ms(100)).await;
    assert!(runner.cancel());
    let (caught, at) = runner.await.unwrap();
    assert!(caught, "the cancel went on to the handler around the group");
    assert_eq!(at - t0, ms(200), "after the child's cleanup");
    assert_eq!(n.load(Ordering::SeqCst), 11);
}

async fn a_handler_in_the_body_takes_the_cancel_before_the_group() {
    // asyncio: the body's `finally: await sleep(0.05)` runs first (0.1 -> 0.15), then
    // `__aexit__` cancels the child, whose cleanup ends at 0.25.
    let t0 = Instant::now();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (l, n) = (log.clone(), Arc::new(AtomicUsize::new(0)));
    let cleanups = n.clone();
    let runner = corio::spawn(async move {
        task_group(|g| async move {
            g.spawn(sleeper_with_cleanup(cleanups));
            finally(
                async {
                    sleep(Duration::from_secs(10)).await;
                    Ok::<_, String>(())
                },
                move || async move {
                    sleep(ms(50)).await;
                    l.lock().unwrap().push(t0.elapsed());
                },
            )
            .await
        })
        .await
    });
    sleep(ms(100)).await;
    assert!(runner.cancel());
    assert!(runner.await.unwrap_err().is_cancelled());
    assert_eq!(
        *log.lock().unwrap(),
        [ms(150)],
        "the body's cleanup ran first"
    );
    assert_eq!(t0.elapsed(), ms(250), "then the child's");
    assert_eq!(n.load(Ordering::SeqCst), 11);
}

async fn dropping_an_unjoined_group_lets_the_cleanups_run() {
    // Nothing is left to wait for them, but the cancel is the cooperative one.
    let n = Arc::new(AtomicUsize::new(0));
    let group = TaskGroup::<(), String>::new();
    group.spawn(sleeper_with_cleanup(n.clone()));
    sleep(ms(100)).await;
    drop(group);
    sleep(ms(50)).await;
    assert_eq!(n.load(Ordering::SeqCst), 1, "the cleanup started");
    sleep(ms(100)).await;
    assert_eq!(n.load(Ordering::SeqCst), 11, "and ran to its end");
}

async fn cancelling_one_child_runs_its_cleanup_and_is_not_a_failure() {
    // asyncio: `t.cancel()` on one of the group's tasks: its `finally` runs, the group
    // waits for it and does not fail; a task that catches the cancel returns its value.
    let t0 = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let group = TaskGroup::<u32, String>::new();
    let with_cleanup = group.spawn({
        let n = n.clone();
        async move {
            sleeper_with_cleanup(n).await?;
            Ok(0)
        }
    });
    let catching = group.spawn(async {
        match catch_cancel(sleep(Duration::from_secs(10))).await {
            Ok(()) => Ok(0),
            Err(_) => Ok(7),
        }
    });
    group.spawn(async {
        sleep(ms(300)).await;
        Ok(5)
    });
    sleep(ms(100)).await;
    with_cleanup.cancel();
    catching.cancel();
    sleep(ms(50)).await;
    assert!(catching.is_finished() && !with_cleanup.is_finished());
    assert_eq!(n.load(Ordering::SeqCst), 1, "the cleanup is running");
    let outputs = group.join().await.unwrap();
    assert_eq!(
        outputs,
        [7, 5],
        "the cancelled child is left out, the catching one kept"
    );
    assert_eq!(n.load(Ordering::SeqCst), 11, "the cleanup ran to its end");
    assert_eq!(t0.elapsed(), ms(300));
}

/// A cleanup that never ends keeps the group waiting, as in asyncio (which waits
/// forever); corio's runtime shutdown grace bounds it: at the grace's deadline the
/// runtime drops what its cancel did not end, and the drop of the runtime returns.
#[test]
fn a_cleanup_that_never_ends_is_bounded_by_the_shutdown_grace() {
    use corio_test_util::DropCounter;
    let b = || {
        corio::Runtime::builder()
            .start_paused(true)
            .shutdown_grace(Duration::from_secs(1))
    };
    for rt in [
        b().current_thread().build().unwrap(),
        b().multi_thread().worker_threads(2).build().unwrap(),
    ] {
        let cleanup_dropped = DropCounter::new();
        let token = cleanup_dropped.token();
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        rt.block_on(async move {
            let runner = corio::spawn(task_group(|g| async move {
                g.spawn(finally(
                    async {
                        sleep(Duration::from_secs(10)).await;
                        Ok(())
                    },
                    move || async move {
                        let _token = token;
                        s.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await // never ends
                    },
                ));
                g.spawn(fails_after(ms(100)));
                Ok::<_, String>(())
            }));
            sleep(Duration::from_secs(60)).await;
            assert!(!runner.is_finished(), "the group waits for the cleanup");
            runner.detach();
        });
        assert_eq!(started.load(Ordering::SeqCst), 1);
        assert_eq!(cleanup_dropped.drops(), 0, "still running at shutdown");
        drop(rt); // the grace's cancel is held back by the cleanup; its deadline ends it
        assert_eq!(
            cleanup_dropped.drops(),
            1,
            "dropped at the grace's deadline"
        );
    }
}

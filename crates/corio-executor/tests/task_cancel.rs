//! Cooperative cancel (`JoinHandle::cancel`, asyncio's `Task.cancel()`) and the cancel
//! handlers (`finally`, `catch_cancel`, `cancelled`, `shielded`, `cancelling`,
//! `uncancel`), on both runtime flavors.
mod support;

use std::future::pending;
use std::sync::{Arc, Mutex};

use corio_executor::task::{self, Cancelled};
use corio_executor::{spawn, yield_now, JoinHandle};
use corio_test_util::DropCounter;
use futures::channel::oneshot;
use futures::stream::{FuturesUnordered, StreamExt};
use support::executors;

/// A log of events, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// Spawns `f` with a "started" signal it must send once it reached its await, and waits
/// for it: the task is then surely idle in that await when the test cancels it.
async fn started<T: Send + 'static, F>(f: impl FnOnce(oneshot::Sender<()>) -> F) -> JoinHandle<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let h = spawn(f(tx));
    rx.await.expect("the task signals that it started");
    h
}

#[test]
fn cancel_without_handlers_drops_the_future_with_the_message() {
    for (name, rt) in executors() {
        let drops = DropCounter::new();
        let token = drops.token();
        let err = rt.block_on(async move {
            let h = started(|tx| async move {
                let _t = token;
                tx.send(()).unwrap();
                pending::<()>().await
            })
            .await;
            assert!(h.cancel_with("stop now"));
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
        assert_eq!(err.cancel_message(), Some("stop now"), "{name}");
        assert!(
            err.to_string().ends_with("was cancelled: stop now"),
            "{name}"
        );
        assert_eq!(drops.drops(), 1, "{name}");
    }
}

#[test]
fn cancel_before_the_first_poll_never_runs_the_task() {
    for (name, rt) in executors() {
        let log = Log::default();
        let l = log.clone();
        let err = rt.block_on(async move {
            // A current-thread runtime cannot run the task before the cancel below; on the
            // multi-thread one, an idle worker might, so the task's start is checked.
            let h = spawn(task::finally(
                async move {
                    l.push("body");
                    pending::<()>().await
                },
                || async {},
            ));
            h.cancel();
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
        if name == "current_thread" {
            assert!(log.take().is_empty(), "{name}: the body never ran");
        }
    }
}

#[test]
fn finally_runs_async_cleanup_to_its_end_then_the_task_ends_cancelled() {
    for (name, rt) in executors() {
        let log = Log::default();
        let l = log.clone();
        let err = rt.block_on(async move {
            let h = started(|tx| {
                let (l1, l2) = (l.clone(), l.clone());
                task::finally(
                    async move {
                        tx.send(()).unwrap();
                        pending::<()>().await
                    },
                    move || async move {
                        l1.push("cleanup start");
                        for _ in 0..3 {
                            yield_now().await;
                        }
                        l1.push("cleanup end");
                        drop(l2);
                    },
                )
            })
            .await;
            h.cancel_with("bye");
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
        assert_eq!(err.cancel_message(), Some("bye"), "{name}");
        assert_eq!(log.take(), ["cleanup start", "cleanup end"], "{name}");
    }
}

#[test]
fn finally_without_a_cancel_runs_the_cleanup_and_returns_the_output() {
    for (name, rt) in executors() {
        let log = Log::default();
        let l = log.clone();
        let out = rt.block_on(async move {
            spawn(task::finally(
                async {
                    yield_now().await;
                    7
                },
                move || async move {
                    yield_now().await;
                    l.push("cleanup");
                },
            ))
            .await
            .unwrap()
        });
        assert_eq!(out, 7, "{name}");
        assert_eq!(log.take(), ["cleanup"], "{name}");
    }
}

#[test]
fn nested_finally_cleans_up_innermost_first() {
    for (name, rt) in executors() {
        let log = Log::default();
        let l = log.clone();
        let err = rt.block_on(async move {
            let h = started(|tx| {
                let (outer, inner) = (l.clone(), l.clone());
                task::finally(
                    task::finally(
                        async move {
                            tx.send(()).unwrap();
                            pending::<()>().await
                        },
                        move || async move {
                            yield_now().await;
                            inner.push("inner");
                        },
                    ),
                    move || async move {
                        yield_now().await;
                        outer.push("outer");
                    },
                )
            })
            .await;
            h.cancel();
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
        assert_eq!(log.take(), ["inner", "outer"], "{name}");
    }
}

#[test]
fn catch_cancel_lets_the_task_go_on_and_uncancel_withdraws_the_request() {
    for (name, rt) in executors() {
        let out = rt.block_on(async move {
            let h = started(|tx| async move {
                let caught = task::catch_cancel(async move {
                    tx.send(()).unwrap();
                    pending::<()>().await
                })
                .await;
                let c: Cancelled = caught.unwrap_err();
                let before = task::cancelling();
                let after = task::uncancel();
                // The task goes on and awaits normally: no second cancel is delivered.
                yield_now().await;
                (
                    c.message().map(str::to_owned),
                    before,
                    after,
                    task::cancelling(),
                )
            })
            .await;
            h.cancel_with("please");
            h.await.unwrap()
        });
        assert_eq!(out, (Some("please".to_owned()), 1, 0, 0), "{name}");
    }
}

#[test]
fn cancelled_future_is_a_select_branch() {
    for (name, rt) in executors() {
        let got = rt.block_on(async move {
            let h = started(|tx| async move {
                tx.send(()).unwrap();
                let work = pending::<&str>();
                futures::pin_mut!(work);
                let stop = task::cancelled();
                futures::pin_mut!(stop);
                match futures::future::select(work, stop).await {
                    futures::future::Either::Left((w, _)) => w.to_owned(),
                    futures::future::Either::Right((c, _)) => format!("stopped: {c}"),
                }
            })
            .await;
            h.cancel_with("shutdown");
            h.await.unwrap()
        });
        assert_eq!(got, "stopped: task was cancelled: shutdown", "{name}");
    }
}

#[test]
fn a_handler_inside_futures_unordered_is_woken_by_the_cancel() {
    // FuturesUnordered polls only woken children: the handler's own waker must fire.
    for (name, rt) in executors() {
        let got = rt.block_on(async move {
            let h = started(|tx| async move {
                let mut set = FuturesUnordered::new();
                set.push(Box::pin(async move {
                    let _ = tx.send(());
                    task::catch_cancel(pending::<()>()).await.unwrap_err()
                }));
                set.next().await.unwrap()
            })
            .await;
            h.cancel_with("fu");
            h.await.unwrap()
        });
        assert_eq!(got.message(), Some("fu"), "{name}");
    }
}

#[test]
fn shielded_body_finishes_and_the_cancel_lands_after_it() {
    for (name, rt) in executors() {
        let log = Log::default();
        let l = log.clone();
        let err = rt.block_on(async move {
            let (release, release_rx) = oneshot::channel::<()>();
            let h = started(|tx| async move {
                let v = task::shielded(async move {
                    tx.send(()).unwrap();
                    release_rx.await.unwrap();
                    yield_now().await;
                    "shielded work done"
                })
                .await;
                l.push(v);
                pending::<()>().await;
                l.push("never");
            })
            .await;
            h.cancel();
            yield_now().await;
            release.send(()).unwrap();
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
        assert_eq!(log.take(), ["shielded work done"], "{name}");
    }
}

#[test]
fn catch_cancel_inside_a_shield_does_not_see_the_cancel() {
    for (name, rt) in executors() {
        let out = rt.block_on(async move {
            let (release, release_rx) = oneshot::channel::<()>();
            let h = started(|tx| async move {
                let inner = task::shielded(task::catch_cancel(async move {
                    tx.send(()).unwrap();
                    release_rx.await.unwrap();
                    "finished"
                }))
                .await;
                inner.unwrap()
            })
            .await;
            h.cancel();
            yield_now().await;
            release.send(()).unwrap();
            // The body ended inside the shield; the task then completed in the same poll,
            // so the request was never delivered.
            h.await
        });
        assert_eq!(out.unwrap(), "finished", "{name}");
    }
}

#[test]
fn a_second_cancel_during_cleanup_waits_and_abort_stops_the_cleanup() {
    for (name, rt) in executors() {
        let log = Log::default();
        let l = log.clone();
        let (err, cancelling) = rt.block_on(async move {
            let (in_cleanup_tx, in_cleanup) = oneshot::channel::<()>();
            let (release, release_rx) = oneshot::channel::<()>();
            let h = started(|tx| {
                let l = l.clone();
                task::finally(
                    async move {
                        tx.send(()).unwrap();
                        pending::<()>().await
                    },
                    move || async move {
                        in_cleanup_tx.send(()).unwrap();
                        release_rx.await.unwrap();
                        l.push("cleanup done");
                    },
                )
            })
            .await;
            h.cancel();
            in_cleanup.await.unwrap();
            assert!(h.cancel(), "the task still runs: the request counts");
            yield_now().await;
            let cancelling = h.cancelling();
            release.send(()).unwrap();
            (h.await.unwrap_err(), cancelling)
        });
        assert!(err.is_cancelled(), "{name}");
        assert_eq!(cancelling, 2, "{name}");
        assert_eq!(
            log.take(),
            ["cleanup done"],
            "{name}: the cleanup was not cut"
        );

        // abort() is the hard stop: it ends a cleanup that never would.
        let err = rt.block_on(async move {
            let (in_cleanup_tx, in_cleanup) = oneshot::channel::<()>();
            let h = started(|tx| {
                task::finally(
                    async move {
                        tx.send(()).unwrap();
                        pending::<()>().await
                    },
                    move || async move {
                        in_cleanup_tx.send(()).unwrap();
                        pending::<()>().await // a cleanup that never ends
                    },
                )
            })
            .await;
            h.cancel();
            in_cleanup.await.unwrap();
            h.abort();
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{name}");
    }
}

#[test]
fn cancelling_a_finished_task_returns_false_and_changes_nothing() {
    for (name, rt) in executors() {
        rt.block_on(async move {
            let h = spawn(async { 5 });
            while !h.is_finished() {
                yield_now().await;
            }
            assert!(!h.cancel(), "{name}");
            assert!(!h.cancel_with("late"), "{name}");
            assert_eq!(h.cancelling(), 0, "{name}");
            assert_eq!(h.await.unwrap(), 5, "{name}");

            let aborted = spawn(pending::<()>());
            aborted.abort();
            assert!(
                !aborted.cancel(),
                "{name}: nothing to ask of an aborted task"
            );
            assert!(aborted.await.unwrap_err().is_cancelled());
        });
    }
}

#[test]
fn cancelling_twice_delivers_one_cancel_with_the_latest_message() {
    for (name, rt) in executors() {
        let (err, count, delivered) = rt.block_on(async move {
            // The shield keeps the task alive between the two requests (on two workers
            // it could otherwise end after the first).
            let (release, release_rx) = oneshot::channel::<()>();
            let delivered = Arc::new(Mutex::new(None));
            let d = delivered.clone();
            let h = started(|tx| async move {
                task::shielded(async move {
                    tx.send(()).unwrap();
                    release_rx.await.unwrap();
                })
                .await;
                let c = task::cancelled().await;
                *d.lock().unwrap() = Some(c);
                // Taken once: this await is not cancelled again.
                yield_now().await;
                pending::<()>().await
            })
            .await;
            assert!(h.cancel_with("first"));
            assert!(h.cancel_with("second"));
            let count = h.cancelling();
            release.send(()).unwrap();
            while delivered.lock().unwrap().is_none() {
                yield_now().await;
            }
            h.abort();
            let taken = delivered.lock().unwrap().take().unwrap();
            (h.await.unwrap_err(), count, taken)
        });
        assert_eq!(count, 2, "{name}");
        assert_eq!(delivered.message(), Some("second"), "{name}");
        assert!(err.is_cancelled(), "{name}");
    }
}

#[test]
fn uncancel_to_zero_drops_an_undelivered_request() {
    for (name, rt) in executors() {
        let out = rt.block_on(async move {
            let (release, release_rx) = oneshot::channel::<()>();
            let h = started(|tx| async move {
                task::shielded(async move {
                    tx.send(()).unwrap();
                    release_rx.await.unwrap();
                })
                .await;
                // The request is still pending (held back by the shield): withdraw it.
                assert_eq!(task::cancelling(), 1);
                assert_eq!(task::uncancel(), 0);
                assert_eq!(task::uncancel(), 0, "uncancel at zero is a no-op");
                yield_now().await; // not cancelled here
                "survived"
            })
            .await;
            h.cancel();
            yield_now().await;
            release.send(()).unwrap();
            h.await
        });
        assert_eq!(out.unwrap(), "survived", "{name}");
    }
}

#[test]
fn handlers_outside_a_task_are_inert() {
    for (name, rt) in executors() {
        let out = rt.block_on(async {
            let a = task::catch_cancel(async { 1 }).await.unwrap();
            let b = task::shielded(async { 2 }).await;
            let c = task::finally(async { 3 }, || async {}).await;
            (a, b, c, task::cancelling(), task::uncancel())
        });
        assert_eq!(out, (1, 2, 3, 0, 0), "{name}");
    }
}

#[test]
fn an_awaited_handle_dropped_early_cancels_its_task_and_detach_opts_out() {
    for (name, rt) in executors() {
        let log = Log::default();
        let l = log.clone();
        rt.block_on(async move {
            // Awaited, then given up (as a timeout or select! does): cancelled, and the
            // task's cleanup runs.
            let (done_tx, done) = oneshot::channel::<()>();
            let mut h = started(|tx| {
                let l = l.clone();
                task::finally(
                    async move {
                        tx.send(()).unwrap();
                        pending::<()>().await
                    },
                    move || async move {
                        l.push("cleaned up");
                        done_tx.send(()).unwrap();
                    },
                )
            })
            .await;
            assert!(futures::poll!(&mut h).is_pending());
            drop(h);
            done.await.unwrap();

            // Never awaited: dropping detaches (fire and forget).
            let (ran_tx, ran) = oneshot::channel::<()>();
            drop(spawn(async move {
                yield_now().await;
                ran_tx.send(()).unwrap();
            }));
            ran.await.unwrap();

            // Awaited, then detached explicitly: runs on.
            let (ran_tx, ran) = oneshot::channel::<()>();
            let mut h = spawn(async move {
                yield_now().await;
                yield_now().await;
                ran_tx.send(()).unwrap();
            });
            let _ = futures::poll!(&mut h);
            h.detach();
            ran.await.unwrap();
        });
        assert_eq!(log.take(), ["cleaned up"], "{name}");
    }
}

#[test]
fn a_running_task_cancelled_from_another_thread_ends_cancelled() {
    // Multi-thread: the request races the task's own polls; whatever the interleaving
    // the task ends cancelled, once, and its cleanup runs once.
    let rt = corio_executor::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for _ in 0..200 {
        let log = Log::default();
        let l = log.clone();
        let err = rt.block_on(async move {
            let h = spawn(task::finally(
                async {
                    loop {
                        yield_now().await;
                    }
                },
                move || async move { l.push("cleanup") },
            ));
            yield_now().await;
            h.cancel();
            h.await.unwrap_err()
        });
        assert!(err.is_cancelled());
        let log = log.take();
        assert!(log.is_empty() || log == ["cleanup"], "{log:?}");
    }
}

#[test]
#[should_panic(expected = "moved to another task")]
fn a_handler_moved_between_tasks_panics_clearly() {
    let rt = corio_executor::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        let first = spawn(async move {
            let mut h = Box::pin(task::catch_cancel(pending::<()>()));
            let _ = futures::poll!(h.as_mut());
            tx.send(h).ok();
        });
        first.await.unwrap();
        let h = rx.await.unwrap();
        let second = spawn(async move {
            let _ = h.await;
        });
        if let Err(e) = second.await {
            std::panic::resume_unwind(e.into_panic());
        }
    });
}

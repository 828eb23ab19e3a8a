//! CPython's `Lib/test/test_asyncio/test_taskgroups.py`, translated: `async with
//! TaskGroup() as g:` is `corio::task_group(|g| async move { … })`, `g.create_task(c)` is
//! `g.spawn(c)`, an exception is an `Err` (or a panic), `ExceptionGroup` is
//! `TaskGroupError`. Virtual time (`#[corio::test]` starts paused), so the sleeps are
//! exact and instant.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::task::ContextVar;
use corio::time::{sleep, Instant};
use corio::{task_group, ChildFailure, GroupSpawnErrorKind};

#[derive(Debug, Clone, PartialEq)]
enum Exc {
    ZeroDivision,
    MyExc,
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Sets its flag when dropped: how a translated child notices its cancellation
/// (CPython's `except CancelledError:`).
struct OnCancel(Arc<AtomicBool>);
impl Drop for OnCancel {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[corio::test(start_paused = true)]
async fn test_taskgroup_01() {
    // Two children; their results are there after the group.
    let t0 = Instant::now();
    let ((), results) = task_group(|g| async move {
        g.spawn(async {
            sleep(secs(0.1)).await;
            Ok::<_, Exc>(42)
        });
        g.spawn(async {
            sleep(secs(0.2)).await;
            Ok(11)
        });
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(results, [42, 11]);
    assert_eq!(t0.elapsed(), secs(0.2));
}

#[corio::test(start_paused = true)]
async fn test_taskgroup_02() {
    // The body spawns, sleeps, then spawns again.
    let ((), results) = task_group(|g| async move {
        g.spawn(async {
            sleep(secs(0.1)).await;
            Ok::<_, Exc>(42)
        });
        sleep(secs(0.15)).await;
        g.spawn(async {
            sleep(secs(0.2)).await;
            Ok(11)
        });
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(results, [42, 11]);
}

#[corio::test(start_paused = true)]
async fn test_taskgroup_03() {
    // Cancelling one child explicitly: everything else goes on; it is no failure.
    let (t1_done, results) = task_group(|g| async move {
        let t1 = g.spawn(async {
            sleep(secs(0.15)).await;
            Ok::<_, Exc>(42)
        });
        sleep(secs(0.1)).await;
        t1.abort();
        g.spawn(async {
            sleep(secs(0.2)).await;
            Ok(11)
        });
        sleep(secs(0.01)).await;
        Ok(t1.is_finished())
    })
    .await
    .unwrap();
    assert!(t1_done, "t1 was cancelled");
    assert_eq!(results, [11], "the cancelled child has no result");
}

#[corio::test(start_paused = true)]
async fn test_taskgroup_04() {
    // A failing child cancels its sibling; the group reports the failure.
    let num = Arc::new(AtomicUsize::new(0));
    let t2_cancel = Arc::new(AtomicBool::new(false));
    let (n, c) = (num.clone(), t2_cancel.clone());
    let err = task_group(|g| async move {
        g.spawn(async {
            sleep(secs(0.1)).await;
            Err::<(), _>(Exc::ZeroDivision)
        });
        g.spawn(async move {
            let guard = OnCancel(c);
            sleep(secs(0.2)).await;
            std::mem::forget(guard);
            n.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        Ok(())
    })
    .await
    .unwrap_err();
    assert_eq!(
        err.errors().cloned().collect::<Vec<_>>(),
        [Exc::ZeroDivision]
    );
    assert_eq!(num.load(Ordering::SeqCst), 0);
    assert!(t2_cancel.load(Ordering::SeqCst));
}

#[corio::test(start_paused = true)]
async fn test_cancel_children_on_child_error() {
    // Three children fail at 0.1 s; the long sibling and the body (sleeping 10 s) are
    // cancelled: the group ends at 0.1 s, not 10 s.
    let t0 = Instant::now();
    let num = Arc::new(AtomicUsize::new(0));
    let t2_cancel = Arc::new(AtomicBool::new(false));
    let runner_cancel = Arc::new(AtomicBool::new(false));
    let (n, c2, rc) = (num.clone(), t2_cancel.clone(), runner_cancel.clone());
    let err = task_group(|g| async move {
        for _ in 0..3 {
            g.spawn(async {
                sleep(secs(0.1)).await;
                Err(Exc::ZeroDivision)
            });
        }
        let n2 = n.clone();
        g.spawn(async move {
            let guard = OnCancel(c2);
            sleep(secs(5.0)).await;
            std::mem::forget(guard);
            n2.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        let guard = OnCancel(rc);
        sleep(secs(10.0)).await;
        std::mem::forget(guard);
        n.fetch_add(10, Ordering::SeqCst);
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(err.errors().all(|e| *e == Exc::ZeroDivision));
    assert!((1..=3).contains(&err.len()));
    assert_eq!(num.load(Ordering::SeqCst), 0);
    assert!(t2_cancel.load(Ordering::SeqCst));
    assert!(
        runner_cancel.load(Ordering::SeqCst),
        "the body was cancelled too"
    );
    assert_eq!(t0.elapsed(), secs(0.1));
}

#[corio::test(start_paused = true)]
async fn test_cancellation() {
    // Cancelling the task that runs the group cancels every child.
    let num = Arc::new(AtomicUsize::new(0));
    let n = num.clone();
    let runner = corio::spawn(async move {
        task_group(|g| async move {
            for _ in 0..5 {
                let n = n.clone();
                g.spawn(async move {
                    struct Count(Arc<AtomicUsize>);
                    impl Drop for Count {
                        fn drop(&mut self) {
                            self.0.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    let _c = Count(n);
                    sleep(secs(5.0)).await;
                    Ok::<(), Exc>(())
                });
            }
            Ok(())
        })
        .await
    });
    sleep(secs(0.1)).await;
    assert!(!runner.is_finished());
    runner.abort();
    assert!(runner.await.unwrap_err().is_cancelled());
    // The aborted children are dropped at their next scheduling point.
    for _ in 0..10 {
        corio::yield_now().await;
    }
    assert_eq!(num.load(Ordering::SeqCst), 5);
}

#[corio::test(start_paused = true)]
async fn test_cancellation_in_body() {
    // The body raises: the children are cancelled and the body's error is reported.
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let l = log.clone();
    let err = task_group(|g| async move {
        for delay in [0.3, 0.5] {
            let l = l.clone();
            g.spawn(async move {
                struct Log(Arc<std::sync::Mutex<Vec<f64>>>, f64);
                impl Drop for Log {
                    fn drop(&mut self) {
                        self.0.lock().unwrap().push(self.1);
                    }
                }
                let _l = Log(l, delay);
                sleep(secs(delay)).await;
                Ok::<(), Exc>(())
            });
        }
        sleep(secs(0.1)).await;
        Err::<(), _>(Exc::MyExc)
    })
    .await
    .unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(matches!(
        err.first(),
        ChildFailure::Body { error: Exc::MyExc }
    ));
    let mut cancelled = log.lock().unwrap().clone();
    cancelled.sort_by(f64::total_cmp);
    assert_eq!(cancelled, [0.3, 0.5]);
}

#[corio::test(start_paused = true)]
async fn test_taskgroup_no_create_task_after_failure() {
    // A child being cancelled (its `except CancelledError:` is its `Drop`) cannot
    // spawn into the failing group: the spawn is refused and the child given back.
    let refused = Arc::new(std::sync::Mutex::new(None));
    let r = refused.clone();
    let err = task_group(|g| async move {
        g.spawn(async {
            sleep(secs(0.001)).await;
            Err(Exc::ZeroDivision)
        });
        let g2 = g.clone();
        g.spawn(async move {
            struct TrySpawnOnCancel(
                corio::GroupHandle<(), Exc>,
                Arc<std::sync::Mutex<Option<GroupSpawnErrorKind>>>,
            );
            impl Drop for TrySpawnOnCancel {
                fn drop(&mut self) {
                    let e = self.0.try_spawn(async { Ok(()) }).unwrap_err();
                    assert!(e.into_inner().is_some(), "the child comes back, unrun");
                    *self.1.lock().unwrap() = Some(GroupSpawnErrorKind::Cancelling);
                }
            }
            let _on_cancel = TrySpawnOnCancel(g2, r);
            sleep(secs(1.0)).await;
            Ok(())
        });
        Ok(())
    })
    .await
    .unwrap_err();
    assert_eq!(
        err.errors().cloned().collect::<Vec<_>>(),
        [Exc::ZeroDivision]
    );
    assert_eq!(
        *refused.lock().unwrap(),
        Some(GroupSpawnErrorKind::Cancelling)
    );
}

#[corio::test(start_paused = true)]
async fn test_coro_closed_when_tg_closed() {
    // Spawning into a finished group is an error ("is finished") and the child is not
    // dropped silently: it comes back.
    let mut handle = None;
    task_group(|g| {
        handle = Some(g.clone());
        async { Ok::<(), Exc>(()) }
    })
    .await
    .unwrap();
    let g = handle.unwrap();
    let err = g.try_spawn(sleep(Duration::ZERO).then_ok()).unwrap_err();
    assert_eq!(err.kind(), &GroupSpawnErrorKind::Finished);
    assert!(err.to_string().contains("finished"));
    assert!(err.into_inner().is_some());
}

#[corio::test(start_paused = true)]
async fn test_taskgroup_task_context() {
    // A child runs in a copy of the spawner's context (asyncio copies the context at
    // `create_task`): it sees the value set before the spawn, and its own sets stay its
    // own.
    static CVAR: ContextVar<&'static str> = ContextVar::new("cvar");
    let token = CVAR.set("outer");
    let ((), seen) = task_group(|g| async move {
        g.spawn(async {
            let before = CVAR.get();
            let _t = CVAR.set("child");
            Ok::<_, Exc>((before, CVAR.get()))
        });
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(seen, [("outer", "child")]);
    assert_eq!(CVAR.get(), "outer");
    CVAR.reset(token).unwrap();
}

#[corio::test(start_paused = true)]
async fn test_taskgroup_local_children_share_rc_state() {
    // Not in CPython (its tasks are all local): `!Send` children sharing `Rc<RefCell<…>>`.
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let ((), _) = task_group(|g| async move {
        for i in 0..3 {
            let l = l.clone();
            g.spawn_local(async move {
                sleep(secs(0.1 * f64::from(3 - i))).await;
                l.borrow_mut().push(i);
                Ok::<(), Exc>(())
            });
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(*log.borrow(), [2, 1, 0]);
}

/// `future.then_ok()`: `Ok(())` after `future` (a CPython coroutine as a child).
trait ThenOk: std::future::Future<Output = ()> + Sized {
    async fn then_ok(self) -> Result<(), Exc> {
        self.await;
        Ok(())
    }
}
impl<F: std::future::Future<Output = ()>> ThenOk for F {}

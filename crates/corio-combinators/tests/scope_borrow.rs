//! `scope`: children borrow from the caller's stack; failures cancel and are reported.

use std::sync::Mutex;
use std::time::Duration;

use corio_combinators::{scope, ChildFailure};
use corio_test_util::{sleep, Counters, Log, TestRuntime};

#[test]
fn children_borrow_from_the_stack_and_run_concurrently() {
    let rt = TestRuntime::new();
    let inputs = vec![3u64, 1, 2];
    let mut results = vec![0u64; 3];
    {
        let slots: Vec<Mutex<&mut u64>> = results.iter_mut().map(Mutex::new).collect();
        let (inputs, slots) = (&inputs, &slots);
        let out = rt.block_on(scope(|s| async move {
            for (i, secs) in inputs.iter().enumerate() {
                s.spawn(async move {
                    sleep(Duration::from_secs(*secs)).await;
                    **slots[i].lock().unwrap() = secs * 100;
                    Ok::<(), String>(())
                });
            }
            Ok("body")
        }));
        assert_eq!(out.unwrap(), "body");
    }
    assert_eq!(results, [300, 100, 200]);
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
    assert_eq!(rt.spawned(), 0, "nothing was spawned on the runtime");
}

#[test]
fn a_failure_cancels_the_body_and_the_siblings() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let log = Log::new();
    let err = rt
        .block_on(scope(|s| {
            let (c, log) = (&c, &log);
            async move {
                s.spawn(c.wrap(async move {
                    sleep(Duration::from_secs(10)).await;
                    log.push("sibling finished");
                    Ok(())
                }));
                s.spawn(c.wrap(async {
                    sleep(Duration::from_secs(1)).await;
                    Err("broken")
                }));
                sleep(Duration::from_secs(20)).await;
                log.push("body finished");
                Ok(())
            }
        }))
        .unwrap_err();
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
    assert!(log.snapshot().is_empty());
    assert_eq!(c.drops(), 2);
    assert_eq!(err.errors().collect::<Vec<_>>(), [&"broken"]);
    assert_eq!(err.first().index(), Some(1));
}

#[test]
fn failures_in_the_same_round_are_all_reported() {
    let err = futures::executor::block_on(scope(|s| async move {
        s.spawn(async { Err::<(), _>("a") });
        s.spawn(async { panic!("b") });
        s.spawn(async { Err("c") });
        Ok(())
    }))
    .unwrap_err();
    assert_eq!(err.len(), 3);
    assert_eq!(err.errors().copied().collect::<Vec<_>>(), ["a", "c"]);
    assert!(
        matches!(&err.failures()[1], ChildFailure::Join { index: 1, error } if error.panic_message().as_deref() == Some("b"))
    );
}

#[test]
fn children_can_spawn_siblings() {
    let count = Mutex::new(0);
    let count_ref = &count;
    futures::executor::block_on(scope(|s| async move {
        let s2 = s.clone();
        s.spawn(async move {
            for _ in 0..3 {
                s2.spawn(async move {
                    *count_ref.lock().unwrap() += 1;
                    Ok::<(), ()>(())
                });
            }
            Ok(())
        });
        Ok(())
    }))
    .unwrap();
    assert_eq!(*count.lock().unwrap(), 3);
}

#[test]
fn a_body_panic_propagates_after_dropping_the_children() {
    let c = Counters::new();
    let c2 = c.clone();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(scope(|s| async move {
            s.spawn(c2.wrap(futures::future::pending::<Result<(), ()>>()));
            futures::future::ready(()).await;
            // Yield once so the child is adopted and polled, then panic.
            corio_test_util::yield_now().await;
            panic!("body failed");
            #[allow(unreachable_code)]
            Ok(())
        }))
    }))
    .unwrap_err();
    assert_eq!(
        corio_core::panic_message(&*err).as_deref(),
        Some("body failed")
    );
    assert_eq!(c.polls(), 1);
    assert_eq!(c.drops(), 1, "the child did not outlive the scope");
}

#[test]
fn spawning_after_the_scope_finished_drops_the_future() {
    let c = Counters::new();
    let mut leaked = None;
    futures::executor::block_on(scope(|s: corio_combinators::Scope<'_, ()>| {
        leaked = Some(s.clone());
        async { Ok(()) }
    }))
    .unwrap();
    leaked.unwrap().spawn(c.wrap(async { Ok(()) }));
    assert_eq!((c.polls(), c.drops()), (0, 1));
}

#[test]
fn dropping_the_scope_future_drops_every_child() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let out = rt.block_on(corio_combinators::timeout_scope(
        Duration::from_secs(1),
        scope(|s| {
            let c = &c;
            async move {
                for _ in 0..5 {
                    s.spawn(c.wrap(async {
                        sleep(Duration::from_secs(10)).await;
                        Ok::<(), ()>(())
                    }));
                }
                Ok(())
            }
        }),
    ));
    assert!(out.is_err());
    assert_eq!(c.drops(), 5);
}

#[test]
fn a_body_error_cancels_the_children_and_is_reported_with_theirs() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let err = rt
        .block_on(scope(|s| {
            let c = &c;
            async move {
                for _ in 0..3 {
                    s.spawn(c.wrap(async {
                        sleep(Duration::from_secs(10)).await;
                        Ok(())
                    }));
                }
                sleep(Duration::from_secs(1)).await;
                Err::<(), _>("body broke")
            }
        }))
        .unwrap_err();
    assert_eq!(
        rt.elapsed(),
        Duration::from_secs(1),
        "the children did not run on"
    );
    assert_eq!(c.drops(), 3);
    assert_eq!(err.len(), 1);
    assert!(err.first().is_body());
    assert_eq!(err.first().index(), None);
    assert_eq!(
        err.to_string(),
        "task group failed: body failed: body broke"
    );
}

#[test]
fn local_scope_children_may_be_not_send() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let rt = TestRuntime::new();
    let shared = Rc::new(RefCell::new(Vec::new()));
    let s2 = shared.clone();
    rt.block_on(corio_combinators::local_scope(|s| async move {
        for i in 0..3u64 {
            let shared = s2.clone();
            s.spawn(async move {
                sleep(Duration::from_secs(3 - i)).await;
                shared.borrow_mut().push(i);
                Ok::<(), ()>(())
            });
        }
        Ok(())
    }))
    .unwrap();
    assert_eq!(*shared.borrow(), [2, 1, 0]);
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
}

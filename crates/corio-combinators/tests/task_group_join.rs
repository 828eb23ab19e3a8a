//! `TaskGroup`: join waits for all; first failure cancels siblings; all failures reported;
//! no orphans.

use std::time::Duration;

use corio_combinators::{ChildFailure, GroupSpawnErrorKind, TaskGroup};
use corio_test_util::{sleep, Counters, Log, TestRuntime};

#[test]
fn join_waits_for_every_child_and_returns_outputs_in_spawn_order() {
    let rt = TestRuntime::new();
    let out = rt.block_on(async {
        let group = TaskGroup::new();
        for secs in [3u64, 1, 2] {
            group.spawn(async move {
                sleep(Duration::from_secs(secs)).await;
                Ok::<_, String>(secs)
            });
        }
        assert_eq!(group.running(), 3);
        group.join().await
    });
    assert_eq!(out.unwrap(), [3, 1, 2]);
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
    assert_eq!(rt.live_tasks(), 0);
}

#[test]
fn first_error_cancels_the_siblings() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let log = Log::new();
    let err = rt.block_on(async {
        let group = TaskGroup::new();
        for i in 0..4u64 {
            let log = log.clone();
            group.spawn(c.wrap(async move {
                if i == 2 {
                    sleep(Duration::from_secs(1)).await;
                    return Err(format!("child {i} broke"));
                }
                sleep(Duration::from_secs(10)).await;
                log.push(format!("child {i} finished"));
                Ok(i)
            }));
        }
        group.join().await.unwrap_err()
    });
    assert_eq!(
        rt.elapsed(),
        Duration::from_secs(1),
        "join returned when the failure hit"
    );
    assert!(log.snapshot().is_empty(), "no sibling ran to completion");
    assert_eq!(c.drops(), 4, "every child future was dropped");
    assert_eq!(err.len(), 1);
    assert_eq!(err.first().index(), Some(2));
    assert_eq!(err.errors().collect::<Vec<_>>(), ["child 2 broke"]);
    assert_eq!(
        err.to_string(),
        "1 child failed: child 2 failed: child 2 broke"
    );
}

#[test]
fn a_panicking_child_is_a_failure_too() {
    let rt = TestRuntime::new();
    let err = rt.block_on(async {
        let group = TaskGroup::<u8, String>::new();
        group.spawn(async { panic!("child exploded") });
        group.spawn(async {
            sleep(Duration::from_secs(5)).await;
            Ok(1)
        });
        group.join().await.unwrap_err()
    });
    assert!(err.has_panic());
    match err.first() {
        ChildFailure::Join { index, error } => {
            assert_eq!(*index, 0);
            assert_eq!(error.panic_message().as_deref(), Some("child exploded"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(rt.elapsed(), Duration::ZERO);
}

#[test]
fn failures_that_race_the_cancellation_are_all_reported() {
    // Late aborts model a multi-threaded runtime: children already being polled when the
    // first failure cancels them still finish that poll, and fail too.
    let rt = TestRuntime::new().with_late_abort();
    let err = rt.block_on(async {
        let group = TaskGroup::<(), String>::new();
        group.spawn(async { Err("disk full".into()) });
        group.spawn(async { panic!("parser crashed") });
        group.spawn(async { Err("network down".into()) });
        group.join().await.unwrap_err()
    });
    assert_eq!(err.len(), 3);
    let indexes: Vec<usize> = err
        .failures()
        .iter()
        .filter_map(ChildFailure::index)
        .collect();
    assert_eq!(indexes, [0, 1, 2]);
    assert_eq!(
        err.errors().collect::<Vec<_>>(),
        ["disk full", "network down"]
    );
    assert!(err.failures()[1].is_panic());
}

#[test]
fn dropping_an_unjoined_group_cancels_its_children() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let log = Log::new();
    let l = log.clone();
    rt.block_on(async {
        let group = TaskGroup::<(), ()>::new();
        group.spawn(c.wrap(async move {
            sleep(Duration::from_secs(1)).await;
            l.push("orphan ran");
            Ok(())
        }));
        drop(group);
        sleep(Duration::from_secs(5)).await;
    });
    assert!(log.snapshot().is_empty());
    assert_eq!(c.drops(), 1);
    assert_eq!(rt.live_tasks(), 0);
}

#[test]
fn dropping_the_join_cancels_the_children() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let out = rt.block_on(async {
        let group = TaskGroup::<(), ()>::new();
        group.spawn(c.wrap(async {
            sleep(Duration::from_secs(10)).await;
            Ok(())
        }));
        let r = corio_combinators::timeout_scope(Duration::from_secs(1), group.join()).await;
        sleep(Duration::from_secs(1)).await;
        r
    });
    assert!(out.is_err());
    assert_eq!(c.drops(), 1);
    assert_eq!(rt.live_tasks(), 0);
}

#[test]
fn spawn_after_a_failure_is_refused_and_gives_the_child_back() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    rt.block_on(async {
        let group = TaskGroup::<(), &str>::new();
        group.spawn(async { Err("first") });
        sleep(Duration::from_secs(1)).await; // let the failure happen
        let refused = group.try_spawn(c.wrap(async { Ok(()) })).unwrap_err();
        assert_eq!(refused.kind(), &GroupSpawnErrorKind::Cancelling);
        assert!(refused.to_string().contains("cancelling"), "{refused}");
        assert_eq!(c.polls(), 0);
        assert_eq!(
            c.drops(),
            0,
            "not dropped silently: the caller gets it back"
        );
        let child = refused.into_inner().expect("the child comes back");
        drop(child);
        assert_eq!(c.drops(), 1);
        let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            group.spawn(async { Ok(()) });
        }))
        .unwrap_err();
        assert!(corio_core::panic_message(&*p)
            .unwrap()
            .contains("cancelling"));
        let err = group.join().await.unwrap_err();
        assert_eq!(err.len(), 1);
    });
}

#[test]
fn a_child_that_cannot_start_is_given_back_and_not_part_of_the_group() {
    let group = TaskGroup::<(), ()>::new();
    // Outside any runtime: spawn fails with a clear error and returns the child.
    let err = group.try_spawn(async { Ok(()) }).unwrap_err();
    assert!(matches!(err.kind(), GroupSpawnErrorKind::NoRuntime(_)));
    assert!(err.to_string().contains("`corio::TaskGroup::spawn`"));
    assert!(err.into_inner().is_some());
    let local = group.try_spawn_local(async { Ok(()) }).unwrap_err();
    assert_eq!(local.kind(), &GroupSpawnErrorKind::NoLocalSet);
    let result = futures::executor::block_on(group.join()).unwrap();
    assert!(result.is_empty());
}

#[test]
fn empty_group_joins_at_once() {
    let out = futures::executor::block_on(TaskGroup::<u8, ()>::new().join());
    assert_eq!(out.unwrap(), Vec::<u8>::new());
}

#[test]
fn a_group_used_after_join_refuses_spawns_with_a_clear_error() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    rt.block_on(async {
        let group = TaskGroup::<u8, ()>::new();
        let handle = group.handle();
        let child = group.spawn(async { Ok(1) });
        assert_eq!(group.join().await.unwrap(), [1]);
        // The group is finished: spawning through a kept handle is refused and the
        // child comes back unrun.
        let err = handle.try_spawn(c.wrap(async { Ok(2) })).unwrap_err();
        assert_eq!(err.kind(), &GroupSpawnErrorKind::Finished);
        assert!(err.to_string().contains("finished"), "{err}");
        assert_eq!((c.polls(), c.drops()), (0, 0));
        drop(err.into_inner());
        assert_eq!(c.drops(), 1);
        let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle.spawn(async { Ok(3) });
        }))
        .unwrap_err();
        assert!(corio_core::panic_message(&*p).unwrap().contains("finished"));
        // The finished child's handle is inert.
        assert!(child.is_finished());
        child.abort();
    });
    assert_eq!(rt.live_tasks(), 0);
}

#[test]
fn children_spawn_siblings_and_one_child_is_cancelled_alone() {
    let rt = TestRuntime::new();
    let out = rt.block_on(async {
        let group = TaskGroup::<u64, ()>::new();
        let h = group.handle();
        group.spawn(async move {
            for i in 0..3 {
                h.spawn(async move {
                    sleep(Duration::from_secs(i)).await;
                    Ok(i)
                });
            }
            Ok(100)
        });
        let slow = group.spawn(async {
            sleep(Duration::from_secs(60)).await;
            Ok(999)
        });
        sleep(Duration::from_secs(1)).await;
        slow.abort(); // not a failure: the group goes on
        group.join().await
    });
    assert_eq!(
        out.unwrap(),
        [100, 0, 1, 2],
        "spawn order; the aborted child left out"
    );
    assert_eq!(rt.elapsed(), Duration::from_secs(2));
}

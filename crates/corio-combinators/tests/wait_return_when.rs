//! `wait`: asyncio's `wait(aws, timeout, return_when)`; nothing is cancelled.

use std::time::Duration;

use corio_combinators::{wait, ReturnWhen};
use corio_core::TaskHandle;
use corio_test_util::{sleep, TestRuntime};

fn spawn_after(secs: u64, value: u32) -> TaskHandle<u32> {
    corio_core::task::spawn(async move {
        sleep(Duration::from_secs(secs)).await;
        value
    })
}

#[test]
fn first_completed_hands_back_the_rest_still_running() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let handles = vec![spawn_after(3, 30), spawn_after(1, 10), spawn_after(2, 20)];
        let (done, pending) = wait(handles, ReturnWhen::FirstCompleted, None).await;
        assert_eq!(
            done.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [10]
        );
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|h| !h.is_finished()));
        // In input order, and still running: they complete later.
        let rest: Vec<u32> = corio_combinators::gather(pending)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rest, [30, 20]);
    });
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
}

#[test]
fn first_exception_returns_at_a_panic() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let t0 = corio_core::context::now();
        let handles = vec![
            spawn_after(1, 1),
            corio_core::task::spawn(async {
                sleep(Duration::from_secs(2)).await;
                panic!("worker crashed");
            }),
            spawn_after(10, 3),
        ];
        let (done, pending) = wait(handles, ReturnWhen::FirstException, None).await;
        assert_eq!(done.len(), 2);
        assert_eq!(*done[0].as_ref().unwrap(), 1);
        let err = done[1].as_ref().unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.panic_message().as_deref(), Some("worker crashed"));
        assert_eq!(pending.len(), 1);
        assert_eq!(corio_core::context::now() - t0, Duration::from_secs(2));
        // Not cancelled: the pending task still finishes.
        assert_eq!(pending.into_iter().next().unwrap().await.unwrap(), 3);
    });
    assert_eq!(rt.elapsed(), Duration::from_secs(10));
}

#[test]
fn first_exception_without_errors_waits_for_all() {
    let rt = TestRuntime::new();
    let (done, pending) = rt.block_on(async {
        let handles = vec![spawn_after(2, 2), spawn_after(1, 1)];
        wait(handles, ReturnWhen::FirstException, None).await
    });
    assert_eq!(
        done.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(pending.is_empty());
    assert_eq!(rt.elapsed(), Duration::from_secs(2));
}

#[test]
fn all_completed_with_timeout_returns_what_finished_in_time() {
    let rt = TestRuntime::new();
    let (done, pending) = rt.block_on(async {
        let handles = vec![spawn_after(5, 5), spawn_after(1, 1), spawn_after(2, 2)];
        wait(
            handles,
            ReturnWhen::AllCompleted,
            Some(Duration::from_millis(2500)),
        )
        .await
    });
    assert_eq!(rt.elapsed(), Duration::from_millis(2500));
    assert_eq!(
        done.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(pending.len(), 1);
    assert!(!pending[0].is_finished());
    assert_eq!(rt.block_on(pending.into_iter().next().unwrap()).unwrap(), 5);
    assert_eq!(rt.elapsed(), Duration::from_secs(5));
}

#[test]
fn empty_input_returns_at_once() {
    let (done, pending) = futures::executor::block_on(wait(
        Vec::<futures::future::Ready<Result<(), ()>>>::new(),
        ReturnWhen::AllCompleted,
        None,
    ));
    assert!(done.is_empty() && pending.is_empty());
}

#[test]
fn timeout_outside_a_runtime_panics_naming_the_function() {
    let err = std::panic::catch_unwind(|| {
        futures::executor::block_on(wait(
            vec![futures::future::pending::<Result<(), ()>>()],
            ReturnWhen::AllCompleted,
            Some(Duration::from_secs(1)),
        ))
    })
    .unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.contains("`corio::wait` was called outside of a corio runtime"),
        "{msg}"
    );
}

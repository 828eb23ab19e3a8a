//! `gather_settled`: every outcome, panics included (asyncio's `return_exceptions=True`).

use std::time::Duration;

use corio_combinators::gather_settled;
use corio_core::JoinError;
use corio_test_util::{sleep, TestRuntime};

#[test]
fn a_panicked_task_shows_as_its_join_error() {
    let rt = TestRuntime::new();
    let (ids, out) = rt.block_on(async {
        let handles = vec![
            corio_core::task::spawn(async {
                sleep(Duration::from_secs(2)).await;
                1
            }),
            corio_core::task::spawn(async {
                sleep(Duration::from_secs(1)).await;
                panic!("task two failed")
            }),
            corio_core::task::spawn(async { 3 }),
        ];
        let ids: Vec<_> = handles.iter().map(|h| h.id()).collect();
        (ids, gather_settled(handles).await)
    });
    assert_eq!(*out[0].as_ref().unwrap(), 1);
    let err = out[1].as_ref().unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.id(), ids[1]);
    assert_eq!(err.panic_message().as_deref(), Some("task two failed"));
    assert_eq!(*out[2].as_ref().unwrap(), 3);
    // Nothing was cut short: the slowest ran to the end.
    assert_eq!(rt.elapsed(), Duration::from_secs(2));
}

#[test]
fn errors_and_panics_of_plain_futures_are_kept_in_order() {
    let out = futures::executor::block_on(gather_settled((0..4).map(|i| async move {
        match i {
            1 => Err(std::io::Error::other("io failed")),
            2 => panic!("plain future panicked"),
            _ => Ok(i),
        }
    })));
    assert_eq!(out.len(), 4);
    assert_eq!(*out[0].as_ref().unwrap(), 0);
    assert_eq!(out[1].as_ref().unwrap_err().to_string(), "io failed");
    let panicked = out[2].as_ref().unwrap_err();
    let join: &JoinError = panicked.get_ref().unwrap().downcast_ref().unwrap();
    assert_eq!(
        join.panic_message().as_deref(),
        Some("plain future panicked")
    );
    assert_eq!(*out[3].as_ref().unwrap(), 3);
}

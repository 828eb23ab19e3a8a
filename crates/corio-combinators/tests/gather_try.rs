//! `try_gather`: the first `Err` returns at once and cancels the rest.

use std::time::Duration;

use corio_combinators::try_gather;
use corio_test_util::{sleep, Counters, TestRuntime};

#[test]
fn first_err_returns_at_once_and_drops_the_others() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    // Future 3 fails after 1 s; the others would take 10..50 s.
    let futs: Vec<_> = (1..=5u64)
        .map(|i| {
            c.wrap(async move {
                if i == 3 {
                    sleep(Duration::from_secs(1)).await;
                    return Err("boom".to_string());
                }
                sleep(Duration::from_secs(i * 10)).await;
                Ok::<u64, String>(i)
            })
        })
        .collect();
    let out = rt.block_on(async {
        let r = try_gather(futs).await;
        // Everything else was dropped before `try_gather` returned.
        assert_eq!(c.drops(), 5);
        r
    });
    assert_eq!(out, Err("boom".to_string()));
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
}

#[test]
fn all_ok_gives_values_in_input_order() {
    let rt = TestRuntime::new();
    let out = rt.block_on(try_gather([3u64, 1, 2].map(|s| async move {
        sleep(Duration::from_secs(s)).await;
        Ok::<_, ()>(s)
    })));
    assert_eq!(out, Ok(vec![3, 1, 2]));
}

#[test]
fn without_runtime_under_block_on() {
    let out = futures::executor::block_on(try_gather((0..3).map(|i| async move {
        if i == 1 {
            Err(i)
        } else {
            Ok(i)
        }
    })));
    assert_eq!(out, Err(1));
}

//! `select!`: first to finish wins, others dropped; `biased;`; fair random start.

use std::time::Duration;

use corio_combinators::select;
use corio_test_util::{sleep, Counters, TestRuntime};
use futures::future::{pending, ready};

#[test]
fn first_to_finish_wins_and_the_others_are_dropped() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let out = rt.block_on(async {
        let r = select! {
            a = c.wrap(async { sleep(Duration::from_secs(3)).await; "slow" }) => a,
            b = c.wrap(async { sleep(Duration::from_secs(1)).await; "fast" }) => b,
            _ = c.wrap(pending::<()>()) => "never",
        };
        assert_eq!(
            c.drops(),
            3,
            "all branch futures are dropped when select! ends"
        );
        r
    });
    assert_eq!(out, "fast");
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
}

#[test]
fn handlers_run_in_the_enclosing_async_context() {
    async fn first_even(xs: Vec<u32>) -> Result<u32, String> {
        for x in xs {
            let doubled = select! {
                v = ready(x) => {
                    if v == 99 {
                        return Err("ninety-nine".into());
                    }
                    ready(v * 2).await
                }
                _ = pending::<()>() => unreachable!(),
            };
            if doubled % 4 == 0 {
                return Ok(doubled);
            }
        }
        Err("none".into())
    }
    futures::executor::block_on(async {
        assert_eq!(first_even(vec![1, 3, 4]).await, Ok(8));
        assert_eq!(first_even(vec![1, 99, 4]).await, Err("ninety-nine".into()));
    });
}

#[test]
fn biased_polls_in_order() {
    futures::executor::block_on(async {
        for _ in 0..50 {
            let v = select! {
                biased;
                a = ready(1) => a,
                b = ready(2) => b,
                c = ready(3) => c,
            };
            assert_eq!(v, 1);
        }
    });
}

#[test]
fn unbiased_start_is_random_so_no_branch_starves() {
    let mut wins = [0u32; 3];
    futures::executor::block_on(async {
        for _ in 0..300 {
            let i = select! {
                a = ready(0usize) => a,
                b = ready(1usize) => b,
                c = ready(2usize) => c,
            };
            wins[i] += 1;
        }
    });
    assert!(wins.iter().all(|&w| w > 30), "{wins:?}");
}

#[test]
fn mut_ref_keeps_a_future_across_selects() {
    futures::executor::block_on(async {
        let (tx, rx) = futures::channel::oneshot::channel::<u8>();
        let mut rx = rx;
        let first = select! {
            biased;
            _ = &mut rx => "rx",
            _ = ready(()) => "ready",
        };
        assert_eq!(first, "ready");
        tx.send(5).unwrap();
        let second = select! {
            v = &mut rx => v.unwrap(),
            _ = pending::<()>() => 0,
        };
        assert_eq!(second, 5);
    });
}

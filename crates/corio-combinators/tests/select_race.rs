//! `race(a, b)`: the first output wins; the loser is dropped.

use std::time::Duration;

use corio_combinators::race;
use corio_test_util::{sleep, Counters, TestRuntime};
use futures::future::{pending, ready};

#[test]
fn the_faster_wins_and_the_loser_is_dropped() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let out = rt.block_on(async {
        let slow = c.wrap(async {
            sleep(Duration::from_secs(5)).await;
            "slow"
        });
        let fast = c.wrap(async {
            sleep(Duration::from_secs(2)).await;
            "fast"
        });
        race(slow, fast).await
    });
    assert_eq!(out, "fast");
    assert_eq!(c.drops(), 2);
    assert_eq!(rt.elapsed(), Duration::from_secs(2));
}

#[test]
fn both_ready_either_may_win_but_both_do_over_time() {
    let mut a_wins = 0;
    futures::executor::block_on(async {
        for _ in 0..200 {
            if race(ready('a'), ready('b')).await == 'a' {
                a_wins += 1;
            }
        }
    });
    assert!((40..=160).contains(&a_wins), "{a_wins}");
}

#[test]
fn works_without_a_runtime() {
    assert_eq!(futures::executor::block_on(race(ready(1), pending())), 1);
}

//! `gather!` / `try_gather!`: fixed sets of futures of different types.

use std::time::Duration;

use corio_combinators::{gather, try_gather};
use corio_test_util::{sleep, Counters, Log, TestRuntime};

#[test]
fn tuple_in_argument_order_while_completion_order_differs() {
    let rt = TestRuntime::new();
    let log = Log::new();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let out = rt.block_on(gather!(
        async move {
            sleep(Duration::from_secs(3)).await;
            l1.push("a");
            1u8
        },
        async move {
            sleep(Duration::from_secs(1)).await;
            l2.push("b");
            "two"
        },
        async move {
            sleep(Duration::from_secs(2)).await;
            l3.push("c");
            3.0f64
        },
    ));
    assert_eq!(out, (1, "two", 3.0));
    assert_eq!(log.take(), ["b", "c", "a"]);
    assert_eq!(rt.elapsed(), Duration::from_secs(3));
}

#[test]
fn single_future_and_borrowed_locals() {
    let name = String::from("x");
    let (n,) = futures::executor::block_on(gather!(async { name.len() }));
    assert_eq!(n, 1);
    assert_eq!(name, "x", "the macro did not move the local");
}

#[test]
fn try_gather_first_err_drops_the_others() {
    let rt = TestRuntime::new();
    let c = Counters::new();
    let slow = c.wrap(async {
        sleep(Duration::from_secs(10)).await;
        Ok::<u32, &str>(1)
    });
    let failing = c.wrap(async {
        sleep(Duration::from_secs(1)).await;
        Err::<&str, &str>("bad")
    });
    let out = rt.block_on(async {
        let r = try_gather!(slow, failing).await;
        assert_eq!(c.drops(), 2);
        r
    });
    assert_eq!(out, Err("bad"));
    assert_eq!(rt.elapsed(), Duration::from_secs(1));
}

#[test]
fn try_gather_all_ok() {
    let out = futures::executor::block_on(try_gather!(
        async { Ok::<_, ()>(1) },
        async { Ok(String::from("s")) },
        async { Ok([0u8; 2]) },
    ));
    assert_eq!(out, Ok((1, String::from("s"), [0, 0])));
}

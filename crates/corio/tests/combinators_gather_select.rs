//! `corio::gather_settled` over `JoinHandle`s with a panicking task, and `corio::select!`
//! between a sleep and a channel, on the real runtime (current-thread and 2 workers,
//! virtual time).

mod support;

use support::{on, runtimes, SEC};

use std::time::Duration;

use corio::sync::mpsc;
use corio::time::{sleep, Instant};
use corio::{gather, gather_settled, select, try_gather, JoinError};

#[test]
fn gather_settled_over_handles_keeps_every_outcome_in_input_order() {
    for (flavor, rt) in runtimes() {
        let (outcomes, at) = on(&rt, async {
            let start = Instant::now();
            let handles = vec![
                corio::spawn(async {
                    sleep(3 * SEC).await;
                    "slow"
                }),
                corio::spawn(async {
                    sleep(SEC).await;
                    panic!("task 1 blew up")
                }),
                corio::spawn(async { "fast" }),
            ];
            let outcomes: Vec<Result<&str, JoinError>> = gather_settled(handles).await;
            (outcomes, start.elapsed())
        });
        assert_eq!(
            at,
            3 * SEC,
            "{flavor}: the panic did not cut the others short"
        );
        assert_eq!(*outcomes[0].as_ref().unwrap(), "slow", "{flavor}");
        let err = outcomes[1].as_ref().unwrap_err();
        assert!(err.is_panic(), "{flavor}");
        assert_eq!(err.panic_message().as_deref(), Some("task 1 blew up"));
        assert_eq!(*outcomes[2].as_ref().unwrap(), "fast", "{flavor}");
    }
}

#[test]
fn gather_over_handles_runs_them_concurrently() {
    for (flavor, rt) in runtimes() {
        let (out, at) = on(&rt, async {
            let start = Instant::now();
            let handles: Vec<_> = (1..=4u32)
                .map(|s| {
                    corio::spawn(async move {
                        sleep(s * SEC).await;
                        s
                    })
                })
                .collect();
            let out: Vec<u32> = gather(handles)
                .await
                .into_iter()
                .map(|r| r.unwrap())
                .collect();
            (out, start.elapsed())
        });
        assert_eq!(out, [1, 2, 3, 4], "{flavor}");
        assert_eq!(at, 4 * SEC, "{flavor}");
    }
}

#[test]
fn try_gather_stops_at_the_first_error_at_its_instant() {
    for (flavor, rt) in runtimes() {
        let (r, at) = on(&rt, async {
            let start = Instant::now();
            let work = |s: u32, fail: bool| async move {
                sleep(s * SEC).await;
                if fail {
                    Err(format!("{s} failed"))
                } else {
                    Ok(s)
                }
            };
            let r = try_gather(vec![work(5, false), work(2, true), work(1, false)]).await;
            (r, start.elapsed())
        });
        assert_eq!(r, Err("2 failed".to_string()), "{flavor}");
        assert_eq!(at, 2 * SEC, "{flavor}");
    }
}

#[test]
fn select_between_a_sleep_and_a_channel() {
    for (flavor, rt) in runtimes() {
        let events = on(&rt, async {
            let start = Instant::now();
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let producer = corio::spawn(async move {
                sleep(3 * SEC).await;
                tx.send(7).await.unwrap();
                sleep(10 * SEC).await;
                drop(tx);
            });
            let mut events = vec![];
            // The sleep wins at 1 s; the channel loses nothing (recv is cancel-safe).
            for patience in [SEC, 5 * SEC, 20 * SEC] {
                let event = select! {
                    _ = sleep(patience) => "timeout".to_string(),
                    v = rx.recv() => match v {
                        Some(v) => format!("got {v}"),
                        None => "closed".to_string(),
                    },
                };
                events.push((event, start.elapsed()));
            }
            producer.await.unwrap();
            events
        });
        assert_eq!(
            events,
            [
                ("timeout".to_string(), SEC),
                ("got 7".to_string(), 3 * SEC),
                ("closed".to_string(), 13 * SEC),
            ],
            "{flavor}"
        );
    }
}

#[test]
fn biased_select_prefers_the_first_ready_branch() {
    for (flavor, rt) in runtimes() {
        let winner = on(&rt, async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            tx.send(1).await.unwrap();
            sleep(SEC).await;
            // Both ready: the sleep is already due and a message is waiting.
            select! {
                biased;
                v = rx.recv() => v.map(|_| "channel"),
                _ = sleep(Duration::ZERO) => Some("sleep"),
            }
        });
        assert_eq!(winner, Some("channel"), "{flavor}");
    }
}

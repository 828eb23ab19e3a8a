//! Shutdown's grace on the real runtime (timer + reactor), both flavors, on virtual time:
//! leftover tasks get the soft cancel at drop, their cleanups may sleep and use
//! channels, a cleanup that never ends is dropped at the grace's deadline (on the
//! runtime's clock), and `corio::run`'s end does the same.

use std::future::{pending, Future};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::Duration;

use corio::sync::mpsc;
use corio::task;
use corio::time::sleep;
use corio::Runtime;
use corio_test_util::DropCounter;

const SEC: Duration = Duration::from_secs(1);

/// Both flavors on a paused clock with the given grace.
fn runtimes(grace: Duration) -> [(&'static str, Runtime); 2] {
    let b = || Runtime::builder().start_paused(true).shutdown_grace(grace);
    [
        ("current_thread", b().current_thread().build().unwrap()),
        (
            "multi_thread",
            b().multi_thread().worker_threads(2).build().unwrap(),
        ),
    ]
}

/// Spawns `body` (detached) and waits until it sent its "started" signal.
fn start<F>(rt: &Runtime, body: impl FnOnce(std_mpsc::Sender<()>) -> F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = std_mpsc::channel();
    rt.block_on(async {
        drop(corio::spawn(body(tx)));
        while rx.try_recv().is_err() {
            corio::yield_now().await;
        }
    });
}

#[test]
fn leftover_cleanups_sleep_and_talk_over_a_channel_at_drop() {
    for (flavor, rt) in runtimes(60 * SEC) {
        // A full channel: the producer's cleanup can only send once the consumer's
        // cleanup receives; both run during the grace.
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.try_send(1).unwrap();
        let (out_tx, out) = std_mpsc::channel();
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    sleep(2 * SEC).await;
                    tx.send(2).await.unwrap(); // waits for room
                },
            )
        });
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    sleep(3 * SEC).await;
                    while let Some(v) = rx.recv().await {
                        out_tx.send(v).unwrap();
                    }
                },
            )
        });
        let handle = rt.handle().clone();
        let before = handle.clock().now();
        drop(rt);
        assert_eq!(out.try_iter().collect::<Vec<_>>(), [1, 2], "{flavor}");
        assert_eq!(
            handle.clock().now() - before,
            3 * SEC,
            "{flavor}: the grace lasted as long as the cleanups, on virtual time"
        );
        assert_eq!(handle.num_alive_tasks(), 0, "{flavor}");
    }
}

#[test]
fn a_cleanup_that_never_ends_is_dropped_at_the_virtual_deadline() {
    for (flavor, rt) in runtimes(30 * SEC) {
        let ticks = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::new();
        let (t, g) = (ticks.clone(), drops.token());
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    let _g = g;
                    loop {
                        sleep(SEC).await;
                        t.fetch_add(1, Ordering::SeqCst);
                    }
                },
            )
        });
        let handle = rt.handle().clone();
        let before = handle.clock().now();
        drop(rt);
        assert_eq!(handle.clock().now() - before, 30 * SEC, "{flavor}");
        let ticks = ticks.load(Ordering::SeqCst);
        // The 30th tick and the deadline are due at the same instant: either may win.
        assert!((29..=30).contains(&ticks), "{flavor}: {ticks} ticks");
        assert_eq!(drops.drops(), 1, "{flavor}: dropped once");
    }
}

#[test]
fn a_grace_of_duration_max_waits_for_a_long_cleanup() {
    for (flavor, rt) in runtimes(Duration::MAX) {
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    sleep(3600 * SEC).await;
                    d.fetch_add(1, Ordering::SeqCst);
                },
            )
        });
        let handle = rt.handle().clone();
        let before = handle.clock().now();
        drop(rt);
        assert_eq!(done.load(Ordering::SeqCst), 1, "{flavor}");
        assert_eq!(handle.clock().now() - before, 3600 * SEC, "{flavor}");
    }
}

#[test]
fn shutdown_timeout_bounds_the_grace_on_virtual_time() {
    for (flavor, rt) in runtimes(Duration::MAX) {
        let drops = DropCounter::new();
        let g = drops.token();
        start(&rt, move |started| {
            task::finally(
                async move {
                    started.send(()).unwrap();
                    pending::<()>().await
                },
                move || async move {
                    let _g = g;
                    sleep(3600 * SEC).await;
                },
            )
        });
        let handle = rt.handle().clone();
        let before = handle.clock().now();
        rt.shutdown_timeout(5 * SEC);
        assert_eq!(handle.clock().now() - before, 5 * SEC, "{flavor}");
        assert_eq!(drops.drops(), 1, "{flavor}");
    }
}

#[test]
fn run_ends_by_letting_leftover_cleanups_finish() {
    let (tx, mut rx) = mpsc::channel::<&'static str>(1);
    corio::run(async move {
        let (started_tx, started) = corio::sync::oneshot::channel();
        drop(corio::spawn(task::finally(
            async move {
                started_tx.send(()).unwrap();
                pending::<()>().await
            },
            move || async move {
                sleep(Duration::from_millis(5)).await; // real time here
                tx.send("flushed").await.unwrap();
            },
        )));
        started.await.unwrap();
    });
    assert_eq!(rx.try_recv().unwrap(), "flushed");
}

#[test]
fn a_block_on_future_dropped_with_its_timer_does_not_move_a_paused_clock() {
    // The grace's deadline is such a timer.
    let rt = Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap();
    let before = rt.handle().clock().now();
    // Enough rounds that the driver's turn often holds the wheel while a drop cancels:
    // before clock rule 5 (the activity epoch) this test jumped 3 600 s within 1 300-2 400 rounds.
    for round in 0..6000 {
        // The root future itself holds a registered timer when it returns.
        #[allow(clippy::async_yields_async)] // the sleep is made in the runtime, polled below
        let mut timer = rt.block_on(async { Box::pin(sleep(3600 * SEC)) });
        let r = rt.block_on(std::future::poll_fn(move |cx| {
            assert!(timer.as_mut().poll(cx).is_pending());
            std::task::Poll::Ready(1)
        }));
        assert_eq!(r, 1);
        assert_eq!(rt.handle().clock().now(), before, "round {round}");
    }
    // Let the workers look for the next timer, if one were left.
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(rt.handle().clock().now(), before);
}

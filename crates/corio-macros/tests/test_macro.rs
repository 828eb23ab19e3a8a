//! `#[corio::test]`: the body runs on a current-thread runtime on real time by default
//! (so a timeout cannot fire before its real duration while work outside the runtime is
//! in flight), and the options change the flavor, the worker count and the clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use corio::time::Instant;

static BODY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[corio_macros::test]
async fn body_runs_once() {
    BODY_RUNS.fetch_add(1, Ordering::SeqCst);
    corio::yield_now().await;
    assert_eq!(BODY_RUNS.load(Ordering::SeqCst), 1);
}

#[corio_macros::test]
async fn clock_is_real_by_default() {
    assert!(!corio::Handle::current().clock().is_paused());
}

/// A thread outside the runtime answers after 30 ms of real time: on the default clock
/// the 10 s timeout around it cannot fire first (on an unheld paused clock it would,
/// since the idle runtime jumps straight to the deadline).
#[corio_macros::test]
async fn default_clock_waits_for_a_thread_outside_the_runtime() {
    let (tx, rx) = corio::sync::oneshot::channel();
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        tx.send(7).unwrap();
    });
    let got = corio::timeout(Duration::from_secs(10), rx).await;
    assert_eq!(got.expect("timed out early").unwrap(), 7);
    worker.join().unwrap();
}

#[corio_macros::test(start_paused = true)]
async fn start_paused_true_uses_virtual_time() {
    // Checked first, so a regression fails here instead of sleeping for an hour.
    assert!(corio::Handle::current().clock().is_paused());
    let start = Instant::now();
    corio::sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
}

#[corio_macros::test]
async fn current_thread_by_default() {
    let test_thread = thread::current().id();
    let task_thread = corio::spawn(async { thread::current().id() })
        .await
        .unwrap();
    assert_eq!(task_thread, test_thread);
}

#[corio_macros::test(start_paused = false)]
async fn start_paused_false_is_the_default_real_time() {
    assert!(!corio::Handle::current().clock().is_paused());
    let start = Instant::now();
    corio::sleep(Duration::from_millis(2)).await;
    assert!(start.elapsed() >= Duration::from_millis(2));
}

#[corio_macros::test(flavor = "multi_thread")]
async fn multi_thread_runs_tasks_on_workers() {
    let test_thread = thread::current().id();
    let (task_thread, name) = corio::spawn(async {
        let t = thread::current();
        (t.id(), t.name().map(String::from))
    })
    .await
    .unwrap();
    assert_ne!(task_thread, test_thread);
    assert_eq!(name.as_deref(), Some("corio-worker"));
}

#[corio_macros::test(flavor = "multi_thread", start_paused = true)]
async fn multi_thread_keeps_the_paused_clock() {
    assert!(corio::Handle::current().clock().is_paused());
    let start = Instant::now();
    corio::spawn(corio::sleep(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(60));
}

/// Two tasks that each block their thread until the other has started: they finish only
/// if two workers run them at once.
#[corio_macros::test(flavor = "multi_thread", worker_threads = 2, start_paused = false)]
async fn two_workers_run_two_tasks_at_once() {
    let (a_tx, a_rx) = mpsc::channel::<()>();
    let (b_tx, b_rx) = mpsc::channel::<()>();
    let a = corio::spawn(async move {
        a_tx.send(()).unwrap();
        b_rx.recv_timeout(Duration::from_secs(10)).is_ok()
    });
    let b = corio::spawn(async move {
        b_tx.send(()).unwrap();
        a_rx.recv_timeout(Duration::from_secs(10)).is_ok()
    });
    assert!(a.await.unwrap() && b.await.unwrap());
}

#[corio_macros::test(flavor = "multi_thread", worker_threads = 1)]
async fn one_worker_runs_every_task_on_one_thread() {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            corio::spawn(async {
                // Long enough that a second worker, if there were one, would take a task.
                thread::sleep(Duration::from_millis(1));
                thread::current().id()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_ne!(ids[0], thread::current().id());
}

#[corio_macros::test]
async fn returns_ok_result() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[corio_macros::test]
#[should_panic(expected = "boom in the body")]
async fn panic_in_body_fails_the_test() {
    corio::yield_now().await;
    panic!("boom in the body");
}

#[corio_macros::test]
#[ignore = "shows that #[ignore] is kept; never run"]
async fn ignored_test_is_kept() {
    panic!("ignored tests do not run");
}

/// The macro works on tests in a nested module, and the body sees the module's items.
mod nested {
    fn helper() -> u8 {
        3
    }

    #[corio_macros::test]
    async fn body_sees_module_items() {
        assert_eq!(helper(), 3);
        assert_eq!(super::double(2).await, 4);
    }
}

async fn double(x: u8) -> u8 {
    x * 2
}

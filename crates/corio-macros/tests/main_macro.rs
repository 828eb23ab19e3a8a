//! `#[corio::main]`: the function becomes a plain `fn` that runs its body on a new runtime
//! (multi-thread, real time by default) and returns the body's output.

use std::thread;
use std::time::Duration;

use corio::time::Instant;

#[corio_macros::main]
async fn returns_the_body_output() -> u32 {
    let a = corio::spawn(async { 40 });
    corio::yield_now().await;
    a.await.unwrap() + 2
}

#[test]
fn body_runs_and_returns() {
    assert_eq!(returns_the_body_output(), 42);
}

#[corio_macros::main]
async fn default_flavor() -> (bool, Option<String>) {
    let test_thread = thread::current().id();
    let (id, name) = corio::spawn(async {
        let t = thread::current();
        (t.id(), t.name().map(String::from))
    })
    .await
    .unwrap();
    (id != test_thread, name)
}

#[test]
fn default_is_multi_thread() {
    let (on_another_thread, name) = default_flavor();
    assert!(on_another_thread);
    assert_eq!(name.as_deref(), Some("corio-worker"));
}

#[corio_macros::main]
async fn default_clock() -> bool {
    corio::Handle::current().clock().is_paused()
}

#[test]
fn default_is_real_time() {
    assert!(!default_clock());
}

#[corio_macros::main(flavor = "current_thread")]
async fn current_thread_flavor() -> bool {
    let here = thread::current().id();
    corio::spawn(async { thread::current().id() })
        .await
        .unwrap()
        == here
}

#[test]
fn current_thread_runs_tasks_on_the_caller() {
    assert!(current_thread_flavor());
}

#[corio_macros::main(flavor = "current_thread", start_paused = true)]
async fn paused_hour() -> Duration {
    assert!(corio::Handle::current().clock().is_paused());
    let start = Instant::now();
    corio::sleep(Duration::from_secs(3600)).await;
    start.elapsed()
}

#[test]
fn start_paused_gives_virtual_time() {
    assert_eq!(paused_hour(), Duration::from_secs(3600));
}

#[corio_macros::main(worker_threads = 2)]
async fn rendezvous_on_two_workers() -> bool {
    let (a_tx, a_rx) = std::sync::mpsc::channel::<()>();
    let (b_tx, b_rx) = std::sync::mpsc::channel::<()>();
    let a = corio::spawn(async move {
        a_tx.send(()).unwrap();
        b_rx.recv_timeout(Duration::from_secs(10)).is_ok()
    });
    let b = corio::spawn(async move {
        b_tx.send(()).unwrap();
        a_rx.recv_timeout(Duration::from_secs(10)).is_ok()
    });
    a.await.unwrap() && b.await.unwrap()
}

#[test]
fn worker_threads_two_runs_two_tasks_at_once() {
    assert!(rendezvous_on_two_workers());
}

#[corio_macros::main]
async fn parse_both(a: &'static str, b: &'static str) -> Result<u32, std::num::ParseIntError> {
    Ok(a.parse::<u32>()? + b.parse::<u32>()?)
}

#[test]
fn arguments_and_question_mark() {
    assert_eq!(parse_both("40", "2"), Ok(42));
    assert!(parse_both("40", "two").is_err());
}

#[corio_macros::main(flavor = "current_thread")]
async fn fails_with(message: String) -> Result<(), String> {
    corio::yield_now().await;
    Err(message)
}

#[test]
fn error_result_is_returned() {
    assert_eq!(fails_with("nope".into()), Err("nope".to_string()));
}

#[corio_macros::main(flavor = "current_thread")]
async fn destructures((a, mut b): (u8, u8)) -> u8 {
    b += 1;
    a + b
}

#[test]
fn argument_patterns_are_kept() {
    assert_eq!(destructures((1, 1)), 3);
}

#[test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
fn nested_call_panics() {
    #[corio_macros::main(flavor = "current_thread")]
    async fn outer() {
        current_thread_flavor();
    }
    outer();
}

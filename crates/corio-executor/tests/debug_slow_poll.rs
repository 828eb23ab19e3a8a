//! Debug mode's slow-poll hook, without real blocking: a zero threshold reports every
//! poll, so the plumbing (which poll, which task, which thread) is checked exactly. The
//! one test that blocks for real is `crates/corio/tests/rt_debug_slow_poll.rs`.
mod support;

use std::panic::Location;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio_executor::{task, yield_now, Builder, SlowPoll, TaskId};

/// What a hook saw of one report.
#[derive(Debug, Clone, PartialEq)]
struct Report {
    id: Option<TaskId>,
    name: Option<String>,
    line: u32,
    file: String,
}

fn recorder() -> (
    Arc<Mutex<Vec<Report>>>,
    impl Fn(&SlowPoll<'_>) + Send + Sync + 'static,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let hook = move |p: &SlowPoll<'_>| {
        assert!(p.duration() >= p.threshold());
        assert_eq!(p.is_block_on(), p.id().is_none());
        l.lock().unwrap().push(Report {
            id: p.id(),
            name: p.name().map(str::to_owned),
            line: p.location().line(),
            file: p.location().file().to_owned(),
        });
    };
    (log, hook)
}

fn debug_builder(multi: bool) -> Builder {
    let b = if multi {
        Builder::new_multi_thread().worker_threads(2)
    } else {
        Builder::new_current_thread()
    };
    b.debug(true).slow_poll_threshold(Duration::ZERO)
}

#[test]
fn zero_threshold_reports_every_task_poll_with_name_id_and_location() {
    for multi in [false, true] {
        let (log, hook) = recorder();
        let rt = debug_builder(multi).on_slow_poll(hook).build().unwrap();
        assert!(rt.handle().is_debug());
        let (h, line) = rt.block_on(async {
            let line = Location::caller().line() + 1;
            let h = task::Builder::new().name("yielder").spawn(async {
                yield_now().await;
                yield_now().await;
            });
            let id = h.id();
            h.await.unwrap();
            (id, line)
        });
        let log = log.lock().unwrap();
        let task: Vec<_> = log.iter().filter(|r| r.id == Some(h)).collect();
        assert_eq!(task.len(), 3, "one report per poll ({multi}): {log:?}");
        for r in task {
            assert_eq!(r.name.as_deref(), Some("yielder"));
            assert_eq!(r.line, line);
            assert!(r.file.ends_with("debug_slow_poll.rs"), "{}", r.file);
        }
        // The rest are polls of the block_on future, located at the `block_on` call.
        assert!(log.iter().filter(|r| r.id.is_none()).count() >= 1);
        assert!(log.iter().all(
            |r| r.id.is_some() || (r.name.is_none() && r.file.ends_with("debug_slow_poll.rs"))
        ));
        assert_eq!(
            log.len(),
            log.iter()
                .filter(|r| r.id == Some(h) || r.id.is_none())
                .count()
        );
    }
}

#[test]
fn hook_not_called_when_debug_is_off() {
    for multi in [false, true] {
        let (log, hook) = recorder();
        let b = debug_builder(multi);
        let rt = b.debug(false).on_slow_poll(hook).build().unwrap();
        assert!(!rt.handle().is_debug());
        rt.block_on(async {
            for _ in 0..10 {
                corio_executor::spawn(yield_now()).await.unwrap();
            }
        });
        assert!(log.lock().unwrap().is_empty());
    }
}

#[test]
fn blocking_jobs_are_never_reported() {
    let (log, hook) = recorder();
    let rt = debug_builder(false).on_slow_poll(hook).build().unwrap();
    let rt_handle = rt.handle().clone();
    let job = rt.spawn_blocking(|| 5);
    assert_eq!(rt_handle.block_on(job).unwrap(), 5);
    let log = log.lock().unwrap();
    assert!(log.iter().all(|r| r.id.is_none()), "{log:?}");
}

#[test]
fn a_panicking_hook_does_not_break_the_task() {
    let rt = debug_builder(false)
        .on_slow_poll(|p| {
            if p.id().is_some() {
                panic!("hook failure");
            }
        })
        .build()
        .unwrap();
    let out = rt.block_on(async {
        corio_executor::spawn(async {
            yield_now().await;
            7
        })
        .await
    });
    assert_eq!(out.unwrap(), 7);
    assert_eq!(rt.handle().num_alive_tasks(), 0);
}

#[test]
fn slow_poll_display_names_the_task() {
    let line = Arc::new(Mutex::new(None));
    let l = line.clone();
    let rt = debug_builder(false)
        .on_slow_poll(move |p| {
            if p.id().is_some() {
                *l.lock().unwrap() = Some((p.id().unwrap(), p.to_string()));
            }
        })
        .build()
        .unwrap();
    rt.block_on(async {
        task::Builder::new()
            .name("db-query")
            .spawn(async {})
            .await
            .unwrap()
    });
    let (id, text) = line.lock().unwrap().clone().unwrap();
    assert!(
        text.starts_with(&format!("slow poll: task {id} \"db-query\" (spawned at ")),
        "{text}"
    );
    assert!(text.contains("debug_slow_poll.rs:"), "{text}");
    assert!(text.contains("(threshold 0ns)"), "{text}");
}

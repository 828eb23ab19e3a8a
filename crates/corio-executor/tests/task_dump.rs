//! `Handle::dump` / `task::dump`: every live task with its name, location, state and
//! poll count; finished tasks leave the list.
mod support;

use std::future::pending;
use std::panic::Location;
use std::time::Duration;

use corio_executor::task::{self, TaskState};
use corio_executor::{yield_now, Builder, Handle};
use support::executors;

#[test]
fn dump_lists_named_tasks_with_states_and_drops_finished_ones() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let line = Location::caller().line() + 1;
        let idle = task::Builder::new().name("idle").spawn(pending::<()>());
        let once = task::Builder::new().name("once").spawn(async {});
        let me = task::Builder::new().name("self").spawn(async {
            let tasks = task::dump();
            let me = tasks.iter().find(|t| t.name() == Some("self")).unwrap();
            assert_eq!(me.state(), TaskState::Running);
            assert_eq!(me.polls(), 1);
        });
        let (idle_id, once_id) = (idle.id(), once.id());

        // Nothing ran yet: all scheduled, never polled.
        let tasks = task::dump();
        assert_eq!(tasks.len(), 3);
        let ids: Vec<_> = tasks.iter().map(|t| t.id()).collect();
        assert_eq!(ids, [idle.id(), once.id(), me.id()], "ordered by id");
        for (i, t) in tasks.iter().enumerate() {
            assert_eq!(t.state(), TaskState::Scheduled);
            assert_eq!(t.polls(), 0);
            assert_eq!(t.since_last_poll(), None, "not in debug mode");
            assert!(!t.is_cancelled());
            assert_eq!(t.location().line(), line + i as u32, "one spawn per line");
            assert!(t.location().file().ends_with("task_dump.rs"));
        }

        once.await.unwrap();
        me.await.unwrap();
        let tasks = task::dump();
        assert_eq!(tasks.len(), 1, "finished tasks are gone: {tasks:?}");
        assert_eq!(tasks[0].id(), idle_id);
        assert_eq!(tasks[0].name(), Some("idle"));
        assert_eq!(tasks[0].state(), TaskState::Idle);
        assert_eq!(tasks[0].polls(), 1);
        assert_ne!(tasks[0].id(), once_id);
        let text = tasks[0].to_string();
        assert_eq!(
            text,
            format!(
                "task {idle_id} \"idle\" idle, polled 1 time, spawned at {}",
                tasks[0].location()
            )
        );

        idle.abort();
        assert!(task::dump()[0].is_cancelled());
        assert_eq!(task::dump()[0].state(), TaskState::Scheduled);
        assert!(idle.await.unwrap_err().is_cancelled());
        assert!(task::dump().is_empty());
    });
}

#[test]
fn poll_counts_are_exact() {
    for (name, rt) in executors() {
        let h = rt.spawn(async {
            for _ in 0..4 {
                yield_now().await;
            }
            pending::<()>().await
        });
        rt.block_on(async {
            while Handle::current().dump()[0].polls() < 5 {
                yield_now().await;
            }
        });
        let tasks = rt.handle().dump();
        assert_eq!(tasks[0].polls(), 5, "{name}");
        assert_eq!(tasks[0].state(), TaskState::Idle, "{name}");
        h.abort();
    }
}

#[test]
fn debug_mode_records_time_since_last_poll() {
    let rt = Builder::new_current_thread().debug(true).build().unwrap();
    rt.block_on(async {
        let h = task::Builder::new().name("waiter").spawn(pending::<()>());
        assert_eq!(task::dump()[0].since_last_poll(), None, "never polled");
        yield_now().await;
        let t = &task::dump()[0];
        assert_eq!(t.polls(), 1);
        let since = t.since_last_poll().expect("debug mode stamps polls");
        assert!(since < Duration::from_secs(3600));
        assert!(t.to_string().contains("last poll started"), "{t}");
        h.abort();
    });
}

#[test]
fn dump_from_another_thread_sees_multi_thread_tasks() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let name = format!("w{i}");
            task::Builder::new()
                .name(&name)
                .spawn_on(pending::<()>(), rt.handle())
        })
        .collect();
    let h = rt.handle().clone();
    let tasks = std::thread::spawn(move || h.dump()).join().unwrap();
    let names: Vec<_> = tasks.iter().map(|t| t.name().unwrap().to_owned()).collect();
    assert_eq!(names, ["w0", "w1", "w2", "w3", "w4"]);
    for h in &handles {
        h.abort();
    }
    rt.block_on(async {
        for h in handles {
            assert!(h.await.unwrap_err().is_cancelled());
        }
    });
    assert!(rt.handle().dump().is_empty());
}

#[test]
fn dump_outside_a_runtime_panics_naming_the_fix() {
    let err = std::panic::catch_unwind(task::dump).unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(msg.contains("corio::task::dump"), "{msg}");
}

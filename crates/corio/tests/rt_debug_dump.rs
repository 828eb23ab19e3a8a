//! `corio::task::dump` and `Handle::metrics` through the facade (always available, no
//! debug mode needed).

use std::future::pending;
use std::time::Duration;

use corio::task::{self, TaskState};
use corio::{Handle, Runtime};

#[test]
fn dump_lists_live_tasks_with_names_and_states() {
    let rt = Runtime::builder().current_thread().build().unwrap();
    rt.block_on(async {
        let server = task::Builder::new().name("server").spawn(pending::<()>());
        let worker = task::Builder::new().name("worker").spawn(async {
            corio::sleep(Duration::from_millis(1)).await;
        });
        let anon = corio::spawn(async {});
        let names: Vec<_> = task::dump()
            .iter()
            .map(|t| t.name().map(str::to_owned))
            .collect();
        assert_eq!(
            names,
            [Some("server".to_owned()), Some("worker".to_owned()), None]
        );
        assert!(task::dump()
            .iter()
            .all(|t| t.state() == TaskState::Scheduled));

        anon.await.unwrap();
        let tasks = task::dump();
        assert_eq!(tasks.len(), 2, "{tasks:?}");
        assert!(tasks
            .iter()
            .all(|t| t.state() == TaskState::Idle && t.polls() == 1));
        assert!(!Handle::current().is_debug());
        assert!(tasks.iter().all(|t| t.since_last_poll().is_none()));

        worker.await.unwrap();
        let tasks = task::dump();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].id(), server.id());
        assert!(tasks[0]
            .to_string()
            .contains("\"server\" idle, polled 1 time"));
        server.abort();
        let _ = server.await;
        assert!(task::dump().is_empty());
    });
}

#[test]
fn metrics_through_the_facade() {
    let rt = Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..10)
            .map(|_| {
                corio::spawn(async {
                    corio::yield_now().await;
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        corio::to_thread(|| ()).await.unwrap();
    });
    let m: corio::RuntimeMetrics = rt.handle().metrics();
    assert_eq!(m.workers(), 2);
    assert_eq!(m.total_polls(), 20);
    assert_eq!(m.live_tasks(), 0);
    assert_eq!(m.blocking_threads(), 1);
}

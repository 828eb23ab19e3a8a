//! Debug mode's slow-poll detector through the facade: the one test that blocks a
//! worker for real (the detector measures real time). Only lower bounds are asserted.

use std::panic::Location;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::task::{self, TaskId};
use corio::{Runtime, SlowPoll};

#[derive(Debug)]
struct Report {
    id: Option<TaskId>,
    name: Option<String>,
    file: &'static str,
    line: u32,
    duration: Duration,
    threshold: Duration,
}

fn record(log: &Arc<Mutex<Vec<Report>>>) -> impl Fn(&SlowPoll<'_>) + Send + Sync + 'static {
    let log = log.clone();
    move |p| {
        log.lock().unwrap().push(Report {
            id: p.id(),
            name: p.name().map(str::to_owned),
            file: p.location().file(),
            line: p.location().line(),
            duration: p.duration(),
            threshold: p.threshold(),
        })
    }
}

#[test]
fn a_blocking_poll_is_reported_with_the_task_and_its_duration() {
    const THRESHOLD: Duration = Duration::from_millis(20);
    let log = Arc::new(Mutex::new(Vec::new()));
    let rt = Runtime::builder()
        .current_thread()
        .debug(true)
        .slow_poll_threshold(THRESHOLD)
        .on_slow_poll(record(&log))
        .build()
        .unwrap();
    let (id, line) = rt.block_on(async {
        let line = Location::caller().line() + 1;
        let h = task::Builder::new().name("blocker").spawn(async {
            corio::yield_now().await; // a fast poll first: not reported
            std::thread::sleep(Duration::from_millis(40)); // blocks the thread
        });
        let id = h.id();
        h.await.unwrap();
        (id, line)
    });
    let log = log.lock().unwrap();
    let reports: Vec<_> = log.iter().filter(|r| r.id == Some(id)).collect();
    assert_eq!(reports.len(), 1, "only the blocking poll: {log:?}");
    let r = reports[0];
    assert_eq!(r.name.as_deref(), Some("blocker"));
    assert!(r.file.ends_with("rt_debug_slow_poll.rs"), "{}", r.file);
    assert_eq!(r.line, line);
    assert_eq!(r.threshold, THRESHOLD);
    assert!(r.duration >= THRESHOLD, "{:?}", r.duration);
}

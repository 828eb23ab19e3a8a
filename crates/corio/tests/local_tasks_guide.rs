//! Local (`!Send`) tasks through the facade: the guide's producer/consumer and
//! event-loop examples with their shared state in `Rc<RefCell<…>>`, on both runtime
//! flavors and on a paused clock; context variables through every way a task starts.

mod support;

use support::runtimes;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use corio::sync::Queue;
use corio::task::{ContextVar, JoinSet};

/// The guide's event loop (examples/06_event_loop.rs): two tasks run concurrently; here
/// they are local tasks logging into one `Rc<RefCell<Vec<…>>>`.
#[test]
fn event_loop_example_with_rc_refcell_state() {
    for (flavor, rt) in runtimes() {
        let log = rt.block_on(async {
            let log = Rc::new(RefCell::new(Vec::new()));
            let task = |name: &'static str, secs: u64| {
                let log = log.clone();
                corio::spawn_local(async move {
                    log.borrow_mut().push(format!("{name} started"));
                    corio::sleep(Duration::from_secs(secs)).await;
                    log.borrow_mut().push(format!("{name} completed"));
                    format!("Result of {name}")
                })
            };
            let t0 = corio::time::Instant::now();
            let (r1, r2) = corio::gather!(task("Task 1", 2), task("Task 2", 1)).await;
            assert_eq!(t0.elapsed(), Duration::from_secs(2), "concurrent, not 3 s");
            log.borrow_mut()
                .push(format!("Results: {}, {}", r1.unwrap(), r2.unwrap()));
            Rc::try_unwrap(log).unwrap().into_inner()
        });
        assert_eq!(
            log,
            [
                "Task 1 started",
                "Task 2 started",
                "Task 2 completed",
                "Task 1 completed",
                "Results: Result of Task 1, Result of Task 2"
            ],
            "{flavor}"
        );
    }
}

/// The guide's producer/consumer (examples/31_producer_consumer.rs): 2 producers and 3
/// consumers on a queue; the tally of what was consumed is `Rc<RefCell<…>>` state
/// shared by the local consumers.
#[test]
fn producer_consumer_example_with_rc_refcell_state() {
    for (flavor, rt) in runtimes() {
        let (consumed, per_consumer) = rt.block_on(async {
            let queue: Queue<Option<String>> = Queue::new(0);
            let consumed = Rc::new(RefCell::new(VecDeque::new()));
            let per_consumer = Rc::new(RefCell::new([0usize; 3]));
            let producers: Vec<_> = (0..2u64)
                .map(|p| {
                    let queue = queue.clone();
                    corio::spawn_local(async move {
                        for i in 0..5u64 {
                            queue.put(Some(format!("Item-{p}-{i}"))).await.unwrap();
                            corio::sleep(Duration::from_millis(100 + 50 * p + 10 * i)).await;
                        }
                        queue.put(None).await.unwrap();
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..3usize)
                .map(|c| {
                    let (queue, consumed, per) =
                        (queue.clone(), consumed.clone(), per_consumer.clone());
                    corio::spawn_local(async move {
                        loop {
                            let item = queue.get().await.unwrap();
                            let Some(item) = item else {
                                queue.task_done().unwrap();
                                break;
                            };
                            consumed.borrow_mut().push_back(item);
                            per.borrow_mut()[c] += 1;
                            corio::sleep(Duration::from_millis(200 + 100 * c as u64)).await;
                            queue.task_done().unwrap();
                        }
                    })
                })
                .collect();
            for p in producers {
                p.await.unwrap();
            }
            queue.join().await;
            for c in &consumers {
                c.abort();
            }
            for c in consumers {
                let _ = c.await; // finished (a None) or cancelled
            }
            let consumed = consumed.borrow().clone();
            let per = *per_consumer.borrow();
            (consumed, per)
        });
        let mut items: Vec<_> = consumed.into_iter().collect();
        assert_eq!(
            items.len(),
            10,
            "{flavor}: every item consumed exactly once"
        );
        items.sort();
        items.dedup();
        assert_eq!(items.len(), 10, "{flavor}: no duplicates");
        assert_eq!(per_consumer.iter().sum::<usize>(), 10);
        assert!(
            per_consumer.iter().all(|&n| n > 0),
            "{flavor}: all consumers worked"
        );
    }
}

static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");

#[test]
fn context_vars_reach_every_kind_of_child() {
    for (flavor, rt) in runtimes() {
        rt.block_on(async {
            let token = REQUEST_ID.set(42);
            let spawned = corio::spawn(async { REQUEST_ID.get() });
            let local = corio::spawn_local(async { REQUEST_ID.get() });
            let thread = corio::to_thread(|| REQUEST_ID.get());
            let blocking = corio::spawn_blocking(|| REQUEST_ID.get());
            // gather over spawned children, a shielded task (the core spawn seam) and a
            // JoinSet.
            let gathered = corio::gather(vec![
                corio::spawn(async { REQUEST_ID.get() }),
                corio::spawn(async { REQUEST_ID.get() }),
            ])
            .await;
            let shielded = corio::shield(async { REQUEST_ID.get() }).await;
            let mut set = JoinSet::new();
            set.spawn(async { REQUEST_ID.get() });
            set.spawn_local(async { REQUEST_ID.get() });
            let mut from_set = Vec::new();
            while let Some(v) = set.join_next().await {
                from_set.push(v.unwrap());
            }
            let ((), grouped) = corio::task_group(|g| async move {
                g.spawn(async { Ok::<_, ()>(REQUEST_ID.get()) });
                g.spawn_local(async { Ok::<_, ()>(REQUEST_ID.get()) });
                Ok(())
            })
            .await
            .unwrap();
            assert_eq!(spawned.await.unwrap(), 42, "{flavor}");
            assert_eq!(local.await.unwrap(), 42);
            assert_eq!(thread.await.unwrap(), 42);
            assert_eq!(blocking.await.unwrap(), 42);
            assert!(gathered.into_iter().all(|r| r.unwrap() == 42));
            assert_eq!(shielded.unwrap(), 42);
            assert_eq!(from_set, [42, 42]);
            assert_eq!(grouped, [42, 42]);
            REQUEST_ID.reset(token).unwrap();
            assert!(corio::spawn(async { REQUEST_ID.try_get() })
                .await
                .unwrap()
                .is_err());
        });
    }
}

#[test]
fn corio_run_main_future_spawns_local_tasks() {
    let v = corio::run(async {
        let state = Rc::new(RefCell::new(0));
        let s = state.clone();
        corio::spawn_local(async move { *s.borrow_mut() += 1 })
            .await
            .unwrap();
        let n = *state.borrow();
        n
    });
    assert_eq!(v, 1);
}

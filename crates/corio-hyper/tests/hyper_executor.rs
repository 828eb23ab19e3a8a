//! `CorioExecutor` spawns hyper's tasks on corio.

use corio_hyper::CorioExecutor;
use hyper::rt::Executor;

#[test]
fn execute_spawns_on_the_current_runtime() {
    corio::run(async {
        let (tx, rx) = futures::channel::oneshot::channel();
        CorioExecutor::new().execute(async move {
            corio::yield_now().await;
            // The task runs inside the runtime: corio APIs work there.
            tx.send(corio::Handle::try_current().is_ok()).unwrap();
        });
        assert!(rx.await.unwrap());
    });
}

#[test]
fn execute_runs_every_future_exactly_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let runs = Arc::new(AtomicUsize::new(0));
    corio::run({
        let runs = runs.clone();
        async move {
            let exec = CorioExecutor::default();
            let (tx, mut rx) = futures::channel::mpsc::unbounded();
            for _ in 0..100 {
                let (runs, tx) = (runs.clone(), tx.clone());
                exec.execute(async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tx.unbounded_send(()).unwrap();
                });
            }
            drop(tx);
            use futures::StreamExt;
            let mut n = 0;
            while rx.next().await.is_some() {
                n += 1;
            }
            assert_eq!(n, 100);
        }
    });
    assert_eq!(runs.load(Ordering::SeqCst), 100);
}

#[test]
#[should_panic(expected = "corio_hyper::CorioExecutor::execute")]
fn execute_outside_a_runtime_panics_with_a_clear_message() {
    CorioExecutor::new().execute(async {});
}

#[test]
#[should_panic(expected = "corio_hyper::CorioTimer::sleep")]
fn timer_sleep_outside_a_runtime_panics_with_a_clear_message() {
    use hyper::rt::Timer;
    drop(corio_hyper::CorioTimer::new().sleep(std::time::Duration::from_secs(1)));
}

#[test]
fn public_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug + 'static>() {}
    check::<CorioExecutor>();
    check::<corio_hyper::CorioTimer>();
    check::<corio_hyper::CorioSleep>();
    check::<corio_hyper::CorioIo<corio::net::TcpStream>>();
}

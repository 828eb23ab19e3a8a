//! Tasks spawned through corio-core's spawn seam (`corio_core::task::spawn`, what task
//! groups, `shield` and file I/O use) are this executor's tasks: their spawn location
//! is the caller's, panics and cancellations arrive as `JoinError`s, a cancellation is
//! reported only after the task's future was dropped, and a dropped handle detaches.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

use corio_executor::{task, yield_now, Executor};
use corio_test_util::DropCounter;

#[test]
fn seam_spawns_record_the_callers_location() {
    let rt = Executor::builder_current_thread().build().unwrap();
    rt.block_on(async {
        let line = Location::caller().line() + 1;
        let h = corio_core::task::spawn(std::future::pending::<()>());
        let b = corio_core::task::spawn_blocking(|| 1);
        let dump = task::dump();
        let info = dump.iter().find(|t| t.id() == h.id()).expect("listed");
        assert_eq!(info.location().file(), file!());
        assert_eq!(info.location().line(), line);
        h.abort();
        assert_eq!(b.await.unwrap(), 1);
    });
}

#[test]
fn outputs_panics_and_cancellations_arrive_as_join_results() {
    for multi in [false, true] {
        let rt = if multi {
            Executor::builder_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap()
        } else {
            Executor::builder_current_thread().build().unwrap()
        };
        rt.block_on(async {
            assert_eq!(
                corio_core::task::spawn(async { String::from("x") })
                    .await
                    .unwrap(),
                "x"
            );
            let boom = corio_core::task::spawn(async { panic!("seam boom") })
                .await
                .unwrap_err();
            assert_eq!(boom.panic_message().as_deref(), Some("seam boom"));
            let job = corio_core::task::spawn_blocking(|| -> u8 { panic!("job boom") });
            assert!(job.await.unwrap_err().is_panic());

            let dropped = DropCounter::new();
            let guard = dropped.token();
            let h = corio_core::task::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            yield_now().await;
            assert!(!h.is_finished());
            h.abort();
            let err = h.await.unwrap_err();
            assert!(err.is_cancelled());
            assert_eq!(
                dropped.drops(),
                1,
                "cancellation seen before the future was dropped"
            );

            // A dropped handle detaches: the task still runs.
            let ran = Arc::new(AtomicBool::new(false));
            let r = ran.clone();
            drop(corio_core::task::spawn(
                async move { r.store(true, SeqCst) },
            ));
            while !ran.load(SeqCst) {
                yield_now().await;
            }
        });
    }
}

#[test]
fn seam_spawns_after_shutdown_fail() {
    let rt = Executor::builder_current_thread().build().unwrap();
    let cx = rt.block_on(async { corio_core::context::try_current().unwrap() });
    drop(rt);
    let _g = cx.enter();
    let err = corio_core::task::try_spawn(async {}).unwrap_err();
    assert!(matches!(err, corio_core::SpawnError::Shutdown), "{err}");
}

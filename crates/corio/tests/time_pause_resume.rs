//! `corio::time::pause()` / `advance()` / `resume()` on a running (real-time) runtime.
use std::time::Duration;

use corio::time::{advance, pause, resume, sleep, Instant};
use corio::Runtime;
use futures::FutureExt;

fn check(rt: Runtime) {
    rt.block_on(async {
        assert!(!corio::Handle::current().clock().is_paused());
        pause();
        assert!(corio::Handle::current().clock().is_paused());
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(Instant::now(), t0, "paused time stood still");

        // A sleep registered while paused completes only when time is advanced to it.
        let mut nap = Box::pin(sleep(Duration::from_secs(5)));
        assert!((&mut nap).now_or_never().is_none());
        advance(Duration::from_secs(3)).await;
        assert_eq!(t0.elapsed(), Duration::from_secs(3));
        assert!(!nap.is_elapsed());
        assert!((&mut nap).now_or_never().is_none());
        advance(Duration::from_secs(2)).await;
        assert!(nap.is_elapsed());
        assert_eq!((&mut nap).now_or_never(), Some(()));
        assert_eq!(t0.elapsed(), Duration::from_secs(5));

        // Auto-advance while paused: an hour passes at once, exactly.
        let spawned = corio::spawn(async {
            let t = Instant::now();
            sleep(Duration::from_secs(3600)).await;
            t.elapsed()
        });
        assert_eq!(spawned.await.unwrap(), Duration::from_secs(3600));
        assert_eq!(t0.elapsed(), Duration::from_secs(5 + 3600));

        // Resume: time runs again from where it stood, and real sleeps complete.
        resume();
        assert!(!corio::Handle::current().clock().is_paused());
        let t1 = Instant::now();
        assert!(t1 >= t0 + Duration::from_secs(5 + 3600));
        sleep(Duration::from_millis(1)).await;
        assert!(t1.elapsed() >= Duration::from_millis(1));

        // And it can be paused again.
        pause();
        let t2 = Instant::now();
        sleep(Duration::from_secs(10)).await;
        assert_eq!(t2.elapsed(), Duration::from_secs(10));
        resume();
    });
}

#[test]
fn pause_advance_resume_current_thread() {
    check(Runtime::builder().current_thread().build().unwrap());
}

#[test]
fn pause_advance_resume_multi_thread() {
    check(
        Runtime::builder()
            .multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    );
}

#[test]
fn pausing_twice_or_advancing_unpaused_panics_with_a_clear_message() {
    let rt = Runtime::builder().current_thread().build().unwrap();
    rt.block_on(async {
        let err = std::panic::catch_unwind(|| resume()).unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.contains("not paused"), "{msg}");
        let err = std::panic::AssertUnwindSafe(advance(Duration::from_secs(1)))
            .catch_unwind()
            .await
            .unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.contains("call `pause()` first"), "{msg}");
        pause();
        let err = std::panic::catch_unwind(|| pause()).unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.contains("already paused"), "{msg}");
    });
}

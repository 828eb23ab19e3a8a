//! CPython `Lib/test/test_asyncio/test_tasks.py`: the wait, as_completed, gather and shield
//! cases corio can express.

use std::time::Duration;

use corio::time::{sleep, Instant};
use corio::{as_completed, as_completed_keyed, gather, shield, wait, wait_keyed, ReturnWhen};
use corio_core::JoinError;
use futures::StreamExt;

use crate::{on_both, on_current_thread, on_multi_thread};

const MS: Duration = Duration::from_millis(1);

fn after(ms: u64, v: u32) -> corio::task::JoinHandle<u32> {
    corio::spawn(async move {
        sleep(Duration::from_millis(ms)).await;
        v
    })
}

#[test]
fn test_wait() {
    on_both(|| async {
        let start = Instant::now();
        let (done, pending) = wait(
            [after(100, 1), after(150, 2)],
            ReturnWhen::AllCompleted,
            None,
        )
        .await;
        assert_eq!(done.len(), 2);
        assert!(pending.is_empty());
        assert_eq!(start.elapsed(), 150 * MS);
    });
}

#[test]
fn test_wait_first_completed() {
    on_both(|| async {
        let (done, pending) = wait_keyed(
            [("a", after(10_000, 1)), ("b", after(100, 2))],
            ReturnWhen::FirstCompleted,
            None,
        )
        .await;
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].0, "b");
        assert_eq!(pending[0].0, "a");
        for (_, h) in pending {
            h.abort();
        }
    });
}

#[test]
fn test_wait_really_done() {
    on_both(|| async {
        let a = after(10, 1);
        let b = after(10, 2);
        sleep(20 * MS).await; // both finished before wait looks
        let (done, pending) = wait([a, b], ReturnWhen::FirstCompleted, None).await;
        assert_eq!(done.len(), 2);
        assert!(pending.is_empty());
    });
}

#[test]
fn test_wait_first_exception() {
    // The failing task has already failed when `wait` starts: it returns at once.
    on_both(|| async {
        let start = Instant::now();
        // A task's exception is its panic (as in `test_wait_first_exception_in_wait`).
        let boom = corio::spawn(async { panic!("ZeroDivisionError") });
        let slow = after(10_000, 1);
        sleep(Duration::ZERO).await;
        corio::yield_now().await;
        let (done, pending) =
            wait_keyed([("b", boom), ("a", slow)], ReturnWhen::FirstException, None).await;
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].0, "b");
        assert!(done[0].1.as_ref().unwrap_err().is_panic());
        assert_eq!(pending[0].0, "a");
        assert_eq!(start.elapsed(), Duration::ZERO);
        pending.into_iter().for_each(|(_, h)| h.abort());
    });
}

#[test]
fn test_wait_first_exception_in_wait() {
    on_both(|| async {
        let boom = corio::spawn(async {
            sleep(10 * MS).await;
            panic!("boom")
        });
        let slow = after(10_000, 1);
        let (done, pending) = wait([boom, slow], ReturnWhen::FirstException, None).await;
        assert!(done[0].as_ref().unwrap_err().is_panic());
        assert_eq!(pending.len(), 1);
        pending.into_iter().for_each(|h| h.abort());
    });
}

#[test]
fn test_wait_first_exception_ignores_cancelled() {
    on_both(|| async {
        let cancelled = corio::spawn(std::future::pending::<u32>());
        cancelled.abort();
        let (done, pending) =
            wait([cancelled, after(50, 2)], ReturnWhen::FirstException, None).await;
        assert_eq!(
            done.len(),
            2,
            "a cancellation is not an exception: all waited for"
        );
        assert!(pending.is_empty());
        assert!(done
            .iter()
            .any(|r: &Result<u32, JoinError>| r.as_ref().is_err_and(JoinError::is_cancelled)));
    });
}

#[test]
fn test_wait_with_timeout() {
    on_both(|| async {
        let start = Instant::now();
        let (done, pending) = wait(
            [after(100, 1), after(10_000, 2)],
            ReturnWhen::AllCompleted,
            Some(110 * MS),
        )
        .await;
        assert_eq!(done.len(), 1);
        assert_eq!(pending.len(), 1);
        assert_eq!(start.elapsed(), 110 * MS);
        pending.into_iter().for_each(|h| h.abort());
    });
}

#[test]
fn test_wait_concurrent_complete() {
    // `a` finishes at exactly the timeout: it is done, not pending (the tasks woken at
    // the deadline's instant run before `wait` classifies). That is what the
    // current-thread runtime does: its run queue is FIFO as asyncio's is, and `wait`'s
    // one yield puts it behind `a`. On the multi-thread runtime `a` may still be running
    // on the other worker when `wait` classifies; it is then handed back pending, and
    // ends at that same instant.
    on_current_thread(|| concurrent_complete(true));
    on_multi_thread(|| concurrent_complete(false));
}

async fn concurrent_complete(exact: bool) {
    let start = Instant::now();
    let (a, b) = (after(100, 1), after(150, 2));
    let (done, mut pending) = wait([b, a], ReturnWhen::AllCompleted, Some(100 * MS)).await;
    let mut done: Vec<u32> = done.into_iter().map(Result::unwrap).collect();
    assert_eq!(start.elapsed(), 100 * MS);
    if !exact && pending.len() == 2 {
        // `a` (second in input order) was still on the other worker.
        done.push(pending.pop().unwrap().await.unwrap());
        assert_eq!(
            start.elapsed(),
            100 * MS,
            "`a` ended at the timeout's instant"
        );
    }
    assert_eq!(done, [1]);
    assert_eq!(pending.len(), 1);
    pending.into_iter().for_each(|h| h.abort());
}

#[test]
fn test_as_completed() {
    on_both(|| async {
        let mut s = as_completed([after(150, 1), after(50, 2), after(100, 3)]);
        let mut got = vec![];
        while let Some(r) = s.next().await {
            got.push(r.unwrap());
        }
        assert_eq!(got, [2, 3, 1]);
    });
}

#[test]
fn test_as_completed_with_timeout() {
    on_both(|| async {
        let mut s = corio::as_completed_with_timeout([after(10_000, 1), after(50, 2)], 100 * MS);
        assert_eq!(s.next().await.unwrap().unwrap().unwrap(), 2);
        assert!(s.next().await.unwrap().is_err(), "TimeoutError");
        assert!(s.next().await.is_none());
    });
}

#[test]
fn test_as_completed_yields_the_task() {
    // Python 3.13: iterating as_completed over tasks yields the tasks themselves.
    on_both(|| async {
        let mut s = as_completed_keyed([(1u8, after(30, 10)), (2u8, after(10, 20))]);
        assert_eq!(s.next().await.map(|(k, r)| (k, r.unwrap())), Some((2, 20)));
        assert_eq!(s.next().await.map(|(k, r)| (k, r.unwrap())), Some((1, 10)));
    });
}

#[test]
fn test_gather_shield() {
    // A shielded child survives the cancel of the gather around it.
    on_both(|| async {
        let protected = shield(async {
            sleep(100 * MS).await;
            "kept"
        });
        let handle = protected.handle();
        let r = corio::timeout(10 * MS, gather([async { protected.await.unwrap() }])).await;
        assert!(r.is_err());
        assert_eq!(handle.await.unwrap(), "kept");
    });
}

#[test]
fn test_shield_result() {
    on_both(|| async {
        assert_eq!(shield(async { 5 }).await.unwrap(), 5);
    });
}

#[test]
fn test_shield_cancel_outer() {
    // Cancelling the outer (dropping the shield) leaves the inner running.
    on_both(|| async {
        let s = shield(async {
            sleep(50 * MS).await;
            9
        });
        let inner = s.handle();
        drop(s);
        assert_eq!(inner.await.unwrap(), 9);
    });
}

#[test]
fn test_cancellation_broadcast() {
    // CoroutineGatherTests: cancelling a task that awaits gather cancels the children
    // (their cleanup runs), and none of them goes on past its wait.
    on_both(|| async {
        let (cleaned_tx, cleaned) = futures::channel::mpsc::unbounded::<()>();
        let waiter = std::sync::Arc::new(corio::sync::Event::new());
        let proof = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let (w, p) = (waiter.clone(), proof.clone());
        let parent = corio::spawn(async move {
            let kids: Vec<_> = (0..2)
                .map(|_| {
                    let c = cleaned_tx.clone();
                    let (w, p) = (w.clone(), p.clone());
                    corio::spawn(corio::task::finally(
                        async move {
                            w.wait().await;
                            p.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        },
                        move || async move {
                            c.unbounded_send(()).unwrap();
                        },
                    ))
                })
                .collect();
            drop(cleaned_tx);
            gather(kids).await;
            p.fetch_add(100, std::sync::atomic::Ordering::SeqCst);
        });
        sleep(MS).await;
        assert!(parent.cancel());
        assert!(parent.await.unwrap_err().is_cancelled());
        // The children's cancels run on any worker: wait for their cleanups (the stream
        // ends early if a child is dropped without one; the bound turns a child never
        // cancelled into a failure, and the paused clock only jumps to it once nothing
        // is left to run).
        let done = corio::timeout(Duration::from_secs(60), cleaned.count()).await;
        assert_eq!(done, Ok(2));
        waiter.set();
        sleep(MS).await;
        assert_eq!(proof.load(std::sync::atomic::Ordering::SeqCst), 0);
    });
}

#[test]
fn test_cancel_gather_1() {
    // A cancel that arrives after gather's last child finished, but before the task
    // running the gather has run again (CPython: from the child future's done callback).
    // asyncio refuses it: `cancel()` is false and the result is `[42]` (the gather
    // future is done). Kept different: a corio task is finished only once it has run, and
    // a cancel with no handler in the task drops its future at its next scheduling point,
    // ready children or not, so `cancel()` is true and the task ends cancelled.
    crate::on_current_thread(|| async {
        let (tx, fut) = future::<u32>();
        let gather_task = corio::spawn(gather([fut]));
        corio::yield_now().await;
        assert!(!gather_task.is_finished());
        tx.send(42).unwrap();
        let cancel_result = gather_task.cancel();
        let r = gather_task.await;
        assert!(cancel_result);
        assert!(r.unwrap_err().is_cancelled());
    });
}

#[test]
fn test_exception_marking() {
    // CoroutineGatherTests: two children fail one after the other; the first failure is
    // the gather's outcome, and the second goes nowhere.
    on_both(|| async {
        let (a, fa) = future::<()>();
        let (b, fb) = future::<()>();
        let inner = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
                     msg: &'static str| async move {
            f.await;
            Err::<(), _>(msg)
        };
        let f = corio::spawn(corio::try_gather([inner(fa, "a"), inner(fb, "b")]));
        run_briefly().await;
        a.send(()).unwrap();
        run_briefly().await;
        let _ = b.send(());
        run_briefly().await;
        assert!(f.is_finished());
        assert_eq!(f.await.unwrap(), Err("a"));
    });
}

#[test]
fn test_wait_with_exception() {
    // ALL_COMPLETED waits for the failing task too; its failure is in `done`.
    on_both(|| async {
        let start = Instant::now();
        let failing = corio::spawn(async {
            sleep(150 * MS).await;
            panic!("really")
        });
        let (done, pending) = wait([after(100, 1), failing], ReturnWhen::AllCompleted, None).await;
        assert_eq!(done.len(), 2);
        assert!(pending.is_empty());
        assert_eq!(done.iter().filter(|r| r.is_err()).count(), 1);
        assert_eq!(start.elapsed(), 150 * MS);
    });
}

#[test]
fn test_wait_with_iterator_of_tasks() {
    on_both(|| async {
        let start = Instant::now();
        // Python's `iter([b, a])`: an iterator, not a collection.
        let tasks = vec![after(150, 2), after(100, 1)].into_iter();
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, None).await;
        let mut got: Vec<u32> = done.into_iter().map(Result::unwrap).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert!(pending.is_empty());
        assert_eq!(start.elapsed(), 150 * MS);
    });
}

#[test]
fn test_wait_generator() {
    // Tasks made lazily by an iterator adapter (Python's generator expression).
    on_both(|| async {
        let tasks = (0..10).map(|i| corio::spawn(async move { i }));
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, None).await;
        assert_eq!(done.len(), 10);
        assert!(pending.is_empty());
    });
}

#[test]
fn test_as_completed_with_unused_timeout() {
    on_both(|| async {
        let mut s = corio::as_completed_with_timeout([after(10, 7)], 1_000 * MS);
        assert_eq!(s.next().await.unwrap().unwrap().unwrap(), 7);
        assert!(s.next().await.is_none());
    });
}

#[test]
fn test_as_completed_resume_iterator() {
    // Iteration stopped after two outputs resumes on the same stream.
    on_both(|| async {
        let mut s = as_completed((0..4u32).map(|i| after(10 * u64::from(i), i)));
        let mut collected = Vec::new();
        while let Some(r) = s.next().await {
            collected.push(r.unwrap());
            if collected.len() == 2 {
                break;
            }
        }
        assert_eq!(collected.len(), 2);
        while let Some(r) = s.next().await {
            collected.push(r.unwrap());
        }
        collected.sort_unstable();
        assert_eq!(collected, [0, 1, 2, 3]);
    });
}

#[test]
fn test_shield_exception() {
    // The inner work's failure is the outer's.
    on_both(|| async {
        let r = shield(async {
            sleep(MS).await;
            Err::<(), _>("expected")
        })
        .await;
        assert_eq!(r.unwrap(), Err("expected"));
    });
}

#[test]
fn test_shield_cancel_inner() {
    // Cancelling the inner work cancels what the outer reports.
    on_both(|| async {
        let s = shield(std::future::pending::<()>());
        s.handle().abort();
        assert!(s.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn test_shield_shortcut() {
    // Shielding work that is already done gives its result.
    on_both(|| async {
        assert_eq!(shield(std::future::ready(42)).await.unwrap(), 42);
    });
}

#[test]
fn test_shield_effect() {
    // Cancelling the task that awaits the shield does not affect the inner work:
    // `proof` gets the inner's 1 and not the outer's 100.
    on_both(|| async {
        let proof = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let waiter = std::sync::Arc::new(corio::sync::Event::new());
        let (p, w) = (proof.clone(), waiter.clone());
        let inner = shield(async move {
            w.wait().await;
            p.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let handle = inner.handle();
        let p = proof.clone();
        let outer = corio::spawn(async move {
            let _ = inner.await;
            p.fetch_add(100, std::sync::atomic::Ordering::SeqCst);
        });
        sleep(MS).await;
        outer.cancel();
        assert!(outer.await.unwrap_err().is_cancelled());
        waiter.set();
        handle.await.unwrap();
        assert_eq!(proof.load(std::sync::atomic::Ordering::SeqCst), 1);
    });
}

/// CPython's `loop.create_future()` for the gather cases: a sender to set the outcome and
/// a future of it.
fn future<T: Send + 'static>() -> (
    futures::channel::oneshot::Sender<T>,
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>,
) {
    let (tx, rx) = futures::channel::oneshot::channel();
    (
        tx,
        Box::pin(async move { rx.await.expect("the outcome is set") }),
    )
}

/// Lets a spawned gather look at what was set so far.
async fn run_briefly() {
    sleep(MS).await;
}

type Res = Result<u32, &'static str>;

#[test]
fn test_success() {
    // Results in input order, whatever order they arrive in; not done until the last.
    on_both(|| async {
        let ((a, fa), (b, fb), (c, fc)) = (future::<u32>(), future::<u32>(), future::<u32>());
        let fut = corio::spawn(gather([fa, fb, fc]));
        b.send(1).unwrap();
        a.send(2).unwrap();
        run_briefly().await;
        assert!(!fut.is_finished());
        c.send(3).unwrap();
        assert_eq!(fut.await.unwrap(), [2, 1, 3]);
    });
}

#[test]
fn test_result_exception_success() {
    // `return_exceptions=True` (`gather_settled`) with no failure: the same results.
    on_both(|| async {
        let (a, fa) = future::<Result<u32, std::io::Error>>();
        let (b, fb) = future::<Result<u32, std::io::Error>>();
        let (c, fc) = future::<Result<u32, std::io::Error>>();
        let fut = corio::spawn(corio::gather_settled([fa, fb, fc]));
        b.send(Ok(1)).unwrap();
        a.send(Ok(2)).unwrap();
        run_briefly().await;
        assert!(!fut.is_finished());
        c.send(Ok(3)).unwrap();
        let got: Vec<u32> = fut.await.unwrap().into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [2, 1, 3]);
    });
}

#[test]
fn test_one_exception() {
    // The first failure is gather's outcome at once (`try_gather`); the rest do not
    // matter.
    on_both(|| async {
        let mut senders = Vec::new();
        let mut futs = Vec::new();
        for _ in 0..5 {
            let (tx, f) = future::<Res>();
            senders.push(Some(tx));
            futs.push(f);
        }
        let fut = corio::spawn(corio::try_gather(futs));
        senders[0].take().unwrap().send(Ok(1)).unwrap();
        senders[1]
            .take()
            .unwrap()
            .send(Err("ZeroDivisionError"))
            .unwrap();
        assert_eq!(fut.await.unwrap(), Err("ZeroDivisionError"));
        // "Does nothing": the others' outcomes go nowhere.
        for tx in senders.into_iter().flatten() {
            let _ = tx.send(Ok(3));
        }
    });
}

#[test]
fn test_return_exceptions() {
    // `return_exceptions=True`: failures are outcomes in their slots.
    on_both(|| async {
        let (a, fa) = future::<Result<u32, std::io::Error>>();
        let (b, fb) = future::<Result<u32, std::io::Error>>();
        let (c, fc) = future::<Result<u32, std::io::Error>>();
        let (d, fd) = future::<Result<u32, std::io::Error>>();
        let fut = corio::spawn(corio::gather_settled([fa, fb, fc, fd]));
        b.send(Ok(1)).unwrap();
        c.send(Err(std::io::Error::other("ZeroDivisionError")))
            .unwrap();
        a.send(Ok(3)).unwrap();
        run_briefly().await;
        assert!(!fut.is_finished());
        d.send(Err(std::io::Error::other("RuntimeError"))).unwrap();
        let got: Vec<String> = fut
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.map_or_else(|e| e.to_string(), |v| v.to_string()))
            .collect();
        assert_eq!(got, ["3", "1", "ZeroDivisionError", "RuntimeError"]);
    });
}

#[test]
fn test_constructor_empty_sequence_use_running_loop() {
    on_both(|| async {
        let empty: Vec<std::future::Ready<u32>> = Vec::new();
        assert!(gather(empty).await.is_empty());
    });
}

#[test]
fn test_one_cancellation() {
    // A cancelled child is gather's failure (a cancelled `JoinError`), not a cancel of
    // gather itself.
    on_both(|| async {
        let a = after(0, 1);
        let b = corio::spawn(std::future::pending::<u32>());
        let rest: Vec<_> = (0..3)
            .map(|_| corio::spawn(std::future::pending::<u32>()))
            .collect();
        let aborts: Vec<_> = rest.iter().map(|h| h.abort_handle()).collect();
        b.abort();
        let handles = [a, b].into_iter().chain(rest);
        let err = corio::try_gather(handles).await.unwrap_err();
        assert!(err.is_cancelled());
        aborts.iter().for_each(|h| h.abort());
    });
}

#[test]
fn test_result_exception_one_cancellation() {
    // `return_exceptions=True` over tasks: results, failures and cancellations each in
    // their slot.
    on_both(|| async {
        let failing = |msg: &'static str| {
            corio::spawn(async move {
                sleep(MS).await;
                panic!("{msg}")
            })
        };
        let cancelled = || {
            let h = corio::spawn(std::future::pending::<u32>());
            h.abort();
            h
        };
        let outcomes = corio::gather_settled([
            after(1, 1),
            failing("ZeroDivisionError"),
            cancelled(),
            after(2, 3),
            cancelled(),
            failing("RuntimeError"),
        ])
        .await;
        let kinds: Vec<String> = outcomes
            .iter()
            .map(|r| match r {
                Ok(v) => v.to_string(),
                Err(e) if e.is_cancelled() => "cancelled".into(),
                Err(e) if e.is_panic() => "panic".into(),
                Err(_) => "other".into(),
            })
            .collect();
        assert_eq!(
            kinds,
            ["1", "panic", "cancelled", "3", "cancelled", "panic"]
        );
    });
}

#[test]
fn test_shield_gather() {
    // A shield around a gather: dropping the outer (its awaiter gave up) leaves the
    // gather running, and its result is still there.
    on_both(|| async {
        let (c1, f1) = future::<u32>();
        let (c2, f2) = future::<u32>();
        let outer = shield(gather([f1, f2]));
        let parent = outer.handle();
        drop(outer);
        c1.send(1).unwrap();
        c2.send(2).unwrap();
        assert_eq!(parent.await.unwrap(), [1, 2]);
    });
}

//! CPython `Lib/test/test_asyncio/test_queues.py`: `Queue`, `LifoQueue`,
//! `PriorityQueue`, `task_done`/`join` and `shutdown` (3.13), one module per CPython
//! test class. The join and shutdown mixins run once per queue kind, as in CPython.
//!
//! `await asyncio.sleep(0)` is `corio::yield_now()`; the cases that assert what happened
//! after a given number of such steps run on the current-thread runtime (FIFO run
//! queue, like asyncio's), the others on both flavors. `loop.call_later(d, f)` is a
//! spawned task that sleeps `d` (virtual time) and calls `f`. asyncio's exceptions are
//! values: `QueueEmpty`/`QueueFull` are `TryGetError::Empty`/`TryPutError::Full`,
//! `QueueShutDown` is `QueueShutDown`/`PutError`/`::ShutDown`, `task_done`'s
//! `ValueError` is `TaskDoneError`. asyncio's private `_getters`/`_putters` lists are
//! read through the queue's `Debug` output.
//!
//! Cases left out are listed, with the reason, in docs/asyncio-to-corio.md ("CPython's
//! `test_locks.py` and `test_queues.py`").

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use corio::sync::{LifoQueue, PriorityQueue, Queue, QueueBase, Storage, TryGetError, TryPutError};
use corio::JoinHandle;

use crate::{on_both, on_current_thread};

const MS: Duration = Duration::from_millis(1);

/// `await asyncio.sleep(0)`.
async fn sleep0() {
    corio::yield_now().await;
}

fn cancelled<T: std::fmt::Debug>(r: Result<T, corio::JoinError>) -> bool {
    r.unwrap_err().is_cancelled()
}

/// `asyncio.create_task(q.get())`.
fn spawn_get<T, S>(q: &QueueBase<T, S>) -> JoinHandle<T>
where
    T: Send + 'static,
    S: Storage<T> + Send + 'static,
{
    let q = q.clone();
    corio::spawn(async move { q.get().await.unwrap() })
}

/// `asyncio.create_task(q.put(item))`.
fn spawn_put<T, S>(q: &QueueBase<T, S>, item: T) -> JoinHandle<()>
where
    T: Send + 'static,
    S: Storage<T> + Send + 'static,
{
    let q = q.clone();
    corio::spawn(async move { q.put(item).await.unwrap() })
}

/// How many tasks wait to get (`len(q._getters)`).
fn getters<T, S: Storage<T>>(q: &QueueBase<T, S>) -> usize {
    count_in_debug(&format!("{q:?}"), "getters")
}

/// How many tasks wait to put (`len(q._putters)`).
fn putters<T, S: Storage<T>>(q: &QueueBase<T, S>) -> usize {
    count_in_debug(&format!("{q:?}"), "putters")
}

fn count_in_debug(debug: &str, field: &str) -> usize {
    let at = debug.find(&format!("{field}: ")).expect(debug) + field.len() + 2;
    let digits: String = debug[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect(debug)
}

mod queue_basic_tests {
    use super::*;

    #[test]
    fn test_empty() {
        on_both(|| async {
            let q = Queue::new(0);
            assert!(q.empty());
            q.put(1).await.unwrap();
            assert!(!q.empty());
            assert_eq!(q.get().await.unwrap(), 1);
            assert!(q.empty());
        });
    }

    #[test]
    fn test_full() {
        on_both(|| async {
            let q = Queue::<u32>::new(0);
            assert!(!q.full());
            let q = Queue::new(1);
            q.put(1).await.unwrap();
            assert!(q.full());
        });
    }

    #[test]
    fn test_order() {
        on_both(|| async {
            let q = Queue::new(0);
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = vec![];
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [1, 3, 2]);
        });
    }

    #[test]
    fn test_maxsize() {
        on_current_thread(|| async {
            let q = Queue::new(2);
            assert_eq!(q.maxsize(), 2);
            let have_been_put = Arc::new(StdMutex::new(vec![]));
            let (qq, hbp) = (q.clone(), have_been_put.clone());
            let t = corio::spawn(async move {
                for i in 0..3 {
                    qq.put(i).await.unwrap();
                    hbp.lock().unwrap().push(i);
                }
                true
            });
            for _ in 0..2 {
                sleep0().await;
            }
            // The putter is blocked after putting two items.
            assert_eq!(*have_been_put.lock().unwrap(), [0, 1]);
            assert_eq!(q.get().await.unwrap(), 0);

            // Let the putter resume and put the last item.
            sleep0().await;
            assert_eq!(*have_been_put.lock().unwrap(), [0, 1, 2]);
            assert_eq!(q.get().await.unwrap(), 1);
            assert_eq!(q.get().await.unwrap(), 2);
            assert!(t.is_finished());
            assert!(t.await.unwrap());
        });
    }
}

mod queue_get_tests {
    use super::*;

    #[test]
    fn test_blocking_get() {
        on_both(|| async {
            let q = Queue::new(0);
            q.put_nowait(1).unwrap();
            assert_eq!(q.get().await.unwrap(), 1);
        });
    }

    #[test]
    fn test_get_with_putters() {
        // CPython plants a bare future in `_putters`; here a real putter waits, and a
        // `get` wakes it.
        on_both(|| async {
            let q = Queue::new(1);
            q.put(1).await.unwrap();
            let putter = spawn_put(&q, 2);
            sleep0().await;
            assert_eq!(q.get().await.unwrap(), 1);
            putter.await.unwrap();
            assert_eq!(q.get_nowait().unwrap(), 2);
        });
    }

    #[test]
    fn test_blocking_get_wait() {
        on_both(|| async {
            let q = Queue::new(0);
            let started = Arc::new(corio::sync::Event::new());
            let finished = Arc::new(StdMutex::new(false));
            let (qq, st, fin) = (q.clone(), started.clone(), finished.clone());
            let queue_get_task = corio::spawn(async move {
                st.set();
                let res = qq.get().await.unwrap();
                *fin.lock().unwrap() = true;
                res
            });
            started.wait().await;
            assert!(!*finished.lock().unwrap());
            let qq = q.clone();
            let later = corio::spawn(async move {
                corio::sleep(10 * MS).await; // loop.call_later(0.01, q.put_nowait, 1)
                qq.put_nowait(1).unwrap();
            });
            let res = queue_get_task.await.unwrap();
            assert!(*finished.lock().unwrap());
            assert_eq!(res, 1);
            later.await.unwrap();
        });
    }

    #[test]
    fn test_nonblocking_get() {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait().unwrap(), 1);
    }

    #[test]
    fn test_nonblocking_get_exception() {
        let q = Queue::<u32>::new(0);
        assert_eq!(q.get_nowait(), Err(TryGetError::Empty));
    }

    #[test]
    fn test_get_cancelled_race() {
        on_current_thread(|| async {
            let q = Queue::new(0);
            let t1 = spawn_get(&q);
            let t2 = spawn_get(&q);
            sleep0().await;
            t1.cancel();
            sleep0().await;
            assert!(t1.is_finished());
            q.put("a").await.unwrap();
            sleep0().await;
            assert_eq!(t2.await.unwrap(), "a");
            assert!(cancelled(t1.await));
        });
    }

    #[test]
    fn test_get_with_waiting_putters() {
        on_both(|| async {
            let q = Queue::new(1);
            let pa = spawn_put(&q, "a");
            // asyncio's tasks start in creation order; wait for `a` before `b` starts.
            while q.empty() {
                sleep0().await;
            }
            let pb = spawn_put(&q, "b");
            assert_eq!(q.get().await.unwrap(), "a");
            assert_eq!(q.get().await.unwrap(), "b");
            pa.await.unwrap();
            pb.await.unwrap();
        });
    }

    #[test]
    fn test_why_are_getters_waiting() {
        on_both(|| async {
            let q = Queue::new(1);
            let n = 5;
            let (qc, qp) = (q.clone(), q.clone());
            let producer = corio::spawn(async move {
                for i in 0..n {
                    qp.put(i).await.unwrap();
                }
            });
            let consumer = corio::spawn(async move {
                for _ in 0..n {
                    qc.get().await.unwrap();
                }
            });
            producer.await.unwrap();
            consumer.await.unwrap();
        });
    }

    #[test]
    fn test_cancelled_getters_not_being_held_in_self_getters() {
        on_both(|| async {
            let q = Queue::<u32>::new(5);
            assert!(corio::timeout(100 * MS, q.get()).await.is_err());
            assert_eq!(getters(&q), 0);
        });
    }
}

mod queue_put_tests {
    use super::*;

    #[test]
    fn test_blocking_put() {
        on_both(|| async {
            let q = Queue::new(0);
            // No maxsize, won't block.
            q.put(1).await.unwrap();
            assert_eq!(q.get().await.unwrap(), 1);
        });
    }

    #[test]
    fn test_blocking_put_wait() {
        on_both(|| async {
            let q = Queue::new(1);
            let started = Arc::new(corio::sync::Event::new());
            let finished = Arc::new(StdMutex::new(false));
            let qq = q.clone();
            let later = corio::spawn(async move {
                corio::sleep(10 * MS).await; // loop.call_later(0.01, q.get_nowait)
                qq.get_nowait().unwrap();
            });
            let (qq, st, fin) = (q.clone(), started.clone(), finished.clone());
            let queue_put_task = corio::spawn(async move {
                st.set();
                qq.put(1).await.unwrap();
                qq.put(2).await.unwrap();
                *fin.lock().unwrap() = true;
            });
            started.wait().await;
            assert!(!*finished.lock().unwrap());
            queue_put_task.await.unwrap();
            assert!(*finished.lock().unwrap());
            later.await.unwrap();
        });
    }

    #[test]
    fn test_nonblocking_put() {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        assert_eq!(q.get_nowait().unwrap(), 1);
    }

    #[test]
    fn test_get_cancel_drop_one_pending_reader() {
        // An item handed to a reader that is cancelled before it runs is not lost:
        // the next reader gets it (1, not 2).
        on_both(|| async {
            let q = Queue::new(0);
            let reader = spawn_get(&q);
            sleep0().await;
            q.put_nowait(1).unwrap();
            q.put_nowait(2).unwrap();
            reader.cancel();
            let result = match reader.await {
                Ok(v) => v,
                Err(e) => {
                    assert!(e.is_cancelled());
                    spawn_get(&q).await.unwrap() // try again
                }
            };
            assert_eq!(result, 1);
        });
    }

    #[test]
    fn test_get_cancel_drop_many_pending_readers() {
        on_current_thread(|| async {
            let q = Queue::new(0);
            let reader1 = spawn_get(&q);
            let reader2 = spawn_get(&q);
            let reader3 = spawn_get(&q);
            sleep0().await;
            q.put_nowait(1).unwrap();
            q.put_nowait(2).unwrap();
            reader1.cancel();
            assert!(cancelled(reader1.await));
            let mut got = [reader2.await.unwrap(), reader3.await.unwrap()];
            // It is undefined in which order concurrent readers receive results.
            got.sort();
            assert_eq!(got, [1, 2]);
        });
    }

    #[test]
    fn test_put_cancel_drop() {
        on_both(|| async {
            let q = Queue::new(1);
            q.put_nowait(1).unwrap();
            // Putting a second item has to block (qsize=1).
            let writer = spawn_put(&q, 2);
            sleep0().await;
            assert_eq!(q.get_nowait().unwrap(), 1);
            writer.cancel();
            if let Err(e) = writer.await {
                assert!(e.is_cancelled());
                spawn_put(&q, 2).await.unwrap(); // try again
            }
            assert_eq!(q.get_nowait().unwrap(), 2);
            assert_eq!(q.qsize(), 0);
        });
    }

    #[test]
    fn test_nonblocking_put_exception() {
        let q = Queue::new(1);
        q.put_nowait(1).unwrap();
        assert_eq!(q.put_nowait(2), Err(TryPutError::Full(2)));
    }

    #[test]
    fn test_put_cancelled() {
        on_both(|| async {
            let q = Queue::new(0);
            let t = spawn_put(&q, 1);
            assert_eq!(q.get().await.unwrap(), 1);
            t.await.unwrap();
        });
    }

    #[test]
    fn test_put_cancelled_race() {
        on_current_thread(|| async {
            let q = Queue::new(1);
            let put_a = spawn_put(&q, "a");
            let put_b = spawn_put(&q, "b");
            let put_c = spawn_put(&q, "X");
            sleep0().await;
            assert!(put_a.is_finished());
            assert!(!put_b.is_finished());

            put_c.cancel();
            sleep0().await;
            assert!(put_c.is_finished());
            assert_eq!(q.get_nowait().unwrap(), "a");
            sleep0().await;
            assert_eq!(q.get_nowait().unwrap(), "b");
            put_b.await.unwrap();
            assert!(cancelled(put_c.await));
            put_a.await.unwrap();
        });
    }

    #[test]
    fn test_put_with_waiting_getters() {
        on_both(|| async {
            let q = Queue::new(0);
            let t = spawn_get(&q);
            sleep0().await;
            q.put("a").await.unwrap();
            assert_eq!(t.await.unwrap(), "a");
        });
    }

    #[test]
    fn test_why_are_putters_waiting() {
        // It counts `sleep(0)` steps (the getter must run after the putters filled the
        // queue), so it runs on the FIFO current-thread runtime: on the multi-thread one a
        // getter running first took fewer items and left a putter waiting for good.
        on_current_thread(|| async {
            let q = Queue::new(2);
            let qq = q.clone();
            let getter = corio::spawn(async move {
                sleep0().await;
                let num = qq.qsize();
                for _ in 0..num {
                    qq.get_nowait().unwrap();
                }
            });
            let putters: Vec<_> = (0..4).map(|i| spawn_put(&q, i)).collect();
            getter.await.unwrap();
            for p in putters {
                p.await.unwrap();
            }
        });
    }

    #[test]
    fn test_cancelled_puts_not_being_held_in_self_putters() {
        on_both(|| async {
            // Full queue.
            let q = Queue::new(1);
            q.put_nowait(1).unwrap();
            // A task waiting for space to put an item.
            let put_task = spawn_put(&q, 1);
            while putters(&q) == 0 {
                sleep0().await;
            }
            assert_eq!(putters(&q), 1);
            put_task.cancel();
            assert!(cancelled(put_task.await));
            assert_eq!(putters(&q), 0);
        });
    }

    #[test]
    fn test_cancelled_put_silence_value_error_exception() {
        // A putter woken by `get_nowait` and then cancelled ends cancelled, and the
        // slot it was promised is not lost.
        on_current_thread(|| async {
            let q = Queue::new(1);
            q.put_nowait(1).unwrap();
            let put_task = spawn_put(&q, 1);
            while putters(&q) == 0 {
                sleep0().await;
            }
            q.get_nowait().unwrap();
            put_task.cancel();
            assert!(cancelled(put_task.await));
            q.put_nowait(3).unwrap();
        });
    }
}

mod lifo_queue_tests {
    use super::*;

    #[test]
    fn test_order() {
        on_both(|| async {
            let q = LifoQueue::new(0);
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = vec![];
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [2, 3, 1]);
        });
    }
}

mod priority_queue_tests {
    use super::*;

    #[test]
    fn test_order() {
        on_both(|| async {
            let q = PriorityQueue::new(0);
            for i in [1, 3, 2] {
                q.put(i).await.unwrap();
            }
            let mut items = vec![];
            for _ in 0..3 {
                items.push(q.get().await.unwrap());
            }
            assert_eq!(items, [1, 2, 3]);
        });
    }
}

/// CPython's `_QueueJoinTestMixin`, for each queue kind.
mod join_mixin {
    use super::*;

    pub(super) fn test_task_done_underflow<S: Storage<u32>>() {
        let q = QueueBase::<u32, S>::new(0);
        assert!(q.task_done().is_err());
    }

    pub(super) fn test_task_done<S: Storage<u32> + Send + 'static>() {
        on_both(|| async {
            let q = QueueBase::<u32, S>::new(0);
            for i in 0..100 {
                q.put_nowait(i).unwrap();
            }
            // Two workers get items and call task_done after each; join waits until
            // all are processed.
            let accumulator = Arc::new(StdMutex::new(0));
            let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (q, acc, running) = (q.clone(), accumulator.clone(), running.clone());
                    corio::spawn(async move {
                        while running.load(std::sync::atomic::Ordering::SeqCst) {
                            let item = q.get().await.unwrap();
                            *acc.lock().unwrap() += item;
                            q.task_done().unwrap();
                        }
                    })
                })
                .collect();
            q.join().await;
            assert_eq!(*accumulator.lock().unwrap(), (0..100).sum::<u32>());
            // Stop the workers.
            running.store(false, std::sync::atomic::Ordering::SeqCst);
            for _ in 0..workers.len() {
                q.put_nowait(0).unwrap();
            }
            for w in workers {
                w.await.unwrap();
            }
        });
    }

    pub(super) fn test_join_empty_queue<S: Storage<u32> + Send + 'static>() {
        on_both(|| async {
            let q = QueueBase::<u32, S>::new(0);
            // Joins at once, and before anything else (twice for insurance).
            q.join().await;
            q.join().await;
        });
    }
}

macro_rules! join_tests {
    ($module:ident, $storage:ty) => {
        mod $module {
            use super::join_mixin;

            #[test]
            fn test_task_done_underflow() {
                join_mixin::test_task_done_underflow::<$storage>();
            }

            #[test]
            fn test_task_done() {
                join_mixin::test_task_done::<$storage>();
            }

            #[test]
            fn test_join_empty_queue() {
                join_mixin::test_join_empty_queue::<$storage>();
            }
        }
    };
}

join_tests!(queue_join_tests, corio::sync::Fifo<u32>);
join_tests!(lifo_queue_join_tests, corio::sync::Lifo<u32>);
join_tests!(priority_queue_join_tests, corio::sync::Priority<u32>);

/// CPython's `_QueueShutdownTestMixin`, for each queue kind.
mod shutdown_mixin {
    use super::*;

    type Q<S> = QueueBase<&'static str, S>;

    /// Every put and get fails once the queue is shut down and drained.
    async fn assert_shut_down<S: Storage<&'static str>>(q: &Q<S>) {
        assert!(q.put("data").await.is_err());
        assert!(matches!(
            q.put_nowait("data"),
            Err(TryPutError::ShutDown(_))
        ));
        assert!(q.get().await.is_err());
        assert_eq!(q.get_nowait(), Err(TryGetError::ShutDown));
    }

    pub(super) fn test_shutdown_empty<S: Storage<&'static str> + Send + 'static>() {
        on_current_thread(|| async {
            let q = Q::<S>::new(0);
            let qq = q.clone();
            let get_task = corio::spawn(async move { qq.get().await });
            sleep0().await; // the get is pending before the shutdown

            q.shutdown(false); // unfinished tasks: 0 -> 0
            assert_eq!(q.qsize(), 0);
            q.join().await;

            sleep0().await;
            assert!(get_task.is_finished());
            assert!(get_task.await.unwrap().is_err());
            assert_shut_down(&q).await;
        });
    }

    pub(super) fn test_shutdown_nonempty<S: Storage<&'static str> + Send + 'static>() {
        on_current_thread(|| async {
            let q = Q::<S>::new(1);
            q.put_nowait("data").unwrap();
            let qq = q.clone();
            let join_task = corio::spawn(async move { qq.join().await });
            let qq = q.clone();
            let put_task = corio::spawn(async move { qq.put("data2").await });
            sleep0().await;
            assert!(!put_task.is_finished());

            q.shutdown(false); // unfinished tasks: 1 -> 1
            assert_eq!(q.qsize(), 1);

            sleep0().await;
            assert!(put_task.is_finished());
            assert!(put_task.await.unwrap().is_err());

            // The stored item can still be taken.
            assert_eq!(q.get().await.unwrap(), "data");
            sleep0().await;
            assert!(!join_task.is_finished());
            assert_shut_down(&q).await;

            // One unfinished item; marking it done releases join.
            q.task_done().unwrap();
            sleep0().await;
            assert!(join_task.is_finished());
            join_task.await.unwrap();
            assert!(q.task_done().is_err(), "all items were marked done");
        });
    }

    pub(super) fn test_shutdown_immediate<S: Storage<&'static str> + Send + 'static>() {
        on_current_thread(|| async {
            let q = Q::<S>::new(0);
            q.put_nowait("data").unwrap();
            let qq = q.clone();
            let join_task = corio::spawn(async move { qq.join().await });

            q.shutdown(true); // unfinished tasks: 1 -> 0
            assert_eq!(q.qsize(), 0);

            sleep0().await;
            assert!(join_task.is_finished());
            join_task.await.unwrap();
            assert_shut_down(&q).await;
            assert!(q.task_done().is_err(), "no unfinished items");
        });
    }

    pub(super) fn test_shutdown_immediate_with_unfinished<
        S: Storage<&'static str> + Send + 'static,
    >() {
        on_current_thread(|| async {
            let q = Q::<S>::new(0);
            q.put_nowait("data").unwrap();
            q.put_nowait("data").unwrap();
            let qq = q.clone();
            let join_task = corio::spawn(async move { qq.join().await });
            assert_eq!(q.get().await.unwrap(), "data");

            q.shutdown(true); // unfinished tasks: 2 -> 1
            assert_eq!(q.qsize(), 0);

            sleep0().await;
            assert!(!join_task.is_finished());
            assert_shut_down(&q).await;

            // One unfinished item left.
            q.task_done().unwrap();
            assert!(q.task_done().is_err());

            sleep0().await;
            assert!(join_task.is_finished());
            join_task.await.unwrap();
        });
    }
}

macro_rules! shutdown_tests {
    ($module:ident, $storage:ty) => {
        mod $module {
            use super::shutdown_mixin;

            #[test]
            fn test_shutdown_empty() {
                shutdown_mixin::test_shutdown_empty::<$storage>();
            }

            #[test]
            fn test_shutdown_nonempty() {
                shutdown_mixin::test_shutdown_nonempty::<$storage>();
            }

            #[test]
            fn test_shutdown_immediate() {
                shutdown_mixin::test_shutdown_immediate::<$storage>();
            }

            #[test]
            fn test_shutdown_immediate_with_unfinished() {
                shutdown_mixin::test_shutdown_immediate_with_unfinished::<$storage>();
            }
        }
    };
}

shutdown_tests!(queue_shutdown_tests, corio::sync::Fifo<&'static str>);
shutdown_tests!(lifo_queue_shutdown_tests, corio::sync::Lifo<&'static str>);
shutdown_tests!(
    priority_queue_shutdown_tests,
    corio::sync::Priority<&'static str>
);

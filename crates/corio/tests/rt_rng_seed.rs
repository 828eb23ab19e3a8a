//! `Builder::rng_seed` at the facade level (the scheduler's own replay of task
//! interleavings is tested once, in corio-executor's `rng_seed.rs`): (1) the seed
//! replays `select!`/`race` choices and interleavings with locks and virtual time;
//! (2) the sync primitives and combinators give exact results under many schedules
//! (200 seeds; `CORIO_SEEDS=N` for more, `CORIO_SEED=S` to replay one). A failure names
//! the scenario and the seed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use corio::sync::{
    broadcast, mpsc, oneshot, watch, Barrier, BoundedSemaphore, Condition, Event, Mutex, Queue,
    Semaphore,
};
use corio::time::{sleep, timeout, Instant};
use corio::{as_completed, gather, race, select, wait, yield_now, ReturnWhen, Runtime, TaskGroup};
use futures::StreamExt;

/// The seeds to run: `CORIO_SEED=S` alone, else `0..CORIO_SEEDS` (default 200).
fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("CORIO_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return vec![seed];
    }
    let n = std::env::var("CORIO_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    (0..n).collect()
}

/// A seeded current-thread runtime with paused (virtual) time.
fn rt(seed: u64) -> Runtime {
    Runtime::builder()
        .current_thread()
        .start_paused(true)
        .rng_seed(seed)
        .build()
        .unwrap()
}

/// Runs `scenario` on a fresh seeded runtime for every seed; a failure names the seed.
fn for_each_seed<F, Fut>(name: &str, scenario: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for seed in seeds() {
        let res = catch_unwind(AssertUnwindSafe(|| rt(seed).block_on(scenario())));
        if let Err(payload) = res {
            let msg = corio_core::panic_message(&*payload).unwrap_or_default();
            panic!(
                "scenario `{name}` failed under rng_seed({seed}): {msg}\n\
                 replay: CORIO_SEED={seed} cargo test -p corio --test rt_rng_seed {name}"
            );
        }
    }
}

/// Which branch of a `select!` over always-ready futures wins, 64 times in a row, and
/// which side of a `race`: the runtime's seeded random numbers pick the first branch.
fn select_outcomes(seed: Option<u64>) -> Vec<u8> {
    let b = Runtime::builder().current_thread();
    let b = match seed {
        Some(s) => b.rng_seed(s),
        None => b,
    };
    b.build().unwrap().block_on(async {
        let mut out = Vec::new();
        for _ in 0..64 {
            out.push(select! {
                a = std::future::ready(0u8) => a,
                b = std::future::ready(1u8) => b,
                c = std::future::ready(2u8) => c,
            });
            out.push(race(std::future::ready(3u8), std::future::ready(4u8)).await);
        }
        out
    })
}

#[test]
fn a_seed_replays_select_and_race_outcomes() {
    let a = select_outcomes(Some(11));
    assert_eq!(
        a,
        select_outcomes(Some(11)),
        "the same seed replays select!/race"
    );
    assert_ne!(a, select_outcomes(Some(12)), "another seed, other choices");
    for v in 0..5u8 {
        assert!(a.contains(&v), "branch {v} never won: {a:?}");
    }
    // Unseeded runs still spread the wins (fairness), but do not replay.
    let free = select_outcomes(None);
    assert!((0..3u8).all(|v| free.contains(&v)), "{free:?}");
}

#[test]
fn same_seed_same_interleaving_with_locks_and_virtual_time() {
    fn traced(seed: u64) -> Vec<(usize, u64)> {
        let log = Arc::new(StdMutex::new(Vec::new()));
        let lock = Arc::new(Mutex::new(()));
        rt(seed).block_on(async {
            let start = Instant::now();
            let tasks: Vec<_> = (0..5)
                .map(|i| {
                    let (log, lock) = (log.clone(), lock.clone());
                    corio::spawn(async move {
                        for step in 0..3u64 {
                            let _g = lock.lock().await;
                            yield_now().await;
                            let ms = start.elapsed().as_millis() as u64;
                            log.lock().unwrap().push((i, ms));
                            drop(_g);
                            sleep(Duration::from_millis(10 * (step + i as u64 % 2))).await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        let log = log.lock().unwrap().clone();
        log
    }
    for seed in [1, 2, 3, 1000, u64::MAX] {
        assert_eq!(traced(seed), traced(seed), "seed {seed}");
    }
    assert_ne!(traced(1), traced(2));
}

#[test]
fn an_order_dependent_test_fails_naming_the_seed() {
    if std::env::var_os("CORIO_SEED").is_some() {
        return; // replaying one seed: it may be one where FIFO order happens to hold
    }
    // Assumes the tasks run in spawn order: true without a seed, not under most seeds.
    let err = catch_unwind(|| {
        for_each_seed("fifo_assumption", || async {
            let order = Arc::new(StdMutex::new(Vec::new()));
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    let order = order.clone();
                    corio::spawn(async move { order.lock().unwrap().push(i) })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
        })
    })
    .unwrap_err();
    let msg = corio_core::panic_message(&*err).unwrap();
    assert!(
        msg.starts_with("scenario `fifo_assumption` failed under rng_seed("),
        "{msg}"
    );
    assert!(msg.contains("replay: CORIO_SEED="), "{msg}");
}

#[test]
fn queue_producers_consumers_task_done_and_join() {
    for_each_seed("queue_producers_consumers_task_done_and_join", || async {
        let q: Queue<(usize, usize)> = Queue::new(3);
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let q = q.clone();
                corio::spawn(async move {
                    for i in 0..20 {
                        q.put((p, i)).await.unwrap();
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (q, seen) = (q.clone(), seen.clone());
                corio::spawn(async move {
                    let mut mine = Vec::new();
                    while let Ok(item) = q.get().await {
                        mine.push(item);
                        yield_now().await;
                        q.task_done().unwrap();
                    }
                    seen.lock().unwrap().extend(mine.iter().copied());
                    mine
                })
            })
            .collect();
        for p in producers {
            p.await.unwrap();
        }
        q.join().await;
        assert_eq!(q.unfinished_tasks(), 0);
        q.shutdown(false);
        for c in consumers {
            let mine = c.await.unwrap();
            // Each consumer sees each producer's items in order (the queue is FIFO).
            for p in 0..3 {
                let seq: Vec<_> = mine.iter().filter(|(q, _)| *q == p).map(|x| x.1).collect();
                assert!(seq.windows(2).all(|w| w[0] < w[1]), "{seq:?}");
            }
        }
        let mut all = seen.lock().unwrap().clone();
        all.sort_unstable();
        let expected: Vec<_> = (0..3).flat_map(|p| (0..20).map(move |i| (p, i))).collect();
        assert_eq!(all, expected);
    });
}

#[test]
fn semaphore_and_bounded_semaphore_limit_concurrency() {
    for_each_seed(
        "semaphore_and_bounded_semaphore_limit_concurrency",
        || async {
            let sem = Arc::new(Semaphore::new(3));
            let bounded = Arc::new(BoundedSemaphore::new(2));
            let (inside, max, b_inside, b_max) = (
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicUsize::new(0)),
            );
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let (sem, bounded) = (sem.clone(), bounded.clone());
                    let (inside, max) = (inside.clone(), max.clone());
                    let (b_inside, b_max) = (b_inside.clone(), b_max.clone());
                    corio::spawn(async move {
                        {
                            let _p = sem.acquire().await.unwrap();
                            let n = inside.fetch_add(1, SeqCst) + 1;
                            max.fetch_max(n, SeqCst);
                            yield_now().await;
                            yield_now().await;
                            inside.fetch_sub(1, SeqCst);
                        }
                        let _p = bounded.acquire().await.unwrap();
                        let n = b_inside.fetch_add(1, SeqCst) + 1;
                        b_max.fetch_max(n, SeqCst);
                        yield_now().await;
                        b_inside.fetch_sub(1, SeqCst);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert!((1..=3).contains(&max.load(SeqCst)), "{}", max.load(SeqCst));
            assert!((1..=2).contains(&b_max.load(SeqCst)));
            assert_eq!(sem.available_permits(), 3);
            assert_eq!(bounded.available_permits(), 2);
            assert!(bounded.release().is_err(), "released above its bound");
        },
    );
}

#[test]
fn mutex_counter_is_exact() {
    for_each_seed("mutex_counter_is_exact", || async {
        let counter = Arc::new(Mutex::new(0u64));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let counter = counter.clone();
                corio::spawn(async move {
                    for _ in 0..20 {
                        let mut g = counter.lock().await;
                        let v = *g;
                        yield_now().await; // read-modify-write across a yield
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*counter.lock().await, 200);
    });
}

#[test]
fn channels_deliver_everything_in_order() {
    for_each_seed("channels_deliver_everything_in_order", || async {
        // mpsc: 4 senders, per-sender order kept, nothing lost.
        let (tx, mut rx) = mpsc::channel::<(u32, u32)>(4);
        for s in 0..4 {
            let tx = tx.clone();
            drop(corio::spawn(async move {
                for i in 0..25 {
                    tx.send((s, i)).await.unwrap();
                }
            }));
        }
        drop(tx);
        let mut next = [0u32; 4];
        let mut count = 0;
        while let Some((s, i)) = rx.recv().await {
            assert_eq!(i, next[s as usize]);
            next[s as usize] += 1;
            count += 1;
        }
        assert_eq!(count, 100);

        // oneshot: every pair delivers.
        let rxs: Vec<_> = (0..10u32)
            .map(|i| {
                let (tx, rx) = oneshot::channel();
                drop(corio::spawn(async move {
                    yield_now().await;
                    tx.send(i).unwrap();
                }));
                rx
            })
            .collect();
        for (i, rx) in rxs.into_iter().enumerate() {
            assert_eq!(rx.await.unwrap(), i as u32);
        }

        // broadcast: every subscriber sees every value, in order.
        let (btx, _) = broadcast::channel::<u32>(64);
        let subs: Vec<_> = (0..3)
            .map(|_| {
                let mut rx = btx.subscribe();
                corio::spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(v) = rx.recv().await {
                        got.push(v);
                    }
                    got
                })
            })
            .collect();
        for v in 0..20 {
            btx.send(v).unwrap();
            yield_now().await;
        }
        drop(btx);
        for s in subs {
            assert_eq!(s.await.unwrap(), (0..20).collect::<Vec<_>>());
        }

        // watch: the receiver sees increasing values and ends on the last one.
        let (wtx, mut wrx) = watch::channel(0u32);
        let watcher = corio::spawn(async move {
            let mut seen = vec![];
            while wrx.changed().await.is_ok() {
                seen.push(*wrx.borrow_and_update());
            }
            seen
        });
        for v in 1..=30 {
            wtx.send(v).unwrap();
            if v % 3 == 0 {
                yield_now().await;
            }
        }
        drop(wtx);
        let seen = watcher.await.unwrap();
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        assert_eq!(seen.last(), Some(&30));
    });
}

#[test]
fn barrier_event_and_condition() {
    for_each_seed("barrier_event_and_condition", || async {
        // Barrier: 5 parties, 3 rounds, one leader per round, rounds never overlap.
        let barrier = Arc::new(Barrier::new(5));
        let log = Arc::new(StdMutex::new(Vec::new()));
        let parties: Vec<_> = (0..5)
            .map(|_| {
                let (barrier, log) = (barrier.clone(), log.clone());
                corio::spawn(async move {
                    let mut leaders = 0;
                    for round in 0..3 {
                        log.lock().unwrap().push(round);
                        yield_now().await;
                        if barrier.wait().await.unwrap().is_leader() {
                            leaders += 1;
                        }
                    }
                    leaders
                })
            })
            .collect();
        let mut leaders = 0;
        for p in parties {
            leaders += p.await.unwrap();
        }
        assert_eq!(leaders, 3);
        let log = log.lock().unwrap().clone();
        let mut sorted = log.clone();
        sorted.sort_unstable();
        assert_eq!(log, sorted, "a round started before the previous one ended");

        // Event: every waiter wakes once it is set.
        let event = Arc::new(Event::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let (event, woken) = (event.clone(), woken.clone());
                corio::spawn(async move {
                    event.wait().await;
                    woken.fetch_add(1, SeqCst);
                })
            })
            .collect();
        yield_now().await;
        assert_eq!(woken.load(SeqCst), 0);
        event.set();
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(woken.load(SeqCst), 10);

        // Condition: consumers take exactly what producers put.
        let cond = Arc::new(Condition::new(Vec::<u32>::new()));
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let cond = cond.clone();
                corio::spawn(async move {
                    let mut got = 0u32;
                    for _ in 0..10 {
                        let g = cond.lock().await;
                        let mut g = cond.wait_for(g, |v| !v.is_empty()).await;
                        got += g.pop().unwrap();
                    }
                    got
                })
            })
            .collect();
        for i in 1..=30 {
            cond.lock().await.push(i);
            cond.notify(1);
            if i % 4 == 0 {
                yield_now().await;
            }
        }
        let mut total = 0;
        for c in consumers {
            total += c.await.unwrap();
        }
        assert_eq!(total, (1..=30).sum::<u32>());
        assert!(cond.lock().await.is_empty());
    });
}

async fn after(ms: u64, v: u32) -> u32 {
    sleep(Duration::from_millis(ms)).await;
    v
}

#[test]
fn combinators_with_virtual_time() {
    for_each_seed("combinators_with_virtual_time", || async {
        let start = Instant::now();
        // gather: input order, as long as the longest.
        let out = gather([after(30, 1), after(10, 2), after(20, 3)]).await;
        assert_eq!(out, [1, 2, 3]);
        assert_eq!(start.elapsed(), Duration::from_millis(30));

        // wait(FirstCompleted) over tasks: the shortest finishes first; nothing cancelled.
        let t0 = Instant::now();
        let handles = vec![
            corio::spawn(after(50, 50)),
            corio::spawn(after(5, 5)),
            corio::spawn(after(40, 40)),
        ];
        let (done, pending) = wait(handles, ReturnWhen::FirstCompleted, None).await;
        assert_eq!(
            done.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [5]
        );
        assert_eq!(t0.elapsed(), Duration::from_millis(5));
        let (rest, none) = wait(pending, ReturnWhen::AllCompleted, None).await;
        let mut rest: Vec<_> = rest.into_iter().map(Result::unwrap).collect();
        rest.sort_unstable();
        assert_eq!((rest, none.len()), (vec![40, 50], 0));

        // as_completed: completion order follows the (distinct) durations.
        let order: Vec<u32> = as_completed([after(7, 7), after(3, 3), after(5, 5)])
            .collect()
            .await;
        assert_eq!(order, [3, 5, 7]);

        // TaskGroup: outputs in spawn order; the first failure cancels the siblings.
        let group = TaskGroup::<u32, &'static str>::new();
        for ms in [30u64, 10, 20] {
            group.spawn(async move { Ok(after(ms, ms as u32).await) });
        }
        assert_eq!(group.join().await.unwrap(), [30, 10, 20]);
        let group = TaskGroup::<u32, &'static str>::new();
        group.spawn(async { Ok(after(1_000, 1).await) });
        group.spawn(async {
            sleep(Duration::from_millis(10)).await;
            Err("boom")
        });
        let t0 = Instant::now();
        let err = group.join().await.unwrap_err();
        assert_eq!(err.errors().copied().collect::<Vec<_>>(), ["boom"]);
        assert_eq!(t0.elapsed(), Duration::from_millis(10), "sibling cancelled");

        // select!: the first to finish wins.
        let winner = select! {
            a = after(20, 20) => a,
            b = after(10, 10) => b,
        };
        assert_eq!(winner, 10);

        // timeout: elapses exactly at its deadline.
        let t0 = Instant::now();
        assert!(timeout(Duration::from_millis(15), after(30, 0))
            .await
            .is_err());
        assert_eq!(t0.elapsed(), Duration::from_millis(15));
        assert_eq!(timeout(Duration::from_millis(15), after(5, 9)).await, Ok(9));
    });
}

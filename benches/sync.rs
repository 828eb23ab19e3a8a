//! Sync primitives: corio next to tokio::sync (and async-channel for the channels).
//!
//! One group per workload, one function per runtime; every corio/tokio pair runs the
//! same shape of work on the same kind of scheduler (multi-thread, 2 workers, unless
//! the name says current-thread).

#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const MESSAGES: usize = 1_000;

fn corio_rt() -> corio::Runtime {
    corio::Runtime::builder()
        .multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

fn corio_rt_current() -> corio::Runtime {
    corio::Runtime::builder().current_thread().build().unwrap()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

fn tokio_rt_current() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------- mpsc

fn mpsc(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc");
    for producers in [1usize, 5] {
        let per = MESSAGES / producers;
        let crt = corio_rt();
        group.bench_function(BenchmarkId::new("bounded_corio", producers), |b| {
            b.iter(|| {
                crt.block_on(async {
                    let (tx, mut rx) = corio::sync::mpsc::channel::<usize>(100);
                    for _ in 0..producers {
                        let tx = tx.clone();
                        let _detached = corio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).await.unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut n = 0;
                    while rx.recv().await.is_some() {
                        n += 1;
                    }
                    assert_eq!(n, per * producers);
                })
            })
        });
        let trt = tokio_rt();
        group.bench_function(BenchmarkId::new("bounded_tokio", producers), |b| {
            b.iter(|| {
                trt.block_on(async {
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<usize>(100);
                    for _ in 0..producers {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).await.unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut n = 0;
                    while rx.recv().await.is_some() {
                        n += 1;
                    }
                    assert_eq!(n, per * producers);
                })
            })
        });
        group.bench_function(BenchmarkId::new("bounded_async_channel", producers), |b| {
            b.iter(|| {
                trt.block_on(async {
                    let (tx, rx) = async_channel::bounded::<usize>(100);
                    for _ in 0..producers {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).await.unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut n = 0;
                    while rx.recv().await.is_ok() {
                        n += 1;
                    }
                    assert_eq!(n, per * producers);
                })
            })
        });
        group.bench_function(BenchmarkId::new("unbounded_corio", producers), |b| {
            b.iter(|| {
                crt.block_on(async {
                    let (tx, mut rx) = corio::sync::mpsc::unbounded_channel::<usize>();
                    for _ in 0..producers {
                        let tx = tx.clone();
                        let _detached = corio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut n = 0;
                    while rx.recv().await.is_some() {
                        n += 1;
                    }
                    assert_eq!(n, per * producers);
                })
            })
        });
        group.bench_function(BenchmarkId::new("unbounded_tokio", producers), |b| {
            b.iter(|| {
                trt.block_on(async {
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
                    for _ in 0..producers {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for i in 0..per {
                                tx.send(i).unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut n = 0;
                    while rx.recv().await.is_some() {
                        n += 1;
                    }
                    assert_eq!(n, per * producers);
                })
            })
        });
        group.bench_function(
            BenchmarkId::new("unbounded_async_channel", producers),
            |b| {
                b.iter(|| {
                    trt.block_on(async {
                        let (tx, rx) = async_channel::unbounded::<usize>();
                        for _ in 0..producers {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                for i in 0..per {
                                    tx.send(i).await.unwrap();
                                }
                            });
                        }
                        drop(tx);
                        let mut n = 0;
                        while rx.recv().await.is_ok() {
                            n += 1;
                        }
                        assert_eq!(n, per * producers);
                    })
                })
            },
        );
    }
    group.finish();
}

// ---------------------------------------------------------------- oneshot

fn oneshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("oneshot_round_trip");
    let crt = corio_rt_current();
    group.bench_function("corio", |b| {
        b.iter(|| {
            crt.block_on(async {
                for i in 0..100u32 {
                    let (tx, rx) = corio::sync::oneshot::channel();
                    drop(corio::spawn(async move { tx.send(i).unwrap() }));
                    assert_eq!(rx.await.unwrap(), i);
                }
            })
        })
    });
    let trt = tokio_rt_current();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                for i in 0..100u32 {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    tokio::spawn(async move { tx.send(i).unwrap() });
                    assert_eq!(rx.await.unwrap(), i);
                }
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------- semaphore / mutex

fn semaphore(c: &mut Criterion) {
    let mut group = c.benchmark_group("semaphore_6_tasks_5_permits");
    let crt = corio_rt();
    group.bench_function("corio", |b| {
        b.iter(|| {
            crt.block_on(async {
                let sem = std::sync::Arc::new(corio::sync::Semaphore::new(5));
                let tasks: Vec<_> = (0..6)
                    .map(|_| {
                        let sem = sem.clone();
                        corio::spawn(async move {
                            for _ in 0..1000 {
                                let _p = sem.acquire().await.unwrap();
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    let trt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(5));
                let tasks: Vec<_> = (0..6)
                    .map(|_| {
                        let sem = sem.clone();
                        tokio::spawn(async move {
                            for _ in 0..1000 {
                                let _p = sem.acquire().await.unwrap();
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    group.finish();
}

fn mutex(c: &mut Criterion) {
    let mut group = c.benchmark_group("mutex_contended_6_tasks");
    let crt = corio_rt();
    group.bench_function("corio", |b| {
        b.iter(|| {
            crt.block_on(async {
                let m = std::sync::Arc::new(corio::sync::Mutex::new(0u64));
                let tasks: Vec<_> = (0..6)
                    .map(|_| {
                        let m = m.clone();
                        corio::spawn(async move {
                            for _ in 0..1000 {
                                *m.lock().await += 1;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                assert_eq!(*m.lock().await, 6000);
            })
        })
    });
    let trt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                let m = std::sync::Arc::new(tokio::sync::Mutex::new(0u64));
                let tasks: Vec<_> = (0..6)
                    .map(|_| {
                        let m = m.clone();
                        tokio::spawn(async move {
                            for _ in 0..1000 {
                                *m.lock().await += 1;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                assert_eq!(*m.lock().await, 6000);
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------- broadcast

fn broadcast(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast_100_receivers");
    const VALUES: usize = 100;
    let crt = corio_rt();
    group.bench_function("corio", |b| {
        b.iter(|| {
            crt.block_on(async {
                let (tx, rx) = corio::sync::broadcast::channel::<usize>(VALUES);
                let tasks: Vec<_> = (0..100)
                    .map(|_| {
                        let mut rx = rx.resubscribe();
                        corio::spawn(async move {
                            let mut n = 0;
                            while rx.recv().await.is_ok() {
                                n += 1;
                            }
                            n
                        })
                    })
                    .collect();
                drop(rx);
                for i in 0..VALUES {
                    tx.send(i).unwrap();
                }
                drop(tx);
                for t in tasks {
                    assert_eq!(t.await.unwrap(), VALUES);
                }
            })
        })
    });
    let trt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                let (tx, rx) = tokio::sync::broadcast::channel::<usize>(VALUES);
                let tasks: Vec<_> = (0..100)
                    .map(|_| {
                        let mut rx = rx.resubscribe();
                        tokio::spawn(async move {
                            let mut n = 0;
                            while rx.recv().await.is_ok() {
                                n += 1;
                            }
                            n
                        })
                    })
                    .collect();
                drop(rx);
                for i in 0..VALUES {
                    tx.send(i).unwrap();
                }
                drop(tx);
                for t in tasks {
                    assert_eq!(t.await.unwrap(), VALUES);
                }
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------- Queue + task_done/join

fn queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("queue_task_done_join");
    const WORKERS: usize = 4;
    let crt = corio_rt();
    group.bench_function("corio_queue", |b| {
        b.iter(|| {
            crt.block_on(async {
                let q = corio::sync::Queue::<usize>::new(100);
                for _ in 0..WORKERS {
                    let q = q.clone();
                    let _detached = corio::spawn(async move {
                        while let Ok(_item) = q.get().await {
                            q.task_done().unwrap();
                        }
                    });
                }
                for i in 0..MESSAGES {
                    q.put(i).await.unwrap();
                }
                q.join().await;
                q.shutdown(false);
            })
        })
    });
    // The closest tokio equivalent: a shared mpsc receiver behind a mutex for the
    // workers, an atomic "unfinished" counter and a Notify for `join`.
    let trt = tokio_rt();
    group.bench_function("tokio_mpsc_counter", |b| {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        b.iter(|| {
            trt.block_on(async {
                let (tx, rx) = tokio::sync::mpsc::channel::<usize>(100);
                let rx = Arc::new(tokio::sync::Mutex::new(rx));
                let unfinished = Arc::new(AtomicUsize::new(0));
                let done = Arc::new(tokio::sync::Notify::new());
                for _ in 0..WORKERS {
                    let (rx, unfinished, done) = (rx.clone(), unfinished.clone(), done.clone());
                    tokio::spawn(async move {
                        loop {
                            let item = rx.lock().await.recv().await;
                            if item.is_none() {
                                break;
                            }
                            if unfinished.fetch_sub(1, Ordering::AcqRel) == 1 {
                                done.notify_waiters();
                            }
                        }
                    });
                }
                for i in 0..MESSAGES {
                    unfinished.fetch_add(1, Ordering::AcqRel);
                    tx.send(i).await.unwrap();
                }
                loop {
                    let notified = done.notified();
                    if unfinished.load(Ordering::Acquire) == 0 {
                        break;
                    }
                    notified.await;
                }
                drop(tx);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, mpsc, oneshot, semaphore, mutex, broadcast, queue);
criterion_main!(benches);

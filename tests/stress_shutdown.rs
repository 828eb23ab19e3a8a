//! Shutting a runtime down in the middle of heavy load.
//!
//! The load: tasks spinning on `yield_now`, mpsc ping-pong pairs, tasks looping on
//! timers, tasks that keep spawning children, futures whose `Drop` tries to spawn again
//! (during shutdown), and blocking jobs (running and queued). Then the runtime is
//! dropped, or shut down with `shutdown_timeout`, from outside.
//!
//! Asserts: the call returns (a watchdog aborts the process if it does not within 10 s:
//! a hang guard, not a timing assertion); every future ever created was dropped
//! exactly once (per-future flags, not just totals); every blocking closure was dropped
//! exactly once (run or not) once the pool's threads are done.
//!
//! Size: 2 000 spinning tasks (and proportional other load) by default;
//! `CORIO_STRESS=big` runs 20 000, `CORIO_STRESS=<factor>` scales the default.

mod stress_support;

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use corio::sync::mpsc;
use corio::Runtime;

use stress_support::{size, Rng, Watchdog};

/// Records that a future (or closure) was dropped, and that it happened exactly once.
struct Ledger {
    dropped: Vec<AtomicU8>,
    next: AtomicUsize,
}

impl Ledger {
    fn new(cap: usize) -> Arc<Self> {
        Arc::new(Ledger {
            dropped: (0..cap).map(|_| AtomicU8::new(0)).collect(),
            next: AtomicUsize::new(0),
        })
    }

    /// A token to move into a future; its drop is recorded. `None` when the ledger is
    /// full (the caller then stops creating load).
    fn token(self: &Arc<Self>) -> Option<Token> {
        let id = self.next.fetch_add(1, SeqCst);
        (id < self.dropped.len()).then(|| Token {
            id,
            ledger: self.clone(),
        })
    }

    fn created(&self) -> usize {
        self.next.load(SeqCst).min(self.dropped.len())
    }

    /// Checks every created token was dropped exactly once; returns how many.
    fn check(&self, what: &str) -> usize {
        let created = self.created();
        for (id, d) in self.dropped[..created].iter().enumerate() {
            assert_eq!(d.load(SeqCst), 1, "{what}: token {id} dropped {d:?} times");
        }
        created
    }

    fn dropped(&self) -> usize {
        self.dropped[..self.created()]
            .iter()
            .filter(|d| d.load(SeqCst) > 0)
            .count()
    }
}

struct Token {
    id: usize,
    ledger: Arc<Ledger>,
}

impl Drop for Token {
    fn drop(&mut self) {
        let before = self.ledger.dropped[self.id].fetch_add(1, SeqCst);
        assert_eq!(before, 0, "token {} dropped twice", self.id);
    }
}

/// A token whose drop also tries to spawn a tracked future (which, during shutdown,
/// must be refused or still be dropped).
struct SpawnOnDrop {
    _token: Token,
    ledger: Arc<Ledger>,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        if let Some(t) = self.ledger.token() {
            let _detached = corio::try_spawn(async move {
                let _t = t;
                std::future::pending::<()>().await;
            });
        }
    }
}

/// How far the load got: shutdown must hit every kind of work in full swing.
#[derive(Default)]
struct Progress {
    hops: AtomicUsize,
    timer_fires: AtomicUsize,
    spawner_rounds: AtomicUsize,
}

fn load(
    ledger: &Arc<Ledger>,
    blocking: &Arc<Ledger>,
    progress: &Arc<Progress>,
    n: usize,
    seed: u64,
) {
    let mut rng = Rng::new(seed);
    // Spinners.
    for _ in 0..n {
        let Some(t) = ledger.token() else { return };
        let _detached = corio::spawn(async move {
            let _t = t;
            loop {
                corio::yield_now().await;
            }
        });
    }
    // Ping-pong pairs over bounded channels.
    for _ in 0..n / 10 {
        let (Some(t1), Some(t2)) = (ledger.token(), ledger.token()) else {
            return;
        };
        let (a_tx, mut a_rx) = mpsc::channel::<Token>(1);
        let (b_tx, mut b_rx) = mpsc::channel::<Token>(1);
        let ball = ledger.token();
        let p = progress.clone();
        let _detached = corio::spawn(async move {
            let _t = t1;
            if let Some(ball) = ball {
                let _ = a_tx.send(ball).await;
            }
            while let Some(ball) = b_rx.recv().await {
                p.hops.fetch_add(1, SeqCst);
                if a_tx.send(ball).await.is_err() {
                    break;
                }
            }
        });
        let _detached = corio::spawn(async move {
            let _t = t2;
            while let Some(ball) = a_rx.recv().await {
                if b_tx.send(ball).await.is_err() {
                    break;
                }
            }
        });
    }
    // Timer loops.
    for _ in 0..n / 2 {
        let Some(t) = ledger.token() else { return };
        let us = 1 + rng.below(2_000) as u64;
        let p = progress.clone();
        let _detached = corio::spawn(async move {
            let _t = t;
            loop {
                corio::time::sleep(Duration::from_micros(us)).await;
                p.timer_fires.fetch_add(1, SeqCst);
            }
        });
    }
    // Spawners: each keeps spawning short-lived and pending children.
    for _ in 0..n / 20 {
        let Some(t) = ledger.token() else { return };
        let ledger = ledger.clone();
        let p = progress.clone();
        let _detached = corio::spawn(async move {
            let _t = t;
            loop {
                p.spawner_rounds.fetch_add(1, SeqCst);
                let Some(child) = ledger.token() else { break };
                let _detached = corio::try_spawn(async move {
                    let _c = child;
                    corio::yield_now().await;
                });
                let Some(child) = ledger.token() else { break };
                let _detached = corio::try_spawn(async move {
                    let _c = child;
                    std::future::pending::<()>().await;
                });
                corio::yield_now().await;
            }
        });
    }
    // Futures that spawn from their Drop.
    for _ in 0..n / 20 {
        let Some(t) = ledger.token() else { return };
        let guard = SpawnOnDrop {
            _token: t,
            ledger: ledger.clone(),
        };
        let _detached = corio::spawn(async move {
            let _g = guard;
            std::future::pending::<()>().await;
        });
    }
    // Blocking jobs: more than the pool runs at once, each a few ms.
    for _ in 0..64 {
        let Some(t) = blocking.token() else { return };
        let ms = 1 + rng.below(5) as u64;
        let _detached = corio::spawn_blocking(move || {
            let _t = t;
            std::thread::sleep(Duration::from_millis(ms));
        });
    }
}

fn runtime(flavor: &str) -> Runtime {
    let b = Runtime::builder().max_blocking_threads(8);
    match flavor {
        "current_thread" => b.current_thread().build().unwrap(),
        "current_thread(paused)" => b.current_thread().start_paused(true).build().unwrap(),
        _ => b.multi_thread().worker_threads(2).build().unwrap(),
    }
}

fn shutdown_under_load(flavor: &'static str, how: &'static str, seed: u64) {
    let n = size(2_000, 20_000);
    let ledger = Ledger::new(n * 40);
    let blocking = Ledger::new(64);
    let progress = Arc::new(Progress::default());
    let _whole = Watchdog::arm("stress_shutdown test", Duration::from_secs(120));
    let rt = runtime(flavor);
    let paused = rt.handle().clock().is_paused();
    {
        let (ledger, blocking, p) = (ledger.clone(), blocking.clone(), progress.clone());
        rt.block_on(async move {
            load(&ledger, &blocking, &p, n, seed);
            // Let the load run until every kind of work is in full swing. A paused
            // clock never auto-advances while spinners are runnable: no timer fires
            // there, so only wait for timers on the real clock.
            let spawners = n / 20;
            while p.spawner_rounds.load(SeqCst) < 3 * spawners
                || p.hops.load(SeqCst) < n / 10
                || (!paused && p.timer_fires.load(SeqCst) < n / 2)
            {
                if paused {
                    corio::yield_now().await;
                } else {
                    corio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        });
    }
    let alive = rt.handle().num_alive_tasks();
    assert!(
        alive >= n,
        "{flavor}: the load is not running ({alive} tasks)"
    );

    let guard = Watchdog::arm("runtime shutdown under load", Duration::from_secs(10));
    let start = StdInstant::now();
    match how {
        "drop" => drop(rt),
        _ => rt.shutdown_timeout(Duration::from_millis(100)),
    }
    let took = start.elapsed();
    drop(guard);

    let futures = ledger.check(flavor);
    // Blocking jobs cannot be interrupted: after `shutdown_timeout` the running ones
    // finish on their own (a few ms each); queued ones are dropped unrun.
    let _guard = Watchdog::arm("blocking jobs after shutdown", Duration::from_secs(10));
    while blocking.dropped() < blocking.created() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let jobs = blocking.check(flavor);
    eprintln!(
        "{flavor} {how}: {alive} tasks alive, {futures} futures and {jobs} blocking \
         jobs dropped exactly once; shutdown took {took:?}"
    );
}

#[test]
fn drop_multi_thread_under_load() {
    shutdown_under_load("multi_thread(2)", "drop", 1);
}

#[test]
fn shutdown_timeout_multi_thread_under_load() {
    shutdown_under_load("multi_thread(2)", "shutdown_timeout", 2);
}

#[test]
fn drop_current_thread_under_load() {
    shutdown_under_load("current_thread", "drop", 3);
}

#[test]
fn shutdown_timeout_current_thread_paused_under_load() {
    shutdown_under_load("current_thread(paused)", "shutdown_timeout", 4);
}

//! A cancellation storm over every `corio::sync` primitive and every combinator.
//!
//! Waves of tasks each pick one operation (a lock, a semaphore, a queue put or get, a
//! channel send or receive, a combinator over such operations, ...), wrap its waits in
//! random timeouts, and are aborted at random awaits by the driver; all randomness comes
//! from a seeded generator. Afterwards:
//! - every permit is back (`available_permits` equals the initial count) and no lock is
//!   held (`try_lock`/`try_write` succeed, holder counters are zero);
//! - conservation: every item a put/send reported as accepted was received exactly once
//!   or is still in its queue/channel (drained at the end); items never accepted were
//!   never received; no item is leaked (a live-item counter is back to zero);
//! - the condition's counter balances, the barrier has no waiters, the rate limiter
//!   handed out no more tokens than its rate allows;
//! - no task is left: `Handle::num_alive_tasks()` is back to its baseline.
//!
//! The soft-cancel storm (`soft_cancel_storm_*`) runs the same operations but cancels
//! with `JoinHandle::cancel` (asyncio's `Task.cancel()`), seen by the task at the await
//! it is in: most tasks wrap their work in `task::finally` with a cleanup that itself
//! awaits (a queue put, an mpsc send, a semaphore permit held across a sleep, a mutex,
//! a barrier, an event, a oneshot reply from a helper task, each under a timeout), others
//! catch the cancel and carry on with one more operation, or shield an operation, or run
//! it as a `TaskGroup` child under `finally` next to a sibling that may fail (the group
//! cancels the child cooperatively and waits for its cleanup); some are cancelled twice,
//! a few aborted on top. On top of the checks above: every cleanup
//! that began in a task that was not aborted ran to its end (exactly once), items sent by
//! cleanups are conserved like the others, and a cancelled task ends cancelled or, when it
//! caught the cancel, with its output.
//!
//! Runs on the current-thread runtime with a paused clock and on the 2-worker
//! multi-thread runtime on the real clock.
//!
//! Size: 30 000 tasks per runtime by default; `CORIO_STRESS=big` runs 100 000 per
//! runtime, `CORIO_STRESS=<factor>` scales the default.

mod stress_support;

use std::cmp::Ordering as CmpOrdering;
use std::sync::atomic::{
    AtomicBool, AtomicIsize, AtomicU64, AtomicU8, AtomicUsize, Ordering::SeqCst,
};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use corio::sync::{
    broadcast, mpsc, oneshot, watch, Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Mutex,
    Notify, PriorityQueue, Queue, QueueBase, RateLimiter, RwLock, Semaphore, Storage,
};
use corio::task;
use corio::time::{sleep, timeout, Instant};
use corio::{Handle, JoinHandle, ReturnWhen, Runtime, TaskGroup};
use futures::future::{BoxFuture, FutureExt};
use futures::StreamExt;

use stress_support::{on, runtimes, settle, size, Rng, Watchdog};

const SEM_PERMITS: usize = 5;
const BSEM_BOUND: usize = 3;
const BARRIER_PARTIES: usize = 4;
const QUEUE_MAX: usize = 8;
const MPSC_CAP: usize = 8;
const BCAST_CAP: usize = 16;
const LIMIT_RATE: u32 = 50;
const LIMIT_PERIOD: Duration = Duration::from_millis(1);
const LIMIT_BURST: u32 = 10;
const WAVE: usize = 1_000;

/// `sent[id]` values.
const NOT_SENT: u8 = 0;
/// Accepted by a queue or an mpsc channel: must be received exactly once.
const SENT: u8 = 1;
/// Sent on a oneshot: received at most once (a receiver may drop it unread).
const SENT_ONESHOT: u8 = 2;

/// A message with an id; counts live instances so a leaked or double-dropped one shows.
struct Item {
    id: usize,
    live: Arc<AtomicIsize>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Item {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.id.cmp(&other.id)
    }
}

/// Adds `n` to a counter while alive.
struct Held<'a>(&'a AtomicUsize, usize);
impl<'a> Held<'a> {
    fn new(count: &'a AtomicUsize, n: usize) -> Self {
        count.fetch_add(n, SeqCst);
        Held(count, n)
    }
}
impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(self.1, SeqCst);
    }
}

/// Everything the tasks share.
struct World {
    mutex: Mutex<u64>,
    mutex_inside: AtomicUsize,
    rw: RwLock<u64>,
    readers: AtomicUsize,
    writers: AtomicUsize,
    sem: Arc<Semaphore>,
    sem_held: AtomicUsize,
    bsem: BoundedSemaphore,
    bsem_held: AtomicUsize,
    event: Event,
    cond: Condition<u64>,
    cond_produced: AtomicU64,
    cond_consumed: AtomicU64,
    barrier: Barrier,
    notify: Notify,
    fifo: Queue<Item>,
    lifo: LifoQueue<Item>,
    prio: PriorityQueue<Item>,
    mpsc_tx: mpsc::Sender<Item>,
    mpsc_rx: Mutex<mpsc::Receiver<Item>>,
    unb_tx: mpsc::UnboundedSender<Item>,
    unb_rx: Mutex<mpsc::UnboundedReceiver<Item>>,
    bcast_tx: broadcast::Sender<u64>,
    /// Serializes broadcast sends so values go out in increasing order.
    bcast_seq: StdMutex<u64>,
    watch_tx: watch::Sender<u64>,
    limiter: RateLimiter,
    limiter_taken: AtomicU64,
    sent: Vec<AtomicU8>,
    seen: Vec<AtomicU8>,
    next_id: AtomicUsize,
    live: Arc<AtomicIsize>,
    /// Tasks that were polled at least once, and tasks that ran to the end.
    started: AtomicUsize,
    finished: AtomicUsize,
    /// A short timeout's upper bound, in microseconds.
    max_wait_us: usize,
    /// Soft storm: per task, its cleanup's progress (`CLEANUP_*`).
    cleanup: Vec<AtomicU8>,
    /// Soft storm: per task, whether the driver aborted it (its cleanup may be cut).
    aborted: Vec<AtomicBool>,
    /// Soft storm: per task, whether it caught a cancel and carried on.
    caught: Vec<AtomicBool>,
    /// Soft storm: per task, how many times the driver cancelled it.
    cancels: Vec<AtomicU8>,
    /// Soft storm: per task, whether it is in flight (started, not finished).
    in_flight: Vec<AtomicBool>,
    /// Soft storm: cleanups begun and ended.
    cleanups_begun: AtomicUsize,
    cleanups_ended: AtomicUsize,
}

/// `cleanup[id]` values.
const CLEANUP_NONE: u8 = 0;
const CLEANUP_BEGUN: u8 = 1;
const CLEANUP_ENDED: u8 = 2;

impl World {
    fn new(tasks: usize, max_wait_us: usize) -> Self {
        let (mpsc_tx, mpsc_rx) = mpsc::channel(MPSC_CAP);
        let (unb_tx, unb_rx) = mpsc::unbounded_channel();
        let (bcast_tx, _) = broadcast::channel(BCAST_CAP);
        let (watch_tx, _) = watch::channel(0);
        // At most two items per basic operation: up to three per combinator, one more
        // after a caught cancel, and one per cleanup.
        let ids = tasks * 9 + 16;
        World {
            mutex: Mutex::new(0),
            mutex_inside: AtomicUsize::new(0),
            rw: RwLock::new(0),
            readers: AtomicUsize::new(0),
            writers: AtomicUsize::new(0),
            sem: Arc::new(Semaphore::new(SEM_PERMITS)),
            sem_held: AtomicUsize::new(0),
            bsem: BoundedSemaphore::new(BSEM_BOUND),
            bsem_held: AtomicUsize::new(0),
            event: Event::new(),
            cond: Condition::new(0),
            cond_produced: AtomicU64::new(0),
            cond_consumed: AtomicU64::new(0),
            barrier: Barrier::new(BARRIER_PARTIES),
            notify: Notify::new(),
            fifo: Queue::new(QUEUE_MAX),
            lifo: LifoQueue::new(QUEUE_MAX),
            prio: PriorityQueue::new(QUEUE_MAX),
            mpsc_tx,
            mpsc_rx: Mutex::new(mpsc_rx),
            unb_tx,
            unb_rx: Mutex::new(unb_rx),
            bcast_tx,
            bcast_seq: StdMutex::new(0),
            watch_tx,
            limiter: RateLimiter::with_burst(LIMIT_RATE, LIMIT_PERIOD, LIMIT_BURST).unwrap(),
            limiter_taken: AtomicU64::new(0),
            sent: (0..ids).map(|_| AtomicU8::new(NOT_SENT)).collect(),
            seen: (0..ids).map(|_| AtomicU8::new(0)).collect(),
            next_id: AtomicUsize::new(0),
            live: Arc::new(AtomicIsize::new(0)),
            started: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            max_wait_us,
            cleanup: (0..tasks).map(|_| AtomicU8::new(CLEANUP_NONE)).collect(),
            aborted: (0..tasks).map(|_| AtomicBool::new(false)).collect(),
            caught: (0..tasks).map(|_| AtomicBool::new(false)).collect(),
            cancels: (0..tasks).map(|_| AtomicU8::new(0)).collect(),
            in_flight: (0..tasks).map(|_| AtomicBool::new(false)).collect(),
            cleanups_begun: AtomicUsize::new(0),
            cleanups_ended: AtomicUsize::new(0),
        }
    }

    fn item(&self) -> Item {
        let id = self.next_id.fetch_add(1, SeqCst);
        assert!(id < self.sent.len(), "item ids exhausted");
        self.live.fetch_add(1, SeqCst);
        Item {
            id,
            live: self.live.clone(),
        }
    }

    fn mark_sent(&self, id: usize, how: u8) {
        assert_eq!(
            self.sent[id].swap(how, SeqCst),
            NOT_SENT,
            "item {id} sent twice"
        );
    }

    fn mark_seen(&self, item: Item) {
        let before = self.seen[item.id].fetch_add(1, SeqCst);
        assert_eq!(before, 0, "item {} received twice", item.id);
    }

    fn wait(&self, rng: &mut Rng) -> Duration {
        Duration::from_micros(rng.below(self.max_wait_us) as u64 + 1)
    }
}

async fn yields(rng: &mut Rng) {
    for _ in 0..rng.below(3) {
        corio::yield_now().await;
    }
}

/// How many basic operations there are (the combinator kinds come after them).
const BASIC: usize = 17;
const KINDS: usize = BASIC + 7;

/// One basic operation on the world, every wait under a random timeout.
fn basic_op(w: Arc<World>, kind: usize, mut rng: Rng) -> BoxFuture<'static, ()> {
    async move {
        let rng = &mut rng;
        let arc = w;
        let w = &*arc;
        match kind {
            0 => {
                if let Ok(mut g) = timeout(w.wait(rng), w.mutex.lock()).await {
                    let _in = Held::new(&w.mutex_inside, 1);
                    assert_eq!(w.mutex_inside.load(SeqCst), 1, "two mutex holders");
                    let v = *g;
                    yields(rng).await;
                    *g = v + 1;
                }
            }
            1 => {
                if rng.one_in(3) {
                    if let Ok(mut g) = timeout(w.wait(rng), w.rw.write()).await {
                        let _in = Held::new(&w.writers, 1);
                        assert_eq!(w.writers.load(SeqCst), 1, "two writers");
                        assert_eq!(w.readers.load(SeqCst), 0, "reader during write");
                        yields(rng).await;
                        *g += 1;
                    }
                } else if let Ok(g) = timeout(w.wait(rng), w.rw.read()).await {
                    let _in = Held::new(&w.readers, 1);
                    assert_eq!(w.writers.load(SeqCst), 0, "writer during read");
                    let _ = *g;
                    yields(rng).await;
                }
            }
            2 => {
                let n = 1 + rng.below(3);
                let permit = if rng.one_in(2) {
                    timeout(w.wait(rng), w.sem.clone().acquire_many_owned(n as u32))
                        .await
                        .map(|p| p.unwrap())
                        .ok()
                } else {
                    // The borrowed permit, turned owned by holding it in this scope.
                    if let Ok(p) = timeout(w.wait(rng), w.sem.acquire_many(n as u32)).await {
                        let _p = p.unwrap();
                        let _in = Held::new(&w.sem_held, n);
                        assert!(w.sem_held.load(SeqCst) <= SEM_PERMITS, "too many permits");
                        yields(rng).await;
                    }
                    None
                };
                if let Some(_p) = permit {
                    let _in = Held::new(&w.sem_held, n);
                    assert!(w.sem_held.load(SeqCst) <= SEM_PERMITS, "too many permits");
                    yields(rng).await;
                }
            }
            3 => {
                if let Ok(p) = timeout(w.wait(rng), w.bsem.acquire()).await {
                    let _p = p.unwrap();
                    let _in = Held::new(&w.bsem_held, 1);
                    assert!(w.bsem_held.load(SeqCst) <= BSEM_BOUND, "too many permits");
                    yields(rng).await;
                }
            }
            4 => {
                if rng.one_in(4) {
                    w.event.set();
                    yields(rng).await;
                    w.event.clear();
                } else {
                    let _ = timeout(w.wait(rng), w.event.wait()).await;
                }
            }
            5 => {
                let Ok(mut g) = timeout(w.wait(rng), w.cond.lock()).await else {
                    return;
                };
                if rng.one_in(2) {
                    *g += 1;
                    w.cond_produced.fetch_add(1, SeqCst);
                    drop(g);
                    w.cond.notify(1);
                } else if let Ok(mut g) = timeout(w.wait(rng), w.cond.wait_for(g, |v| *v > 0)).await
                {
                    *g -= 1;
                    w.cond_consumed.fetch_add(1, SeqCst);
                }
            }
            6 => {
                if let Ok(r) = timeout(w.wait(rng), w.barrier.wait()).await {
                    r.expect("the barrier is never aborted");
                }
            }
            7 => {
                if rng.one_in(2) {
                    w.notify.notify_one();
                } else {
                    let _ = timeout(w.wait(rng), w.notify.notified()).await;
                }
            }
            8 => queue_op(w, &w.fifo, rng).await,
            9 => queue_op(w, &w.lifo, rng).await,
            10 => queue_op(w, &w.prio, rng).await,
            11 => {
                if rng.one_in(2) {
                    for _ in 0..2 {
                        let item = w.item();
                        let id = item.id;
                        if rng.one_in(3) {
                            if let Ok(Ok(permit)) = timeout(w.wait(rng), w.mpsc_tx.reserve()).await
                            {
                                permit.send(item);
                                w.mark_sent(id, SENT);
                            }
                        } else if let Ok(r) = timeout(w.wait(rng), w.mpsc_tx.send(item)).await {
                            r.unwrap_or_else(|_| panic!("mpsc closed"));
                            w.mark_sent(id, SENT);
                        }
                        yields(rng).await;
                    }
                } else if let Ok(mut rx) = timeout(w.wait(rng), w.mpsc_rx.lock()).await {
                    for _ in 0..2 {
                        if let Ok(item) = timeout(w.wait(rng), rx.recv()).await {
                            w.mark_seen(item.expect("mpsc closed"));
                        }
                    }
                }
            }
            12 => {
                if rng.one_in(2) {
                    for _ in 0..2 {
                        let item = w.item();
                        let id = item.id;
                        w.unb_tx
                            .send(item)
                            .unwrap_or_else(|_| panic!("unbounded closed"));
                        w.mark_sent(id, SENT);
                        yields(rng).await;
                    }
                } else if let Ok(mut rx) = timeout(w.wait(rng), w.unb_rx.lock()).await {
                    for _ in 0..3 {
                        if let Ok(item) = timeout(w.wait(rng), rx.recv()).await {
                            w.mark_seen(item.expect("unbounded closed"));
                        }
                    }
                }
            }
            13 => {
                let (tx, rx) = oneshot::channel::<Item>();
                let item = w.item();
                let w2 = arc.clone();
                let mut sub_rng = Rng::new(rng.next());
                let sender = corio::spawn(async move {
                    yields(&mut sub_rng).await;
                    let id = item.id;
                    if tx.send(item).is_ok() {
                        w2.mark_sent(id, SENT_ONESHOT);
                    }
                });
                if rng.one_in(3) {
                    sender.abort();
                }
                if let Ok(Ok(item)) = timeout(w.wait(rng), rx).await {
                    w.mark_seen(item);
                }
            }
            14 => {
                if rng.one_in(2) {
                    let mut seq = w.bcast_seq.lock().unwrap();
                    *seq += 1;
                    let _ = w.bcast_tx.send(*seq);
                } else {
                    let mut rx = w.bcast_tx.subscribe();
                    let (mut last, mut lagged) = (0u64, false);
                    for _ in 0..3 {
                        match timeout(w.wait(rng), rx.recv()).await {
                            Ok(Ok(v)) => {
                                assert!(v > last, "broadcast went back: {v} after {last}");
                                if last != 0 && !lagged {
                                    assert_eq!(v, last + 1, "broadcast skipped a value");
                                }
                                last = v;
                                lagged = false;
                            }
                            Ok(Err(broadcast::RecvError::Lagged(_))) => lagged = true,
                            Ok(Err(e)) => panic!("broadcast: {e}"),
                            Err(_) => {}
                        }
                    }
                }
            }
            15 => {
                if rng.one_in(2) {
                    w.watch_tx.send_modify(|v| *v += 1);
                } else {
                    let mut rx = w.watch_tx.subscribe();
                    let mut last = *rx.borrow_and_update();
                    for _ in 0..2 {
                        if let Ok(r) = timeout(w.wait(rng), rx.changed()).await {
                            r.expect("watch closed");
                            let v = *rx.borrow_and_update();
                            assert!(v > last, "watch went back: {v} after {last}");
                            last = v;
                        }
                    }
                }
            }
            16 => {
                if timeout(w.wait(rng), w.limiter.acquire()).await.is_ok() {
                    w.limiter_taken.fetch_add(1, SeqCst);
                }
            }
            _ => unreachable!(),
        }
    }
    .boxed()
}

async fn queue_op<S: Storage<Item> + Send>(w: &World, q: &QueueBase<Item, S>, rng: &mut Rng) {
    if rng.one_in(2) {
        for _ in 0..2 {
            let item = w.item();
            let id = item.id;
            if rng.one_in(4) {
                if q.put_nowait(item).is_ok() {
                    w.mark_sent(id, SENT);
                }
            } else if let Ok(r) = timeout(w.wait(rng), q.put(item)).await {
                r.unwrap_or_else(|_| panic!("queue shut down"));
                w.mark_sent(id, SENT);
            }
            yields(rng).await;
        }
    } else {
        for _ in 0..2 {
            let got = if rng.one_in(4) {
                q.get_nowait().ok()
            } else {
                timeout(w.wait(rng), q.get())
                    .await
                    .ok()
                    .map(|r| r.expect("queue shut down"))
            };
            if let Some(item) = got {
                w.mark_seen(item);
                q.task_done().unwrap();
            }
            yields(rng).await;
        }
    }
}

/// One task: a basic operation or a combinator over a few of them.
async fn task(w: Arc<World>, id: usize, seed: u64) {
    w.started.fetch_add(1, SeqCst);
    let w2 = w.clone();
    task_body(w, id, seed).await;
    w2.finished.fetch_add(1, SeqCst);
}

async fn task_body(w: Arc<World>, id: usize, seed: u64) {
    let mut rng = Rng::new(seed ^ (id as u64).wrapping_mul(0x1000_0001));
    let kind = rng.below(KINDS);
    let sub = |rng: &mut Rng| basic_op(w.clone(), rng.below(BASIC), Rng::new(rng.next()));
    match kind {
        k if k < BASIC => basic_op(w.clone(), k, rng.clone()).await,
        // gather: all of them, under an outer timeout.
        17 => {
            let ops = vec![sub(&mut rng), sub(&mut rng), sub(&mut rng)];
            let _ = timeout(w.wait(&mut rng) * 2, corio::gather(ops)).await;
        }
        // wait: on spawned operations; abort some of the pending ones, detach the rest.
        18 => {
            let handles: Vec<JoinHandle<()>> =
                (0..3).map(|_| corio::spawn(sub(&mut rng))).collect();
            let when = if rng.one_in(2) {
                ReturnWhen::FirstCompleted
            } else {
                ReturnWhen::AllCompleted
            };
            let (done, pending) = corio::wait(handles, when, Some(w.wait(&mut rng))).await;
            for r in done {
                if let Err(e) = r {
                    assert!(e.is_cancelled(), "a child panicked: {e}");
                }
            }
            for h in pending {
                if rng.one_in(2) {
                    h.abort();
                }
            }
        }
        // as_completed: take one or two, drop the rest.
        19 => {
            let mut stream = corio::as_completed(vec![sub(&mut rng), sub(&mut rng), sub(&mut rng)]);
            for _ in 0..1 + rng.below(2) {
                stream.next().await;
            }
        }
        // select! and race: the losers are dropped.
        20 => {
            let (a, b) = (sub(&mut rng), sub(&mut rng));
            let d = w.wait(&mut rng);
            corio::select! {
                _ = a => {},
                _ = b => {},
                _ = sleep(d) => {},
            }
            let _ = corio::race(sub(&mut rng), sub(&mut rng)).await;
        }
        // timeout_scope around a sequence.
        21 => {
            let (a, b) = (sub(&mut rng), sub(&mut rng));
            let _ = corio::timeout_scope(w.wait(&mut rng), async move {
                a.await;
                b.await;
            })
            .await;
        }
        // TaskGroup: children run operations, one may fail (cancelling the others);
        // an outer timeout may drop the join (cancelling every child).
        22 => {
            let group: TaskGroup<(), &'static str> = TaskGroup::new();
            for _ in 0..3 {
                let op = sub(&mut rng);
                let fail = rng.one_in(4);
                // A sibling may already have failed on another worker: the group is then
                // cancelling and refuses new children (asyncio's TaskGroup raises there).
                // The refused child is handed back and dropped before its first poll.
                let child = group.try_spawn(async move {
                    op.await;
                    if fail {
                        Err("child failed")
                    } else {
                        Ok(())
                    }
                });
                if child.is_err() {
                    break;
                }
            }
            let _ = timeout(w.wait(&mut rng), group.join()).await;
        }
        // shield: the protected put finishes even when the caller gives up.
        23 => {
            let w2 = w.clone();
            let mut sub_rng = Rng::new(rng.next());
            let shielded = corio::shield(async move {
                let item = w2.item();
                let id = item.id;
                if let Ok(r) = timeout(w2.wait(&mut sub_rng), w2.fifo.put(item)).await {
                    r.unwrap_or_else(|_| panic!("queue shut down"));
                    w2.mark_sent(id, SENT);
                }
            });
            if let Ok(Err(e)) = timeout(w.wait(&mut rng), shielded).await {
                assert!(e.is_cancelled(), "shielded work panicked: {e}");
            }
        }
        _ => unreachable!(),
    }
}

/// One task of the soft storm: the operation under a cancel handler.
async fn soft_task(w: Arc<World>, id: usize, seed: u64) {
    w.started.fetch_add(1, SeqCst);
    w.in_flight[id].store(true, SeqCst);
    let mut rng = Rng::new(seed ^ (id as u64).wrapping_mul(0x2000_0003) ^ 0x50F7);
    match rng.below(9) {
        // try: op / finally: a cleanup that awaits.
        0..=4 => {
            let (w2, cleanup_rng) = (w.clone(), Rng::new(rng.next()));
            task::finally(task_body(w.clone(), id, seed), move || {
                cleanup(w2, id, cleanup_rng)
            })
            .await;
        }
        // except CancelledError: carry on with one more operation.
        5 | 6 => {
            if task::catch_cancel(task_body(w.clone(), id, seed))
                .await
                .is_err()
            {
                w.caught[id].store(true, SeqCst);
                assert!(task::cancelling() >= 1, "a caught cancel is counted");
                task::uncancel();
                basic_op(w.clone(), rng.below(BASIC), Rng::new(rng.next())).await;
            }
        }
        // A task group: a child runs the operation under `finally` (a cleanup that
        // awaits), a sibling runs another and may fail. The group cancels the child
        // cooperatively when the sibling fails, and when this task's cancel reaches it
        // (the group takes it), and waits for the cleanup: it runs to its end.
        8 => {
            let (w2, cleanup_rng) = (w.clone(), Rng::new(rng.next()));
            let body = task_body(w.clone(), id, seed);
            let (w3, op, op_rng) = (w.clone(), rng.below(BASIC), Rng::new(rng.next()));
            let fail = rng.one_in(3);
            let _ = corio::task_group(|g| async move {
                g.spawn(async move {
                    task::finally(body, move || cleanup(w2, id, cleanup_rng)).await;
                    Ok(())
                });
                g.spawn(async move {
                    basic_op(w3, op, op_rng).await;
                    if fail {
                        Err("sibling failed")
                    } else {
                        Ok(())
                    }
                });
                Ok::<_, &'static str>(())
            })
            .await;
        }
        // A shielded operation: the cancel lands at the first await after it.
        _ => {
            task::shielded(basic_op(w.clone(), rng.below(BASIC), Rng::new(rng.next()))).await;
            corio::yield_now().await;
        }
    }
    w.in_flight[id].store(false, SeqCst);
    w.finished.fetch_add(1, SeqCst);
}

/// A cleanup that awaits on the primitives, every wait under a timeout (a cleanup is
/// shielded from further cancels; a timeout still ends its waits).
async fn cleanup(w: Arc<World>, id: usize, mut rng: Rng) {
    assert_eq!(w.cleanup[id].swap(CLEANUP_BEGUN, SeqCst), CLEANUP_NONE);
    w.cleanups_begun.fetch_add(1, SeqCst);
    let rng = &mut rng;
    match rng.below(7) {
        0 => {
            let item = w.item();
            let id = item.id;
            if let Ok(r) = timeout(w.wait(rng), w.fifo.put(item)).await {
                r.unwrap_or_else(|_| panic!("queue shut down"));
                w.mark_sent(id, SENT);
            }
        }
        1 => {
            let item = w.item();
            let id = item.id;
            if let Ok(r) = timeout(w.wait(rng), w.mpsc_tx.send(item)).await {
                r.unwrap_or_else(|_| panic!("mpsc closed"));
                w.mark_sent(id, SENT);
            }
        }
        2 => {
            if let Ok(p) = timeout(w.wait(rng), w.sem.acquire()).await {
                let _p = p.unwrap();
                let _in = Held::new(&w.sem_held, 1);
                assert!(w.sem_held.load(SeqCst) <= SEM_PERMITS, "too many permits");
                sleep(w.wait(rng)).await;
            }
        }
        3 => {
            if let Ok(mut g) = timeout(w.wait(rng), w.mutex.lock()).await {
                let _in = Held::new(&w.mutex_inside, 1);
                assert_eq!(w.mutex_inside.load(SeqCst), 1, "two mutex holders");
                yields(rng).await;
                *g += 1;
            }
        }
        4 => {
            if let Ok(r) = timeout(w.wait(rng), w.barrier.wait()).await {
                r.expect("the barrier is never aborted");
            }
        }
        5 => {
            if rng.one_in(2) {
                w.event.set();
                sleep(w.wait(rng)).await;
                w.event.clear();
            } else {
                let _ = timeout(w.wait(rng), w.event.wait()).await;
            }
        }
        _ => {
            // A reply from a helper task (a oneshot), as a cleanup telling a peer.
            let (tx, rx) = oneshot::channel::<Item>();
            let item = w.item();
            let w2 = w.clone();
            let mut sub_rng = Rng::new(rng.next());
            corio::spawn(async move {
                yields(&mut sub_rng).await;
                let id = item.id;
                if tx.send(item).is_ok() {
                    w2.mark_sent(id, SENT_ONESHOT);
                }
            })
            .detach();
            if let Ok(Ok(item)) = timeout(w.wait(rng), rx).await {
                w.mark_seen(item);
            }
        }
    }
    assert_eq!(w.cleanup[id].swap(CLEANUP_ENDED, SeqCst), CLEANUP_BEGUN);
    w.cleanups_ended.fetch_add(1, SeqCst);
}

/// How the storm's driver cancels.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cancel {
    /// `abort()`: the future is dropped at its await.
    Abort,
    /// `cancel()`: the task sees it at its await and may clean up.
    Soft,
}

/// Drains a queue at the end: every item left counts as delivered.
fn drain_queue<S: Storage<Item>>(w: &World, q: &QueueBase<Item, S>) {
    while let Ok(item) = q.get_nowait() {
        w.mark_seen(item);
        q.task_done().unwrap();
    }
    assert_eq!(q.qsize(), 0);
    assert_eq!(q.unfinished_tasks(), 0, "task_done accounting is off");
}

fn storm(
    rt: &Runtime,
    flavor: &'static str,
    how: Cancel,
    tasks: usize,
    seed: u64,
    max_wait_us: usize,
) {
    let _guard = Watchdog::arm(flavor, Duration::from_secs(300));
    on(rt, async move {
        let handle = Handle::current();
        let baseline = handle.num_alive_tasks();
        let w = Arc::new(World::new(tasks, max_wait_us));
        let start = Instant::now();
        let mut rng = Rng::new(seed);
        let (mut ok, mut cancelled) = (0usize, 0usize);
        let mut spawned = 0;
        while spawned < tasks {
            let n = WAVE.min(tasks - spawned);
            let wave: Vec<JoinHandle<()>> = (spawned..spawned + n)
                .map(|id| {
                    let w = w.clone();
                    match how {
                        Cancel::Abort => corio::spawn(task(w, id, seed)),
                        Cancel::Soft => corio::spawn(soft_task(w, id, seed)),
                    }
                })
                .collect();
            let first = spawned;
            spawned += n;
            if how == Cancel::Soft && !rng.one_in(4) {
                // Let a random share of the wave get into its waits (and cleanups) before
                // cancelling (bounded: tasks that finish early may never let it reach).
                let target = first + rng.below(n);
                for _ in 0..10_000 {
                    if w.started.load(SeqCst) >= target {
                        break;
                    }
                    corio::yield_now().await;
                }
            }
            // Cancel about half the wave at random awaits (a few before their first
            // poll, most while they wait). Soft: some twice (one delivery), a few
            // aborted on top, maybe in the middle of their cleanup.
            for _ in 0..n / 2 {
                if rng.one_in(3) {
                    corio::yield_now().await;
                }
                let mut i = rng.below(n);
                if how == Cancel::Soft && !rng.one_in(4) {
                    // Mostly a task in flight: the cancel lands at one of its awaits.
                    for _ in 0..16 {
                        if w.in_flight[first + i].load(SeqCst) {
                            break;
                        }
                        i = rng.below(n);
                    }
                }
                match how {
                    Cancel::Abort => wave[i].abort(),
                    Cancel::Soft => {
                        w.cancels[first + i].fetch_add(1, SeqCst);
                        wave[i].cancel();
                        if rng.one_in(8) {
                            corio::yield_now().await;
                            w.cancels[first + i].fetch_add(1, SeqCst);
                            wave[i].cancel_with("again");
                        }
                        if rng.one_in(16) {
                            corio::yield_now().await;
                            w.aborted[first + i].store(true, SeqCst);
                            wave[i].abort();
                        }
                    }
                }
            }
            for (i, t) in wave.into_iter().enumerate() {
                match t.await {
                    Ok(()) => ok += 1,
                    Err(e) if e.is_cancelled() => {
                        // Caught, and no other cancel or abort came: it must end well.
                        let id = first + i;
                        assert!(
                            !w.caught[id].load(SeqCst)
                                || w.aborted[id].load(SeqCst)
                                || w.cancels[id].load(SeqCst) > 1,
                            "{flavor}: task {id} caught its only cancel but ended cancelled"
                        );
                        cancelled += 1
                    }
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                }
            }
        }
        assert_eq!(ok + cancelled, tasks);
        assert_eq!(w.finished.load(SeqCst), ok);
        // Aborted after their first poll, i.e. at an await inside an operation.
        let mid_flight = w.started.load(SeqCst) - ok;
        assert!(
            mid_flight > 0 && ok > 0,
            "{flavor}: ok {ok}, aborted {cancelled}, mid-flight {mid_flight}"
        );

        // Detached children (from `wait`, oneshot senders, shields) finish on their own.
        settle("alive tasks", 100_000, || {
            handle.num_alive_tasks() == baseline
        })
        .await;
        assert_eq!(handle.num_alive_tasks(), baseline, "{flavor}: tasks left");

        // Soft: every cleanup that began ran to its end, unless its task was aborted.
        let (mut begun, mut cut) = (0usize, 0usize);
        for id in 0..tasks {
            match w.cleanup[id].load(SeqCst) {
                CLEANUP_BEGUN => {
                    assert!(
                        w.aborted[id].load(SeqCst),
                        "{flavor}: task {id}'s cleanup stopped half-way"
                    );
                    cut += 1;
                }
                CLEANUP_ENDED => begun += 1,
                _ => {}
            }
        }
        assert_eq!(
            w.cleanups_begun.load(SeqCst),
            w.cleanups_ended.load(SeqCst) + cut,
            "{flavor}: cleanup count off"
        );
        if how == Cancel::Soft {
            assert!(begun > 0, "{flavor}: no cleanup ran");
        }

        // Permits and locks.
        assert_eq!(
            w.sem.available_permits(),
            SEM_PERMITS,
            "{flavor}: permits lost"
        );
        assert_eq!(w.sem_held.load(SeqCst), 0);
        assert!(w.sem.try_acquire_many(SEM_PERMITS as u32).is_ok());
        assert_eq!(
            w.bsem.available_permits(),
            BSEM_BOUND,
            "{flavor}: permits lost"
        );
        assert!(
            w.bsem.release().is_err(),
            "bounded semaphore over its bound"
        );
        assert!(!w.mutex.is_locked(), "{flavor}: mutex still held");
        assert!(w.mutex.try_lock().is_ok());
        assert!(w.rw.try_write().is_ok(), "{flavor}: rwlock still held");
        assert_eq!(w.readers.load(SeqCst) + w.writers.load(SeqCst), 0);
        assert_eq!(w.barrier.n_waiting(), 0, "{flavor}: barrier waiters left");
        {
            let g = w
                .cond
                .mutex()
                .try_lock()
                .expect("condition lock still held");
            assert_eq!(
                w.cond_produced.load(SeqCst),
                w.cond_consumed.load(SeqCst) + *g,
                "{flavor}: condition counter off"
            );
        }

        // Conservation: drain what is left, then compare sent with received.
        drain_queue(&w, &w.fifo);
        drain_queue(&w, &w.lifo);
        drain_queue(&w, &w.prio);
        {
            let mut rx = w.mpsc_rx.try_lock().expect("mpsc receiver lock held");
            while let Ok(item) = rx.try_recv() {
                w.mark_seen(item);
            }
            let mut rx = w.unb_rx.try_lock().expect("unbounded receiver lock held");
            while let Ok(item) = rx.try_recv() {
                w.mark_seen(item);
            }
        }
        let ids = w.next_id.load(SeqCst);
        let mut delivered = 0;
        for id in 0..ids {
            let (sent, seen) = (w.sent[id].load(SeqCst), w.seen[id].load(SeqCst));
            match sent {
                SENT => assert_eq!(seen, 1, "{flavor}: item {id} accepted but lost"),
                SENT_ONESHOT => assert!(seen <= 1),
                _ => assert_eq!(seen, 0, "{flavor}: item {id} received but never sent"),
            }
            delivered += seen as usize;
        }
        assert!(delivered > 0, "{flavor}: nothing was delivered");
        assert_eq!(w.live.load(SeqCst), 0, "{flavor}: items leaked");

        // The rate limiter: no more than the burst plus what the elapsed time allows.
        let elapsed = start.elapsed();
        let allowed = u64::from(LIMIT_BURST)
            + (elapsed.as_nanos() * u128::from(LIMIT_RATE) / LIMIT_PERIOD.as_nanos()) as u64
            + 1;
        let taken = w.limiter_taken.load(SeqCst);
        assert!(
            taken <= allowed,
            "{flavor}: limiter gave {taken} > {allowed}"
        );
        let caught = w.caught.iter().filter(|c| c.load(SeqCst)).count();
        eprintln!(
            "{flavor} {how:?}: {tasks} tasks, {ok} ok, {cancelled} cancelled ({mid_flight} \
             mid-flight), {begun} cleanups ran ({cut} cut by abort), {caught} caught, {ids} \
             items, {delivered} delivered, {taken} tokens"
        );
    });
}

#[test]
fn cancel_storm_current_thread_paused() {
    let tasks = size(30_000, 100_000);
    let [(flavor, rt), _] = runtimes();
    storm(&rt, flavor, Cancel::Abort, tasks, 0xC0_FFEE, 2_000);
}

#[test]
fn cancel_storm_multi_thread() {
    let tasks = size(30_000, 100_000);
    let [_, (flavor, rt)] = runtimes();
    storm(&rt, flavor, Cancel::Abort, tasks, 0xBEEF, 300);
}

#[test]
fn soft_cancel_storm_current_thread_paused() {
    let tasks = size(30_000, 100_000);
    let [(flavor, rt), _] = runtimes();
    storm(&rt, flavor, Cancel::Soft, tasks, 0x50F7_C0DE, 2_000);
}

#[test]
fn soft_cancel_storm_multi_thread() {
    let tasks = size(30_000, 100_000);
    let [_, (flavor, rt)] = runtimes();
    storm(&rt, flavor, Cancel::Soft, tasks, 0x50F7_BEEF, 300);
}

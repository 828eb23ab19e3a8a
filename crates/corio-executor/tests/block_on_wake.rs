//! Waking a `block_on` future from inside the driver's `park`: the `block_on` that the
//! waking thread drives is only flagged (no unpark of the driver), and any other
//! `block_on` (here a blocking job's `Handle::block_on`, woken on the driving thread) is
//! still unparked.
//!
//! The runtime parks on [`EventDriver`], a driver whose `park` fires the wakers
//! registered with it (as a timer or I/O driver fires them) and that counts the
//! executor's unparks.
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio_core::{Driver, ParkThread, Unpark, Unparker};
use corio_executor::{spawn_blocking, Builder, Executor};

/// What the driver shares with the futures that wait on it.
struct Events {
    /// Wakers to fire on the driver's next `park`.
    due: Mutex<Vec<Waker>>,
    /// Wakes the driver's thread (not counted: registration, not the executor).
    thread: Unparker,
    /// Unparks requested by the executor.
    unparks: AtomicUsize,
}

struct EventDriver {
    park: ParkThread,
    events: Arc<Events>,
}

impl EventDriver {
    fn boxed() -> (Box<dyn Driver>, Arc<Events>) {
        let park = ParkThread::new();
        let events = Arc::new(Events {
            due: Mutex::new(Vec::new()),
            thread: park.unparker(),
            unparks: AtomicUsize::new(0),
        });
        (
            Box::new(EventDriver {
                park,
                events: events.clone(),
            }),
            events,
        )
    }
}

impl Driver for EventDriver {
    fn park(&mut self, timeout: Option<Duration>) -> bool {
        let due = std::mem::take(&mut *self.events.due.lock().unwrap());
        if due.is_empty() {
            return self.park.park(timeout);
        }
        // Fire on the parking thread, then return (as every driver does after events).
        due.into_iter().for_each(Waker::wake);
        true
    }

    fn unparker(&self) -> Unparker {
        struct Counting(Arc<Events>);
        impl Unpark for Counting {
            fn unpark(&self) {
                self.0.unparks.fetch_add(1, Ordering::SeqCst);
                self.0.thread.unpark();
            }
        }
        Unparker::new(Arc::new(Counting(self.events.clone())))
    }
}

/// Ready on its second poll; the first registers the waker with the driver.
struct DriverEvent {
    events: Arc<Events>,
    registered: bool,
}

impl Future for DriverEvent {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.registered {
            return Poll::Ready(());
        }
        self.registered = true;
        self.events.due.lock().unwrap().push(cx.waker().clone());
        self.events.thread.unpark();
        Poll::Pending
    }
}

fn event(events: &Arc<Events>) -> DriverEvent {
    DriverEvent {
        events: events.clone(),
        registered: false,
    }
}

fn runtime(multi: bool) -> (Executor<Box<dyn Driver>>, Arc<Events>) {
    let (driver, events) = EventDriver::boxed();
    let b = Builder::with_stack(driver);
    let b = if multi {
        b.worker_threads(2)
    } else {
        b.current_thread()
    };
    (b.build().unwrap(), events)
}

/// Runs `f` on a thread and fails the test if it has not finished after 10 s (a lost
/// wake-up shows as a hang).
fn within_watchdog(f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("lost wake-up: the scenario hung");
}

#[test]
fn driven_block_on_woken_in_park_needs_no_unpark() {
    let (rt, events) = runtime(false);
    let ev = events.clone();
    rt.block_on(async move {
        for _ in 0..100 {
            event(&ev).await;
        }
    });
    assert_eq!(events.unparks.load(Ordering::SeqCst), 0);
}

#[test]
fn blocking_job_block_on_woken_in_park_is_unparked() {
    for multi in [false, true] {
        within_watchdog(move || {
            let (rt, events) = runtime(multi);
            let h = rt.handle().clone();
            let v = rt.block_on(async move {
                // The job's `block_on` waits for the core (held by this thread) and
                // sleeps on its own parker; its wake comes from this thread's `park`.
                spawn_blocking(move || {
                    h.block_on(async move {
                        for _ in 0..10 {
                            event(&events).await;
                        }
                        5
                    })
                })
                .await
                .unwrap()
            });
            assert_eq!(v, 5, "multi: {multi}");
        });
    }
}

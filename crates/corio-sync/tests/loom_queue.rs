//! loom model of the asyncio-style queue: a waiting getter and a putter, and
//! task_done/join across threads.
#![cfg(loom)]

mod loom_support;

use loom::thread;

use corio_sync::Queue;

#[test]
fn put_get_across_threads() {
    loom::model(|| {
        let q: Queue<u8> = Queue::new(1);
        let q2 = q.clone();
        let t = thread::spawn(move || {
            loom_support::block_on(async {
                q2.put(1).await.unwrap();
                q2.put(2).await.unwrap();
            })
        });
        let got =
            loom_support::block_on(async { (q.get().await.unwrap(), q.get().await.unwrap()) });
        t.join().unwrap();
        assert_eq!(got, (1, 2));
    });
}

#[test]
fn join_released_by_task_done_on_another_thread() {
    loom::model(|| {
        let q: Queue<u8> = Queue::new(0);
        q.put_nowait(1).unwrap();
        let q2 = q.clone();
        let t = thread::spawn(move || {
            q2.get_nowait().unwrap();
            q2.task_done().unwrap();
        });
        loom_support::block_on(q.join());
        t.join().unwrap();
        assert_eq!(q.unfinished_tasks(), 0);
    });
}

//! Seed: "Practical Examples" — the producer/consumer pattern with a queue.
//!
//! `corio::sync::Queue` is `asyncio.Queue`: `put`/`get` wait, `task_done` marks an item
//! processed, `join` waits until every item put has been marked done. The random pauses
//! come from a fixed-seed generator so every run prints the same interleaving.
use corio::sync::Queue;
use std::time::Duration;

/// `random.uniform(lo, hi)` from a seeded xorshift (deterministic output).
fn uniform(rng: &mut u64, lo: f64, hi: f64) -> Duration {
    let mut x = *rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
    // Whole milliseconds keep the virtual-time output identical run to run.
    Duration::from_millis(((lo + (hi - lo) * unit) * 1000.0) as u64)
}

async fn producer(queue: Queue<Option<String>>, producer_id: u32) {
    let mut rng = 0x9E37_79B9_7F4A_7C15 ^ u64::from(producer_id + 1);
    for i in 0..5 {
        let item = format!("Item-{producer_id}-{i}");
        queue
            .put(Some(item.clone()))
            .await
            .expect("the queue is not shut down");
        println!("Producer {producer_id} produced: {item}");
        let pause = uniform(&mut rng, 0.1, 0.5);
        corio::sleep(pause).await;
    }
    queue.put(None).await.expect("the queue is not shut down"); // Signal completion
}

async fn consumer(queue: Queue<Option<String>>, consumer_id: u32) {
    let mut rng = 0xD1B5_4A32_D192_ED03 ^ u64::from(consumer_id + 1);
    loop {
        let item = queue.get().await.expect("the queue is not shut down");
        let Some(item) = item else {
            queue.task_done().expect("one task_done per get");
            break;
        };
        println!("Consumer {consumer_id} consuming: {item}");
        let pause = uniform(&mut rng, 0.2, 0.6);
        corio::sleep(pause).await;
        queue.task_done().expect("one task_done per get");
    }
}

/// The example's async main.
pub async fn main_async() {
    let queue = Queue::new(0); // unbounded, like asyncio.Queue()

    // Create 2 producers and 3 consumers
    let producers: Vec<_> = (0..2)
        .map(|i| corio::spawn(producer(queue.clone(), i)))
        .collect();
    let consumers: Vec<_> = (0..3)
        .map(|i| corio::spawn(consumer(queue.clone(), i)))
        .collect();

    // Wait for producers to finish
    for result in corio::gather(producers).await {
        result.expect("producers do not panic");
    }

    // Wait for the queue to be empty (every item marked done)
    queue.join().await;

    // Cancel consumers
    for c in &consumers {
        c.abort();
    }
    println!("All items processed");
}

fn main() {
    corio::run(main_async());
}

//! Seed: "The Event Loop" — visualization: wall-clock stamps show the workers overlap.
use std::time::Duration;

/// `HH:MM:SS` of the runtime clock, counted from a fixed 14:30:00 start so the output is
/// the seed's (and reproducible on the virtual clock).
fn stamp(start: corio::time::Instant) -> String {
    let secs = 14 * 3600 + 30 * 60 + start.elapsed().as_secs();
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

async fn worker(start: corio::time::Instant, name: &str, delay: u64) -> String {
    println!("{} - {name}: Starting", stamp(start));
    corio::sleep(Duration::from_secs(delay)).await;
    println!("{} - {name}: Finished", stamp(start));
    format!("{name} result")
}

/// The example's async main.
pub async fn main_async() {
    let start = corio::time::Instant::now();
    println!("{} - Main: Starting", stamp(start));
    // All tasks run concurrently on the event loop
    let tasks = vec![
        worker(start, "Worker-1", 3),
        worker(start, "Worker-2", 1),
        worker(start, "Worker-3", 2),
    ];
    let results = corio::gather(tasks).await;
    println!("{} - Main: All done", stamp(start));
    println!("Results: {results:?}");
}

fn main() {
    corio::run(main_async());
}

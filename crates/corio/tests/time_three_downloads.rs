//! "Three downloads of 2 s take exactly 2.000 s": concurrent sleeps overlap, on both
//! runtime flavors, measured on virtual time.

mod support;

use std::time::Duration;

use corio::time::{sleep, Instant};
use corio::Runtime;

async fn download(id: u32) -> u32 {
    sleep(Duration::from_secs(2)).await;
    id
}

fn check(rt: Runtime) {
    rt.block_on(async {
        // With gather in one task.
        let start = Instant::now();
        let got = corio::gather(vec![download(1), download(2), download(3)]).await;
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(start.elapsed(), Duration::from_millis(2000));

        // As three spawned tasks.
        let start = Instant::now();
        let handles: Vec<_> = (1..=3).map(|id| corio::spawn(download(id))).collect();
        let mut got = Vec::new();
        for h in handles {
            got.push(h.await.unwrap());
        }
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(start.elapsed(), Duration::from_millis(2000));

        // Sequentially they take 6 s.
        let start = Instant::now();
        for id in 1..=3 {
            download(id).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(6000));
    });
}

#[test]
fn three_downloads_current_thread() {
    check(support::paused_current_thread());
}

#[test]
fn three_downloads_multi_thread() {
    check(support::paused_multi_thread());
}

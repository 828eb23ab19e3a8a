//! Instruction counts of the runtime seams, for callgrind: each workload runs `N` times
//! (first argument: workload, second: N). Run it with N = 0 and N = 100 000 under
//! `valgrind --tool=callgrind` and divide the difference of the totals by 100 000.
//!
//! Workloads: `sleep_unpolled` (create and drop a `sleep`), `sleep_polled` (create, poll
//! once, drop), `timeout_ready` (`timeout` over a ready future), `task_group` (a
//! `TaskGroup` child spawned through the spawn seam and joined), `spawn` (a task spawned
//! with `corio::spawn` and awaited).

use std::hint::black_box;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let workload = args.next().expect("workload");
    let n: usize = args.next().expect("N").parse().expect("N is a number");
    let rt = corio::Runtime::builder().current_thread().build().unwrap();
    rt.block_on(async move {
        match workload.as_str() {
            "sleep_unpolled" => {
                for i in 0..n {
                    drop(black_box(corio::time::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64,
                    ))));
                }
            }
            "sleep_polled" => {
                for i in 0..n {
                    let mut s = std::pin::pin!(corio::time::sleep(Duration::from_millis(
                        1 + (i % 1000) as u64
                    )));
                    let _ = futures::poll!(s.as_mut());
                }
            }
            "timeout_ready" => {
                for i in 0..n {
                    let r =
                        corio::time::timeout(Duration::from_secs(1), std::future::ready(i)).await;
                    black_box(r.unwrap());
                }
            }
            "task_group" => {
                let group = corio::TaskGroup::<usize, ()>::new();
                for i in 0..n {
                    group.spawn(async move { Ok(i) });
                }
                black_box(group.join().await.unwrap());
            }
            "spawn" => {
                for i in 0..n {
                    black_box(corio::spawn(async move { i }).await.unwrap());
                }
            }
            other => panic!("unknown workload {other}"),
        }
    });
}

//! No zombies: dropped children are reaped, and `output()` under a timeout kills and
//! reaps its child. Own test binary, and the tests take a lock, because they count this
//! process's children.
#![cfg(not(miri))]
// Each test runs its own runtime on its own thread: the lock only serializes tests.
#![allow(clippy::await_holding_lock)]

use std::sync::Mutex;
use std::time::Duration;

use corio_reactor::process::Command;

static SERIAL: Mutex<()> = Mutex::new(());

/// This process's children: (all, zombies).
fn children() -> (usize, usize) {
    let me = std::process::id().to_string();
    let (mut all, mut zombies) = (0, 0);
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let (state, ppid) = (fields.next(), fields.next());
        if ppid == Some(me.as_str()) {
            all += 1;
            zombies += usize::from(state == Some("Z"));
        }
    }
    (all, zombies)
}

/// Waits (in real time: children exit in real time) until `done` holds, at most ~30 s.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..3000 {
        if done() {
            return true;
        }
        corio::spawn_blocking(|| std::thread::sleep(Duration::from_millis(10)))
            .await
            .unwrap();
    }
    done()
}

#[corio::test(start_paused = true)]
async fn a_thousand_dropped_children_leave_no_zombie() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for i in 0..1000 {
        // Some exit before the drop (reaped at once), some after (reaped in the
        // background when their pidfd turns readable).
        let child = if i % 10 == 0 {
            Command::new("sleep").arg("0.05").spawn().unwrap()
        } else {
            Command::new("true").spawn().unwrap()
        };
        drop(child);
    }
    assert!(
        eventually(|| children() == (0, 0)).await,
        "children left (all, zombies): {:?}",
        children()
    );
}

#[corio::test(start_paused = true)]
async fn kill_on_drop_kills_and_reaps() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..10 {
        let child = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        drop(child);
    }
    assert!(
        eventually(|| children() == (0, 0)).await,
        "{:?}",
        children()
    );
}

#[corio::test(start_paused = true)]
async fn output_under_a_timeout_kills_and_reaps_its_child() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let res = corio::timeout(
        Duration::from_secs(5),
        Command::new("sleep").arg("1000").output(),
    )
    .await;
    assert!(res.is_err(), "the timeout fired (virtual time)");
    let res = corio::timeout(
        Duration::from_secs(5),
        Command::new("sleep").arg("1000").status(),
    )
    .await;
    assert!(res.is_err());
    assert!(
        eventually(|| children() == (0, 0)).await,
        "the sleeps were killed and reaped: {:?}",
        children()
    );
}

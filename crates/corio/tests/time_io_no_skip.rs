//! Auto-advance does not skip over pending I/O: a TCP echo over loopback inside a
//! `timeout` completes without the timeout firing, and virtual time does not move; the
//! same for file I/O (on the blocking pool, or in the kernel on io_uring).

mod support;

use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::time::{timeout, Instant};
use corio::Runtime;
use futures::io::{AsyncReadExt, AsyncWriteExt};

const ROUNDS: usize = 20;

async fn echo_rounds() -> std::io::Result<usize> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = corio::spawn(async move {
        let (mut conn, _) = listener.accept().await?;
        let mut buf = [0u8; 64];
        let mut total = 0;
        loop {
            let n = conn.read(&mut buf).await?;
            if n == 0 {
                return Ok::<usize, std::io::Error>(total);
            }
            total += n;
            conn.write_all(&buf[..n]).await?;
        }
    });
    let mut client = TcpStream::connect(addr).await?;
    for i in 0..ROUNDS {
        let msg = format!("ping {i:03}");
        client.write_all(msg.as_bytes()).await?;
        let mut back = vec![0u8; msg.len()];
        client.read_exact(&mut back).await?;
        assert_eq!(back, msg.as_bytes());
    }
    drop(client);
    server.await.unwrap()
}

fn check(rt: Runtime) {
    rt.block_on(async {
        let start = Instant::now();
        let out = timeout(Duration::from_secs(1), echo_rounds()).await;
        let echoed = out.expect("the timeout fired during I/O").unwrap();
        assert_eq!(echoed, ROUNDS * "ping 000".len());
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "virtual time moved during I/O"
        );
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn echo_under_timeout_current_thread() {
    check(support::paused_current_thread());
}

#[test]
fn echo_under_timeout_multi_thread() {
    check(support::paused_multi_thread());
}

/// Writes, reads back and syncs files: on io_uring each is an operation in the kernel
/// (some on its worker threads) that the paused clock must wait for.
async fn file_rounds() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("corio-no-skip-{}", std::process::id()));
    corio::fs::create_dir_all(&dir).await?;
    let path = dir.join(format!("{:?}", std::thread::current().id()));
    for i in 0..ROUNDS {
        let data = vec![i as u8; 4096 * (i + 1)];
        corio::fs::write(path.clone(), data.clone()).await?;
        assert_eq!(corio::fs::read(&path).await?, data);
        let mut f = corio::fs::File::open(&path).await?;
        f.sync_all().await?;
    }
    corio::fs::remove_file(&path).await
}

fn check_files(rt: Runtime) {
    rt.block_on(async {
        let start = Instant::now();
        let out = timeout(Duration::from_secs(1), file_rounds()).await;
        out.expect("the timeout fired during file I/O").unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "virtual time moved during file I/O"
        );
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn files_under_timeout_current_thread() {
    check_files(support::paused_current_thread());
}

#[test]
#[cfg_attr(miri, ignore)]
fn files_under_timeout_multi_thread() {
    check_files(support::paused_multi_thread());
}

//! The `tokio-io` feature: corio's Unix sockets (whole and split), files and child pipes
//! driven through tokio's `AsyncRead`/`AsyncWrite` alone, by tokio's own helpers
//! (`tokio::io::copy`, `BufReader::lines`, `read_to_end`, `shutdown`), as a crate written
//! against tokio's traits would (TCP is the module's doc example; TLS streams are
//! `corio-tls`'s `tls_tokio_io.rs`). No tokio runtime runs.
//!
//! Compiled only with the feature: `cargo test -p corio-reactor --features tokio-io --test
//! tokio_io_traits` (the workspace's `cargo test` enables it through the examples
//! package).
#![cfg(all(feature = "tokio-io", not(miri)))]

use std::process::Stdio;

use corio_reactor::net::UnixStream;
use corio_reactor::process::Command;
use corio_test_util::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// 300 KiB: more than a socket or pipe buffer holds, so reads and writes wait.
fn data() -> Vec<u8> {
    (0..300 * 1024u32).map(|i| (i % 253) as u8).collect()
}

#[corio::test]
async fn unix_streams_and_their_halves() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let sent = data();
    // Whole stream: tokio's write_all + shutdown on one end, an echo through the owned
    // halves with tokio::io::copy on the other.
    let (mut rd, mut wr) = b.into_split();
    let echo = corio::spawn(async move {
        let n = tokio::io::copy(&mut rd, &mut wr).await.unwrap();
        wr.shutdown().await.unwrap();
        n
    });
    let (mut ra, mut wa) = a.split();
    let (_, got) = futures::join!(
        async {
            wa.write_all(&sent).await.unwrap();
            wa.shutdown().await.unwrap();
        },
        async {
            let mut got = Vec::new();
            ra.read_to_end(&mut got).await.unwrap();
            got
        }
    );
    assert_eq!(echo.await.unwrap(), sent.len() as u64);
    assert!(got == sent, "the echo differs");
    // After the peer's shutdown the whole stream reads EOF through tokio's trait too.
    let mut rest = [0u8; 8];
    assert_eq!(a.read(&mut rest).await.unwrap(), 0);
}

#[corio::test]
async fn files_write_and_read_back() {
    let dir = TempDir::new("tokio-io");
    let path = dir.0.join("f");
    let sent = data();
    let mut f = corio_reactor::fs::File::create(&path).await.unwrap();
    f.write_all(&sent).await.unwrap();
    f.write_all(b"\nlast line\n").await.unwrap();
    f.shutdown().await.unwrap(); // tokio's shutdown is the flush for a file
    drop(f);
    let mut f = corio_reactor::fs::File::open(&path).await.unwrap();
    let mut got = vec![0u8; sent.len()];
    f.read_exact(&mut got).await.unwrap();
    assert!(got == sent, "the file's bytes differ");
    let mut tail = String::new();
    f.read_to_string(&mut tail).await.unwrap();
    assert_eq!(tail, "\nlast line\n");
}

#[corio::test]
async fn child_pipes_stdin_stdout_stderr() {
    // `tee /dev/stderr` copies stdin to both outputs.
    let mut child = Command::shell("tee /dev/stderr")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let lines: Vec<String> = (0..5000).map(|i| format!("line {i}")).collect();
    let input = lines.join("\n") + "\n";
    let (_, out, err) = futures::join!(
        async {
            stdin.write_all(input.as_bytes()).await.unwrap();
            stdin.shutdown().await.unwrap();
            drop(stdin); // EOF for tee
        },
        async {
            let mut got = Vec::new();
            let mut reader = BufReader::new(stdout).lines();
            while let Some(line) = reader.next_line().await.unwrap() {
                got.push(line);
            }
            got
        },
        async {
            let mut got = Vec::new();
            stderr.read_to_end(&mut got).await.unwrap();
            got
        }
    );
    assert_eq!(out, lines);
    assert!(err == input.as_bytes(), "stderr differs");
    assert!(child.wait().await.unwrap().success());
}

//! Subprocesses: piping data both ways through `cat`, exit statuses, output, kill.
// Sockets, epoll and processes are system calls Miri cannot run.
#![cfg(not(miri))]
mod support;

use std::process::Stdio;

use corio_reactor::process::Command;
use futures::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn cat_pipes_data_both_ways() {
    support::block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // More than a pipe buffer (64 KiB) each way, concurrently, so neither side can
        // finish without the other making progress.
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let write = async {
            stdin.write_all(&data).await.unwrap();
            drop(stdin); // EOF for cat
        };
        let read = async {
            let mut back = Vec::new();
            stdout.read_to_end(&mut back).await.unwrap();
            back
        };
        let ((), back) = futures::join!(write, read);
        assert_eq!(back, data);
        let status = child.wait().await.unwrap();
        assert!(status.success());
        // Waiting again returns the same status.
        assert_eq!(child.wait().await.unwrap(), status);
    });
}

#[test]
fn output_captures_stdout_stderr_and_status() {
    support::block_on(async {
        let out = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; exit 3"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    });
}

#[test]
fn missing_program_is_not_found() {
    support::block_on(async {
        let err = Command::new("/nonexistent/corio-no-such-program")
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn kill_ends_a_long_running_child() {
    support::block_on(async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        child.kill().await.unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
    });
}

#[test]
fn kill_on_drop_kills_the_child() {
    let pid = support::block_on(async {
        let child = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        child.id()
    });
    // The pool thread reaps it; poll until the pid is gone (bounded).
    for _ in 0..500 {
        // SAFETY: signal 0 only checks whether the process exists.
        if unsafe { libc::kill(pid as i32, 0) } != 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("child {pid} still alive after kill_on_drop");
}

#[test]
fn outside_a_runtime_names_the_function() {
    let err = Command::new("true").spawn().unwrap_err();
    assert!(err.to_string().contains("corio::process::Command::spawn"));
}

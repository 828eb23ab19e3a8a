//! Subprocesses as a service supervises them: signals, `communicate` with large input
//! and output, the shell helper, std commands with everything std can set, bad input.
#![cfg(not(miri))]

use std::io::ErrorKind;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Stdio;

use corio_reactor::process::Command;

#[corio::test(start_paused = true)]
async fn communicate_moves_more_than_a_mib_each_way_without_deadlock() {
    // `tee` copies stdin to stdout and to stderr: 2 MiB in, 2 MiB out on each pipe, far
    // more than the 64 KiB a pipe holds, so only concurrent writing and reading finish.
    let input: Vec<u8> = (0..2 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut child = Command::shell("tee /dev/stderr")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.communicate(Some(&input)).await.unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), input.len());
    assert!(out.stdout == input);
    assert!(out.stderr == input);
}

#[corio::test(start_paused = true)]
async fn communicate_with_a_child_that_ignores_its_input_is_fine() {
    let mut child = Command::shell("echo early")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let big = vec![b'x'; 1 << 20];
    let out = child.communicate(Some(&big)).await.unwrap();
    assert_eq!(out.stdout, b"early\n");
}

#[corio::test(start_paused = true)]
async fn communicate_on_taken_pipes_is_a_clear_error() {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take();
    let err = child.communicate(Some(b"x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("stdout pipe was taken"), "{err}");
    drop(stdout);

    let mut child = Command::new("true").spawn().unwrap();
    let err = child.communicate(Some(b"x")).await.unwrap_err();
    assert!(err.to_string().contains("stdin is not piped"), "{err}");
    // Without input, a child with nothing piped just gives its status.
    let out = child.communicate(None).await.unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
}

#[corio::test(start_paused = true)]
async fn terminate_and_send_signal() {
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    child.terminate().unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGTERM));
    // Reaped: signalling again is a no-op, never a signal to a reused pid.
    child.send_signal(libc::SIGKILL).unwrap();

    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    child.send_signal(libc::SIGUSR2).unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGUSR2));

    let mut child = Command::new("sleep")
        .arg("30")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for bad in [-1, 65, 1000] {
        let err = child.send_signal(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    child.kill().await.unwrap();
}

#[corio::test(start_paused = true)]
async fn shell_helper_runs_a_command_line() {
    let out = Command::shell("printf '%s' \"$GREETING\" && exit 7")
        .env("GREETING", "hi there")
        .output()
        .await
        .unwrap();
    assert_eq!(out.stdout, b"hi there");
    assert_eq!(out.status.code(), Some(7));
}

#[corio::test(start_paused = true)]
async fn a_std_command_keeps_everything_std_can_set() {
    let mut std = std::process::Command::new("/bin/sh");
    // Builtins only: with the environment cleared there is no PATH.
    std.args([
        "-c",
        "echo \"$ONLY\"; umask; read -r _ _ _ _ pgrp _ < /proc/$$/stat; echo $pgrp",
    ])
    .env_clear()
    .env("ONLY", "this")
    .process_group(0);
    // SAFETY: `umask` is async-signal-safe and touches nothing but the child.
    unsafe {
        std.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    let mut cmd = Command::from(std);
    cmd.stdout(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().await.unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, ["this", "0077", &pid.to_string()]);
}

#[corio::test(start_paused = true)]
async fn uid_and_gid_of_our_own_user_are_accepted() {
    // SAFETY: getuid/getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let out = Command::new("id")
        .arg("-u")
        .uid(uid)
        .gid(gid)
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        uid.to_string()
    );
}

#[corio::test(start_paused = true)]
async fn a_missing_program_is_not_found() {
    let err = Command::new("/nonexistent/corio-no-such-program")
        .spawn()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = Command::new("corio-no-such-program-on-path")
        .output()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

//! Running part of a test in a child process and reading what it printed: for code
//! that prints with `std::println!` (the examples), whose output a test cannot capture
//! in-process on stable Rust.
//!
//! The child is the test binary itself, re-run with `<test> --exact --nocapture` and an
//! environment variable that tells the named test to act as the child: it prints a begin
//! marker, runs its body, prints an end marker and exits. The parent keeps the lines
//! between the markers (the harness's own lines fall outside them).

use std::io::Write;
use std::process::Command;

const BEGIN: &str = "--- corio-test-util child output begins ---";
const END: &str = "--- corio-test-util child output ends ---";

/// In the child (when `env` is set), runs `body` with the variable's value between the
/// markers, then exits the process; in the parent, returns at once.
///
/// Call it first thing in the test named in [`run_child`].
pub fn as_child(env: &str, body: impl FnOnce(String)) {
    let Some(value) = std::env::var_os(env) else {
        return;
    };
    // A line of its own: the harness printed `test <name> ... ` without a newline.
    println!("\n{BEGIN}");
    body(value.to_string_lossy().into_owned());
    println!("{END}");
    std::io::stdout().flush().expect("flush stdout");
    std::process::exit(0);
}

/// Re-runs this test binary's test `test` as a child with `env=value` and returns the
/// lines its body printed (see [`as_child`]).
///
/// # Panics
/// If the child fails or its output lacks the markers (the message shows its stdout and
/// stderr).
pub fn run_child(test: &str, env: &str, value: &str) -> Vec<String> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, value)
        .output()
        .expect("the test binary runs as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let begin = lines.iter().position(|l| *l == BEGIN);
    let end = lines.iter().rposition(|l| *l == END);
    match (out.status.success(), begin, end) {
        (true, Some(b), Some(e)) if b < e => {
            lines[b + 1..e].iter().map(|l| l.to_string()).collect()
        }
        _ => panic!(
            "child `{test}` with {env}={value} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

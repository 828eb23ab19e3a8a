//! Shared by this crate's integration tests: generated PKI, a loopback TLS server,
//! outside tools.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::Command;

/// The path of the outside tool `name`, or `None` (the test then skips itself) when it
/// is missing outside CI. In CI (`CI` set) a missing tool fails the test.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("`{name}` is required in CI (.ci/run installs it) but is not on PATH");
        }
        eprintln!("SKIPPED: `{name}` is not installed (apt-get install {name})");
    }
    found
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "corio-tls-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port that was free a moment ago on 127.0.0.1 (for tools that need a port number).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (and reaped) on drop.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (real time, at most 10 s) until something listens on 127.0.0.1:`port`.
pub fn wait_listening(port: u16, child: &mut Child) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("the server exited before listening: {status}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on port {port} after 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

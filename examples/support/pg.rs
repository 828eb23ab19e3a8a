//! PostgreSQL on corio: `tokio-postgres` over corio's sockets (the facade's `tokio-io`
//! feature gives them tokio's I/O traits), a small connection pool, and a throwaway
//! PostgreSQL server for tests and examples.
//!
//! tokio-postgres splits a connection in two: a `Client` that sends queries and a
//! `Connection` future that does the socket I/O. Here the `Connection` is spawned as a
//! corio task; no tokio runtime exists.
//!
//! # Pool invariants
//! 1. At most `size` connections exist: a [`Pooled`] holds one permit of the pool's
//!    semaphore for as long as it holds a client.
//! 2. A client goes back to the idle list on drop only if it is still open; a closed
//!    one (the server went away, its connection task ended) is dropped, and the next
//!    `get` connects afresh, so the pool recovers once the server is back.
//! 3. Cancelling `get` loses nothing: the permit is taken before any connect starts and
//!    is released by drop (a connect in progress is simply dropped with it).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::net::TcpStream;
use corio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Config, NoTls};

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// The TCP connect failed (the server is down, ...).
    Io(io::Error),
    /// The server refused the startup (authentication, unknown database, ...).
    Postgres(tokio_postgres::Error),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Io(e) => write!(f, "cannot reach the PostgreSQL server: {e}"),
            ConnectError::Postgres(e) => write!(f, "PostgreSQL refused the connection: {e}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Io(e) => Some(e),
            ConnectError::Postgres(e) => Some(e),
        }
    }
}

/// Connects to `addr` with `config` (user, database, ...): a corio `TcpStream`, the
/// startup handshake, and the connection future spawned on corio.
///
/// # Errors
/// The TCP connect error, or the server's refusal.
pub async fn connect(config: &Config, addr: SocketAddr) -> Result<Client, ConnectError> {
    let stream = TcpStream::connect(addr).await.map_err(ConnectError::Io)?;
    let _ = stream.set_nodelay(true);
    let (client, connection) = config
        .connect_raw(stream, NoTls)
        .await
        .map_err(ConnectError::Postgres)?;
    drop(corio::spawn(async move {
        // The connection ends when the client is dropped or the server goes away; the
        // client's queries report the latter.
        let _ = connection.await;
    }));
    Ok(client)
}

/// A fixed-size pool of PostgreSQL connections (see the module invariants).
pub struct Pool {
    config: Config,
    addr: SocketAddr,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Client>>,
    opened: AtomicUsize,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("addr", &self.addr)
            .field("available", &self.permits.available_permits())
            .field("opened", &self.opened.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool of up to `size` connections to `addr`; none is opened before the first
    /// [`get`](Self::get).
    pub fn new(config: Config, addr: SocketAddr, size: usize) -> Arc<Pool> {
        Arc::new(Pool {
            config,
            addr,
            permits: Arc::new(Semaphore::new(size)),
            idle: Mutex::new(Vec::new()),
            opened: AtomicUsize::new(0),
        })
    }

    /// How many connections this pool has opened so far (reconnects included).
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    /// A connection: an idle open one, or a new one. Waits while all are in use.
    ///
    /// # Errors
    /// The connect error when a new connection is needed and cannot be made.
    ///
    /// # Cancel safety
    /// Cancel safe (invariant 3).
    pub async fn get(self: &Arc<Pool>) -> Result<Pooled, ConnectError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        loop {
            let idle = self.idle.lock().unwrap().pop();
            match idle {
                Some(client) if client.is_closed() => continue, // invariant 2
                Some(client) => return Ok(self.pooled(client, permit)),
                None => break,
            }
        }
        let client = connect(&self.config, self.addr).await?;
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(self.pooled(client, permit))
    }

    fn pooled(self: &Arc<Pool>, client: Client, permit: OwnedSemaphorePermit) -> Pooled {
        Pooled {
            client: Some(client),
            pool: self.clone(),
            _permit: permit,
        }
    }
}

/// A client borrowed from a [`Pool`]; dereferences to `tokio_postgres::Client` and goes
/// back to the pool on drop.
#[must_use = "dropping a Pooled returns its connection to the pool at once"]
pub struct Pooled {
    client: Option<Client>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl fmt::Debug for Pooled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pooled").finish_non_exhaustive()
    }
}

impl Deref for Pooled {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if !client.is_closed() {
                self.pool.idle.lock().unwrap().push(client);
            }
        }
        // The permit is released after the client is back (invariant 1).
    }
}

/// A PostgreSQL server of its own: `initdb` in a temporary directory, `postgres` on a
/// loopback port, run as the unprivileged `postgres` user when we are root (PostgreSQL
/// refuses to run as root). Stopped and removed on drop.
pub struct TestServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .finish()
    }
}

/// The directory with `initdb` and `postgres`: `$PG_BIN`, else the first
/// `/usr/lib/postgresql/*/bin` (Debian's layout), else `PATH`.
fn pg_bin() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
        dirs.sort();
        if let Some(dir) = dirs.into_iter().rev().find(|d| d.join("postgres").exists()) {
            return Ok(dir);
        }
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if dir.join("postgres").exists() && dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        "PostgreSQL (initdb, postgres) not found: install Debian's postgresql or set PG_BIN",
    ))
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `bin/name args...`, as the `postgres` user when we are root.
fn pg_command(bin: &Path, name: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(name));
        c
    } else {
        Command::new(bin.join(name))
    }
}

impl TestServer {
    /// Initialises a cluster in a fresh temporary directory (trust authentication, user
    /// `postgres`) and starts the server on a free loopback port. Blocking: call it
    /// before the runtime or through `corio::to_thread`.
    ///
    /// # Errors
    /// PostgreSQL is missing, `initdb` failed, or the server did not come up in 60 s.
    pub fn start() -> io::Result<TestServer> {
        let bin = pg_bin()?;
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "corio-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data"))?;
        if is_root() {
            let st = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()?;
            if !st.success() {
                return Err(io::Error::other(format!(
                    "chown postgres {}: {st}",
                    dir.display()
                )));
            }
        }
        let out = pg_command(&bin, "initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(dir.join("data"))
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let mut server = TestServer {
            dir,
            bin,
            port,
            child: None,
        };
        server.start_again()?;
        Ok(server)
    }

    /// Starts the server again after [`stop`](Self::stop), same data and port.
    ///
    /// # Errors
    /// It did not accept connections within 60 s.
    pub fn start_again(&mut self) -> io::Result<()> {
        let child = pg_command(&self.bin, "postgres")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(&self.dir)
            .args(["-c", "fsync=off", "-c", "max_connections=40"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        for _ in 0..600 {
            let st = pg_command(&self.bin, "pg_isready")
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()?;
            if st.success() {
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(io::Error::other(format!(
                    "postgres exited at start: {status}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "postgres did not start in 60 s",
        ))
    }

    /// Stops the server ("fast" shutdown: open sessions are terminated) and waits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let stopped = pg_command(&self.bin, "pg_ctl")
                .args(["stop", "-m", "fast", "-w", "-D"])
                .arg(self.dir.join("data"))
                .stdout(Stdio::null())
                .status();
            if !matches!(stopped, Ok(st) if st.success()) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// A client configuration for it (user `postgres`, database `postgres`).
    pub fn config(&self) -> Config {
        let mut c = Config::new();
        c.user("postgres").dbname("postgres");
        c
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

//! `corio::fs` on both drivers: the same results and errors on epoll (the blocking pool)
//! and on io_uring (`OPENAT`/`READ`/`WRITE`/`STATX`/`FSYNC`/`CLOSE`), a counting spawner
//! showing which path ran, and futures dropped at random points while their operations
//! are in the kernel (no descriptor leaked, every slot released, no data lost).
//!
//! Where the kernel refuses io_uring the io_uring half is skipped; with `CI=1` a refused
//! io_uring fails these tests (CI machines have it).
// Sockets, epoll and io_uring are system calls Miri cannot run.
#![cfg(not(miri))]

use std::future::Future;
use std::io;
use std::panic::Location;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use corio_core::clock::Clock;
use corio_core::task::{AnyOutput, BoxFuture, ErasedJoin, Spawner};
use corio_core::{Driver, RuntimeContext, SpawnError};
use corio_reactor::fs::{self, File, OpenOptions};
use corio_reactor::{Reactor, UringReactor};
use corio_test_util::{block_on_driver, poll_once, Rng, TempDir, ThreadSpawner};
use futures::io::{AsyncReadExt, AsyncWriteExt};

/// The tests of this file count descriptors of the whole process: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// `ThreadSpawner`, counting the blocking jobs (the pool trips) it runs, and those
/// finished.
#[derive(Default)]
struct Counting(AtomicUsize, Arc<AtomicUsize>);

impl Counting {
    /// Every job started has finished.
    fn idle(&self) -> bool {
        self.1.load(Ordering::SeqCst) == self.0.load(Ordering::SeqCst)
    }
}

impl Spawner for Counting {
    fn spawn(
        &self,
        future: BoxFuture<AnyOutput>,
        location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        ThreadSpawner.spawn(future, location)
    }

    fn spawn_blocking(
        &self,
        job: Box<dyn FnOnce() -> AnyOutput + Send>,
        location: &'static Location<'static>,
    ) -> Result<ErasedJoin, SpawnError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let finished = self.1.clone();
        let job = Box::new(move || {
            let out = job();
            finished.fetch_add(1, Ordering::SeqCst);
            out
        });
        ThreadSpawner.spawn_blocking(job, location)
    }
}

/// One driver with its context and the counter of pool trips.
struct Rt {
    name: &'static str,
    driver: Box<dyn Driver>,
    registered: Box<dyn Fn() -> usize>,
    cx: RuntimeContext,
    pool: Arc<Counting>,
}

impl Rt {
    fn uring(&self) -> bool {
        self.name == "io_uring"
    }
    fn block_on<F: Future>(&mut self, f: F) -> F::Output {
        block_on_driver(&mut *self.driver, &self.cx, f)
    }
    fn trips(&self) -> usize {
        self.pool.0.load(Ordering::SeqCst)
    }
    /// Parks until the driver holds no operation (orphans reaped), bounded.
    fn drain(&mut self) {
        for _ in 0..500 {
            if (self.registered)() == 0 {
                return;
            }
            self.driver.park(Some(Duration::from_millis(10)));
        }
        panic!(
            "{}: {} operations never completed",
            self.name,
            (self.registered)()
        );
    }
}

/// The epoll reactor, and the io_uring driver where the kernel has it.
fn drivers() -> Vec<Rt> {
    let pool = Arc::new(Counting::default());
    let epoll = Reactor::new().expect("epoll");
    let handle = epoll.handle();
    let h2 = handle.clone();
    let mut out = vec![Rt {
        name: "epoll",
        driver: Box::new(epoll),
        registered: Box::new(move || h2.registered()),
        cx: RuntimeContext::new(Clock::new())
            .with_reactor(Arc::new(handle))
            .with_spawner(pool.clone()),
        pool,
    }];
    match UringReactor::new() {
        Ok(uring) => {
            let pool = Arc::new(Counting::default());
            let handle = uring.handle();
            let h2 = handle.clone();
            out.push(Rt {
                name: "io_uring",
                driver: Box::new(uring),
                registered: Box::new(move || h2.registered()),
                cx: RuntimeContext::new(Clock::new())
                    .with_reactor(Arc::new(handle))
                    .with_spawner(pool.clone()),
                pool,
            });
        }
        Err(e) if std::env::var_os("CI").is_some() => panic!("io_uring refused on CI: {e}"),
        Err(e) => eprintln!("io_uring refused ({e}): epoll only"),
    }
    out
}

/// The descriptors this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// What each open descriptor refers to (for a leak's message).
fn fd_targets() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let t = std::fs::read_link(e.path()).ok()?;
            Some(format!(
                "{}->{}",
                e.file_name().to_string_lossy(),
                t.display()
            ))
        })
        .collect();
    v.sort();
    v
}

/// The files io_uring rings of this process hold in their registered tables (direct
/// descriptors, `uring::fs` rules 6-8), from each ring's fdinfo.
fn direct_files() -> Vec<String> {
    let mut files = Vec::new();
    for e in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let is_ring =
            std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().contains("io_uring"));
        if !is_ring {
            continue;
        }
        let info = format!("/proc/self/fdinfo/{}", e.file_name().to_string_lossy());
        let Ok(info) = std::fs::read_to_string(info) else {
            continue;
        };
        // "UserFiles:\t<size>" then one "<index>: <path>" line per file in the table.
        let table = info
            .lines()
            .skip_while(|l| !l.starts_with("UserFiles:"))
            .skip(1)
            .take_while(|l| l.starts_with(' ') || l.starts_with('\t'));
        files.extend(table.map(|l| l.trim().to_string()));
    }
    files
}

/// `CORIO_URING_REFUSE=fs`: the kernel's file opcodes are taken as missing.
fn refused() -> bool {
    std::env::var_os("CORIO_URING_REFUSE").is_some_and(|v| v == "fs")
}

/// Same kind, OS error and message as std's error for the same input.
fn same_error(ours: &io::Error, std: &io::Error, what: &str) {
    assert_eq!(ours.kind(), std.kind(), "{what}: {ours} vs std {std}");
    assert_eq!(ours.raw_os_error(), std.raw_os_error(), "{what}");
    assert_eq!(ours.to_string(), std.to_string(), "{what}");
}

/// The futures stay `Send` (they are spawned on multi-thread runtimes).
#[test]
fn the_futures_are_send() {
    fn send<T: Send>(_: T) {}
    let p = Path::new("x");
    send(fs::read(p));
    send(fs::read_to_string(p));
    send(fs::write(p, vec![1u8]));
    send(fs::write(p, [1u8; 4]));
    send(File::open(p));
    send(File::create(p));
    send(OpenOptions::new().read(true).open(p));
    send(async {
        let mut f = File::open(p).await?;
        let mut buf = [0u8; 4];
        f.read_exact(&mut buf).await?;
        f.write_all(b"x").await?;
        f.write_all_at(vec![1], 0).await?;
        f.read_at(1, 0).await?;
        f.sync_all().await?;
        f.sync_data().await
    });
}

#[test]
fn whole_file_helpers_agree_with_std_on_both_drivers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mut rt in drivers() {
        let tmp = TempDir::new(&format!("fs-uring-{}", rt.name));
        let dir = tmp.path().to_path_buf();
        let before = rt.trips();
        let d = dir.clone();
        rt.block_on(async move {
            // Empty, small, exactly the first read's size, and larger than it.
            for len in [0usize, 1, 4096, 16 * 1024, 16 * 1024 + 1, 300_001] {
                let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
                let p = d.join(format!("f{len}"));
                fs::write(p.clone(), data.clone()).await.unwrap();
                assert_eq!(std::fs::read(&p).unwrap(), data, "written {len}");
                assert_eq!(fs::read(&p).await.unwrap(), data, "read {len}");
            }
            // A write replaces (truncates) what was there.
            fs::write(d.join("f300001"), "short").await.unwrap();
            assert_eq!(
                fs::read_to_string(d.join("f300001")).await.unwrap(),
                "short"
            );
            // A procfs file reports size 0 and comes in pieces: read to the end anyway.
            let maps = fs::read("/proc/self/maps").await.unwrap();
            assert!(maps.ends_with(b"\n") && maps.len() > 100);
            // Borrowed 'static contents and a fixed-size array.
            fs::write(d.join("s"), b"static").await.unwrap();
            fs::write(d.join("a"), [7u8; 100]).await.unwrap();
            assert_eq!(fs::read(d.join("a")).await.unwrap(), [7u8; 100]);
        });
        rt.drain();
        assert_eq!(direct_files(), Vec::<String>::new(), "{}: table", rt.name);
        if rt.uring() && !refused() {
            assert_eq!(rt.trips(), before, "io_uring: no pool trip for read/write");
        } else {
            // epoll, or io_uring without the file opcodes.
            assert!(rt.trips() > before, "epoll: the pool");
        }
        // Bad inputs: the same errors as std.
        let d = dir.clone();
        rt.block_on(async move {
            let missing = d.join("missing");
            let e = fs::read(&missing).await.unwrap_err();
            same_error(&e, &std::fs::read(&missing).unwrap_err(), "missing");
            let e = fs::read_to_string(&missing).await.unwrap_err();
            same_error(&e, &std::fs::read(&missing).unwrap_err(), "missing string");
            let e = fs::read(&d).await.unwrap_err();
            same_error(&e, &std::fs::read(&d).unwrap_err(), "directory read");
            let e = fs::write(d.clone(), "x").await.unwrap_err();
            same_error(&e, &std::fs::write(&d, "x").unwrap_err(), "directory write");
            let e = fs::write(missing.join("x"), "x").await.unwrap_err();
            same_error(
                &e,
                &std::fs::write(missing.join("x"), "x").unwrap_err(),
                "missing parent",
            );
            let nul = Path::new("a\0b");
            let e = fs::read(nul).await.unwrap_err();
            same_error(&e, &std::fs::read(nul).unwrap_err(), "NUL read");
            let e = fs::write(nul, "x").await.unwrap_err();
            same_error(&e, &std::fs::write(nul, "x").unwrap_err(), "NUL write");
            let e = File::open(nul).await.unwrap_err();
            same_error(&e, &std::fs::File::open(nul).unwrap_err(), "NUL open");
            fs::write(d.join("bad"), vec![0xff, 0xfe]).await.unwrap();
            let e = fs::read_to_string(d.join("bad")).await.unwrap_err();
            same_error(
                &e,
                &std::fs::read_to_string(d.join("bad")).unwrap_err(),
                "invalid UTF-8",
            );
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The read chain's first read takes the size of the last file read (uring/fs.rs rule
/// 9): files just below, at and above it, after larger and smaller ones, read whole.
#[test]
fn whole_file_reads_around_the_first_read_length() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mut rt in drivers() {
        let tmp = TempDir::new(&format!("fs-uring-hint-{}", rt.name));
        let d = tmp.path().to_path_buf();
        rt.block_on(async move {
            let sizes = [
                100_000, 65_536, 65_537, 65_535, 4097, 4096, 4095, 0, 8191, 12_288, 1, 4096,
                70_000, 3,
            ];
            for (i, len) in sizes.into_iter().enumerate() {
                let data: Vec<u8> = (0..len).map(|b| (b % 251) as u8 ^ i as u8).collect();
                let p = d.join(format!("h{i}"));
                std::fs::write(&p, &data).unwrap();
                let got = fs::read(&p).await.unwrap();
                assert_eq!(got.len(), len, "file {i}");
                assert!(got == data, "file {i} ({len} bytes)");
            }
        });
        rt.drain();
        assert_eq!(direct_files(), Vec::<String>::new(), "{}: table", rt.name);
    }
}

#[test]
// The contradictory options are the point: std's error for them is the reference.
#[allow(clippy::nonsensical_open_options)]
fn files_open_sync_and_positional_io_on_both_drivers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mut rt in drivers() {
        let tmp = TempDir::new(&format!("fs-uring-{}", &format!("file-{}", rt.name)));
        let dir = tmp.path().to_path_buf();
        let d = dir.clone();
        let before = rt.trips();
        rt.block_on(async move {
            let p = d.join("data");
            let mut f = File::create(&p).await.unwrap();
            f.write_all(b"hello world").await.unwrap();
            f.sync_all().await.unwrap();
            f.sync_data().await.unwrap();
            drop(f);
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&p)
                .await
                .unwrap();
            f.write_all_at(b"W".to_vec(), 6).await.unwrap();
            assert_eq!(f.read_at(5, 6).await.unwrap(), b"World");
            assert_eq!(f.read_at(100, 6).await.unwrap(), b"World");
            assert!(f.read_at(10, 1000).await.unwrap().is_empty());
            let mut s = String::new();
            f.read_to_string(&mut s).await.unwrap();
            assert_eq!(s, "hello World");

            // Append, create_new, mode.
            let mut a = OpenOptions::new().append(true).open(&p).await.unwrap();
            a.write_all(b"!").await.unwrap();
            a.flush().await.unwrap();
            assert_eq!(std::fs::read(&p).unwrap(), b"hello World!");
            let e = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .await
                .unwrap_err();
            let se = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .unwrap_err();
            same_error(&e, &se, "create_new on an existing file");
            let q = d.join("private");
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&q)
                .await
                .unwrap();
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&q).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);

            // Contradictory options: std's own error.
            let e = OpenOptions::new()
                .read(true)
                .truncate(true)
                .open(&p)
                .await
                .unwrap_err();
            let se = std::fs::OpenOptions::new()
                .read(true)
                .truncate(true)
                .open(&p)
                .unwrap_err();
            same_error(&e, &se, "truncate without write");
            let e = OpenOptions::new().open(&p).await.unwrap_err();
            same_error(
                &e,
                &std::fs::OpenOptions::new().open(&p).unwrap_err(),
                "no access",
            );

            // Missing file; a directory opened as a file (opens, fails to read).
            let e = File::open(d.join("missing")).await.unwrap_err();
            same_error(
                &e,
                &std::fs::File::open(d.join("missing")).unwrap_err(),
                "missing",
            );
            let mut dir_file = File::open(&d).await.unwrap();
            let mut buf = [0u8; 8];
            let e = dir_file.read(&mut buf).await.unwrap_err();
            let se = io::Read::read(&mut std::fs::File::open(&d).unwrap(), &mut buf).unwrap_err();
            same_error(&e, &se, "directory read");
            let e = dir_file.read_at(8, 0).await.unwrap_err();
            same_error(&e, &se, "directory read_at");
        });
        if rt.uring() && !refused() {
            // Only the two contradictory option sets went to the pool (std words them).
            assert_eq!(rt.trips(), before + 2, "io_uring: File I/O on the ring");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Runs test `name` of this file in a child process with `CORIO_URING_REFUSE=refuse`
/// (the probe and the table are set up once per process). Serial too: while the child
/// runs, this process holds its stdin (`/dev/null`) and the pipes of its output, which
/// a test counting descriptors would take for a leak.
fn run_refused(name: &str, refuse: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads=1"])
        .env("CORIO_URING_REFUSE", refuse)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[test]
fn without_the_file_opcodes_io_uring_keeps_the_pool() {
    if std::env::var_os("CORIO_URING_REFUSE").is_some() {
        return;
    }
    run_refused("whole_file_helpers_agree_with_std_on_both_drivers", "fs");
}

/// A kernel without a sparse registered file table (before 5.19): whole files take
/// the unchained ring path (open, read or write, close as separate operations).
#[test]
fn without_direct_descriptors_whole_files_take_the_unchained_path() {
    if std::env::var_os("CORIO_URING_REFUSE").is_some() {
        return;
    }
    run_refused(
        "whole_file_helpers_agree_with_std_on_both_drivers",
        "direct",
    );
    run_refused("futures_dropped_at_random_points_leak_nothing", "direct");
}

/// A kernel without `IORING_OP_FTRUNCATE` (before 6.9): writes create or truncate, as
/// std (uring/fs.rs rule 10 off).
#[test]
fn without_ftruncate_writes_truncate_first() {
    if std::env::var_os("CORIO_URING_REFUSE").is_some() {
        return;
    }
    run_refused(
        "whole_file_helpers_agree_with_std_on_both_drivers",
        "ftruncate",
    );
    run_refused(
        "writes_over_existing_files_leave_exactly_the_new_contents",
        "ftruncate",
    );
    run_refused("futures_dropped_at_random_points_leak_nothing", "ftruncate");
}

/// `fs::write` over an existing file (uring/fs.rs rule 10: written over in place, then
/// cut to size): longer, shorter, equal and empty contents leave exactly the new bytes;
/// files without a size (a device) take the write; a missing file is created; errors
/// match std's.
#[test]
fn writes_over_existing_files_leave_exactly_the_new_contents() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mut rt in drivers() {
        let tmp = TempDir::new(&format!("fs-uring-over-{}", rt.name));
        let d = tmp.path().to_path_buf();
        rt.block_on(async move {
            let p = d.join("f");
            for (i, len) in [5000usize, 100, 100, 70_000, 0, 4096, 1]
                .into_iter()
                .enumerate()
            {
                let data: Vec<u8> = (0..len).map(|b| (b % 249) as u8 ^ i as u8).collect();
                fs::write(p.clone(), data.clone()).await.unwrap();
                assert!(
                    std::fs::read(&p).unwrap() == data,
                    "write {i} ({len} bytes)"
                );
            }
            fs::write("/dev/null", vec![1u8; 3000]).await.unwrap();
            let ro = d.join("ro");
            std::fs::write(&ro, "old").unwrap();
            let mut perm = std::fs::metadata(&ro).unwrap().permissions();
            perm.set_readonly(true);
            std::fs::set_permissions(&ro, perm).unwrap();
            let ours = fs::write(ro.clone(), "new").await;
            let std = std::fs::write(&ro, "new");
            match (ours, std) {
                (Err(e), Err(se)) => same_error(&e, &se, "read-only file"),
                // Root may write anyway: then both did.
                (Ok(()), Ok(())) => assert_eq!(std::fs::read(&ro).unwrap(), b"new"),
                (o, s) => panic!("read-only file: {o:?} vs std {s:?}"),
            }
        });
        rt.drain();
        assert_eq!(direct_files(), Vec::<String>::new(), "{}: table", rt.name);
    }
}

#[test]
fn a_fifo_reads_and_a_dropped_file_cancels_its_blocked_read() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mut rt in drivers() {
        let tmp = TempDir::new(&format!("fs-uring-{}", &format!("fifo-{}", rt.name)));
        let dir = tmp.path().to_path_buf();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (close_tx, close_rx) = std::sync::mpsc::channel::<()>();
        let w = fifo.clone();
        let writer = std::thread::spawn(move || {
            // Blocks until the reader opens its end.
            let mut f = std::fs::OpenOptions::new().write(true).open(w).unwrap();
            io::Write::write_all(&mut f, b"ping").unwrap();
            close_rx.recv().unwrap();
        });
        let f = fifo.clone();
        let mut file = rt.block_on(async move {
            let mut file = File::open(f).await.unwrap();
            let mut got = [0u8; 4];
            file.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"ping");
            file
        });
        // A read with nothing to read: in the kernel (or on a pool thread) until dropped.
        {
            let _entered = rt.cx.enter();
            let mut buf = [0u8; 8];
            let mut read = std::pin::pin!(file.read(&mut buf));
            assert!(poll_once(&mut read).is_pending());
            rt.driver.park(Some(Duration::from_millis(5)));
            assert!(poll_once(&mut read).is_pending());
        }
        drop(file);
        // io_uring: the drop cancelled the read, its slot comes back with the writer
        // still open. (epoll: the pool's job waits for the writer's close below.)
        rt.drain();
        close_tx.send(()).unwrap();
        writer.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

type Job = Pin<Box<dyn Future<Output = io::Result<()>>>>;

#[test]
fn futures_dropped_at_random_points_leak_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rounds = std::env::var("CORIO_FS_DROP_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    for mut rt in drivers() {
        let tmp = TempDir::new(&format!("fs-uring-{}", &format!("drop-{}", rt.name)));
        let dir = tmp.path().to_path_buf();
        let payload: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("src"), &payload).unwrap();
        // A file the read chain reads whole (below its first read), and one that
        // ends exactly there.
        let small = payload[..4096].to_vec();
        std::fs::write(dir.join("small"), &small).unwrap();
        std::fs::write(dir.join("edge"), &payload[..16 * 1024]).unwrap();
        let fds = open_fds();
        let mut rng = Rng::new(0x5eed);
        let mut completed = 0;
        for round in 0..rounds {
            let (d, p, sm) = (dir.clone(), payload.clone(), small.clone());
            let target = dir.join(format!("w{}", round % 8));
            let mut job: Job = match rng.below(9) {
                0 => Box::pin(async move {
                    assert_eq!(fs::read(d.join("src")).await?, p);
                    Ok(())
                }),
                1 => Box::pin(async move { fs::write(target, p).await }),
                2 => Box::pin(async move {
                    let mut f = File::open(d.join("src")).await?;
                    let mut got = Vec::new();
                    f.read_to_end(&mut got).await?;
                    assert_eq!(got, p);
                    Ok(())
                }),
                3 => Box::pin(async move {
                    let mut f = File::create(target).await?;
                    f.write_all(&p).await?;
                    f.sync_data().await
                }),
                4 => Box::pin(async move {
                    let mut f = File::open(d.join("src")).await?;
                    assert_eq!(f.read_at(100, 19_950).await?, p[19_950..]);
                    Ok(())
                }),
                5 => Box::pin(async move {
                    assert_eq!(fs::read(d.join("small")).await?, sm);
                    Ok(())
                }),
                6 => Box::pin(async move {
                    assert_eq!(fs::read(d.join("edge")).await?, p[..16 * 1024]);
                    Ok(())
                }),
                7 => Box::pin(async move { fs::write(target, sm).await }),
                _ => Box::pin(async move {
                    let e = fs::read(d.join("missing")).await.unwrap_err();
                    assert_eq!(e.kind(), io::ErrorKind::NotFound);
                    Ok(())
                }),
            };
            // Poll a random number of times, letting the kernel progress in between,
            // then drop the future wherever it stands.
            let polls = rng.below(8);
            let _entered = rt.cx.enter();
            for _ in 0..polls {
                match poll_once(&mut job) {
                    Poll::Ready(r) => {
                        r.unwrap();
                        completed += 1;
                        break;
                    }
                    Poll::Pending => {
                        if rng.one_in(2) {
                            rt.driver.park(Some(Duration::ZERO));
                        } else {
                            std::thread::yield_now();
                            rt.driver.park(Some(Duration::from_micros(50)));
                        }
                    }
                }
            }
            drop(job);
            drop(_entered);
            if round % 64 == 63 {
                rt.drain();
            }
        }
        rt.drain();
        if rt.uring() {
            // Rule 8: what abandoned chains left in the ring's table is closed by the
            // next whole-file operation.
            let d = dir.clone();
            rt.block_on(async move { fs::read(d.join("small")).await.map(drop) })
                .unwrap();
            rt.drain();
            assert_eq!(direct_files(), Vec::<String>::new(), "left in the table");
        }
        // The pool's jobs (epoll) finish on their own threads: wait for them to finish
        // and close (up to 20 s: a loaded machine runs 2 000 of them late). Counting
        // descriptors alone let a job that had not opened its file yet create it
        // after the directory's removal had begun ("Directory not empty").
        for _ in 0..2_000 {
            if open_fds() <= fds && rt.pool.idle() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Not idle yet: a late job could still create a file during the removal below.
        assert!(
            rt.pool.idle(),
            "{}: pool jobs still running after 20 s",
            rt.name
        );
        assert_eq!(
            open_fds(),
            fds,
            "{}: descriptors leaked: {:?}",
            rt.name,
            fd_targets()
        );
        assert!(completed > 0, "{}: some jobs ran to the end", rt.name);
        // What a dropped write left behind is a prefix-or-whole file (of the large or
        // the small contents, both prefixes of the payload), never garbage.
        for i in 0..8 {
            if let Ok(got) = std::fs::read(dir.join(format!("w{i}"))) {
                assert!(payload.starts_with(&got), "{}: w{i} corrupted", rt.name);
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Criterion: `corio::fs` next to `tokio::fs` on 10 000 files of 4 KiB (issue 18).
//!
//! - `fs_read_10k_4k`: `fs::read` of each of 10 000 files of 4 KiB (page-cached after
//!   the first round).
//! - `fs_write_10k_4k`: `fs::write` of 4 KiB to each of the 10 000 files (create or
//!   truncate, write, close).
//!
//! Shape, the same on every side: one task spawned per file, all 10 000 at once, then
//! every handle awaited, on a 2-worker multi-thread runtime (the machine's two cores).
//! Sides: `corio-uring` (the io_uring driver: `OPENAT`/`READ`/`WRITE`/`CLOSE` on the
//! ring, no pool thread), `corio-epoll` (the blocking pool, as tokio) and `tokio`
//! (`tokio::fs`, its blocking pool). Throughput: files per second. Target: io_uring at
//! least 2 x tokio's.
//!
//! Run: `cargo bench -p corio-benches --bench fs_bench` (ten one-iteration samples per
//! side after a 1 s warm-up: about a minute per group on a quiet machine).
//!
//! One side alone, for `strace -c -f` or `perf stat` (and its CPU time per file, printed):
//! `FS_BENCH_ONE=read:corio-uring FS_BENCH_ROUNDS=5 target/release/deps/fs_bench-*`
//! (sides `corio-uring`, `corio-epoll`, `tokio`; operations `read`, `write`).

// `criterion_group!` generates undocumented public functions.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};

const FILES: usize = 10_000;
const SIZE: usize = 4096;

/// The 10 000 files in a fresh temporary directory (removed on drop).
struct Files {
    dir: PathBuf,
    paths: Arc<Vec<PathBuf>>,
}

impl Files {
    fn new() -> Files {
        let dir = std::env::temp_dir().join(format!("corio-fs-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data = vec![0x5a; SIZE];
        let paths: Vec<PathBuf> = (0..FILES)
            .map(|i| {
                let p = dir.join(format!("f{i:05}"));
                std::fs::write(&p, &data).unwrap();
                p
            })
            .collect();
        Files {
            dir,
            paths: Arc::new(paths),
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn corio_rt(uring: bool) -> corio::Runtime {
    let b = corio::Runtime::builder().multi_thread().worker_threads(2);
    let b = if uring { b.io_uring() } else { b.epoll() };
    b.build().expect("corio runtime")
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn corio_read(rt: &corio::Runtime, paths: &Arc<Vec<PathBuf>>) {
    let paths = paths.clone();
    rt.block_on(async move {
        let tasks: Vec<_> = (0..FILES)
            .map(|i| {
                let paths = paths.clone();
                corio::spawn(async move { corio::fs::read(&paths[i]).await.unwrap().len() })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        assert_eq!(total, FILES * SIZE);
    });
}

fn corio_write(rt: &corio::Runtime, paths: &Arc<Vec<PathBuf>>) {
    let paths = paths.clone();
    rt.block_on(async move {
        let tasks: Vec<_> = (0..FILES)
            .map(|i| {
                let paths = paths.clone();
                corio::spawn(
                    async move { corio::fs::write(&paths[i], vec![0x5a; SIZE]).await.unwrap() },
                )
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

fn tokio_read(rt: &tokio::runtime::Runtime, paths: &Arc<Vec<PathBuf>>) {
    let paths = paths.clone();
    rt.block_on(async move {
        let tasks: Vec<_> = (0..FILES)
            .map(|i| {
                let paths = paths.clone();
                tokio::spawn(async move { tokio::fs::read(&paths[i]).await.unwrap().len() })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        assert_eq!(total, FILES * SIZE);
    });
}

fn tokio_write(rt: &tokio::runtime::Runtime, paths: &Arc<Vec<PathBuf>>) {
    let paths = paths.clone();
    rt.block_on(async move {
        let tasks: Vec<_> = (0..FILES)
            .map(|i| {
                let paths = paths.clone();
                tokio::spawn(
                    async move { tokio::fs::write(&paths[i], vec![0x5a; SIZE]).await.unwrap() },
                )
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Runs one side's operation once on `files`.
enum Side {
    Corio(corio::Runtime),
    Tokio(tokio::runtime::Runtime),
}

impl Side {
    fn new(name: &str) -> Side {
        match name {
            "corio-uring" => {
                let rt = corio_rt(true);
                let driver = rt.block_on(async { corio::runtime::io_driver() }).unwrap();
                assert_eq!(
                    driver, "io_uring",
                    "io_uring refused here: corio-uring is epoll"
                );
                Side::Corio(rt)
            }
            "corio-epoll" => Side::Corio(corio_rt(false)),
            "tokio" => Side::Tokio(tokio_rt()),
            other => panic!("unknown side {other:?} (corio-uring, corio-epoll, tokio)"),
        }
    }

    fn run(&self, op: &str, files: &Files) {
        match (self, op) {
            (Side::Corio(rt), "read") => corio_read(rt, &files.paths),
            (Side::Corio(rt), "write") => corio_write(rt, &files.paths),
            (Side::Tokio(rt), "read") => tokio_read(rt, &files.paths),
            (Side::Tokio(rt), "write") => tokio_write(rt, &files.paths),
            (_, other) => panic!("unknown operation {other:?} (read, write)"),
        }
    }
}

const SIDES: [&str; 3] = ["corio-uring", "corio-epoll", "tokio"];

fn bench(c: &mut Criterion) {
    let files = Files::new();
    for op in ["read", "write"] {
        let mut g = c.benchmark_group(format!("fs_{op}_10k_4k"));
        g.throughput(Throughput::Elements(FILES as u64));
        // An iteration is 10 000 files (0.1-1 s): ten samples of one iteration each,
        // after a 1 s warm-up, bound the whole run to a few minutes (criterion's
        // defaults ask for 55 iterations per side). These settings are the group's own:
        // criterion gives them precedence over its command-line timing flags.
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        for name in SIDES {
            let side = Side::new(name);
            g.bench_function(name, |b| b.iter(|| side.run(op, &files)));
        }
        g.finish();
    }
}

/// The process's CPU time, user and system (all threads, io_uring workers included).
fn cpu_time() -> (Duration, Duration) {
    // SAFETY: `usage` is a valid rusage to fill.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (tv(usage.ru_utime), tv(usage.ru_stime))
}

fn main() {
    if let Ok(one) = std::env::var("FS_BENCH_ONE") {
        let (op, name) = one
            .split_once(':')
            .expect("FS_BENCH_ONE=<read|write>:<side>");
        let rounds: u32 = std::env::var("FS_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let files = Files::new();
        let side = Side::new(name);
        side.run(op, &files); // warm-up (page cache, pool threads, ring)
        let (cpu, wall) = (cpu_time(), std::time::Instant::now());
        for _ in 0..rounds {
            side.run(op, &files);
        }
        let ((user, sys), wall) = (cpu_time(), wall.elapsed());
        let (user, sys) = (user - cpu.0, sys - cpu.1);
        let per = |d: Duration| d.as_secs_f64() * 1e6 / (f64::from(rounds) * FILES as f64);
        println!(
            "{op} {name}: {rounds} x {FILES} files, wall {:.2} us/file, cpu {:.2} us/file \
             (user {:.2}, sys {:.2})",
            per(wall),
            per(user + sys),
            per(user),
            per(sys)
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}

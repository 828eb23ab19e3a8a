//! Every example of the seed guide, run on corio's virtual clock: its printed lines and
//! its virtual elapsed time are checked against the guide's `# Output:` comments (and,
//! where the guide gives none, against what its code prints).
//!
//! The examples print with `std::println!`, so each one runs in a child process (this
//! binary's `child_section` test) whose stdout is read back. The network examples (25,
//! 29) also run with URL arguments (their `main`, in the `child_with_urls` child),
//! against Python's `http.server` on 127.0.0.1.

use corio_examples::seed::{ex25, ex29, run_section, Mode, Section, SECTIONS};
use corio_test_util::{as_child, free_port, run_child, tool, wait_listening, Child, TempDir};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Set in the child: `<section number> virtual|real`.
const CHILD_ENV: &str = "CORIO_SEED_SECTION";

fn section(number: u32) -> &'static Section {
    SECTIONS
        .iter()
        .find(|s| s.number == number)
        .unwrap_or_else(|| panic!("no section {number}"))
}

/// The child side of [`run`] and [`run_real`]: runs one section, then prints
/// `took <nanoseconds>` after its lines.
#[test]
fn child_section() {
    as_child(CHILD_ENV, |spec| {
        let (number, mode) = spec.split_once(' ').expect("`<number> <mode>`");
        let mode = match mode {
            "virtual" => Mode::Virtual,
            _ => Mode::Real,
        };
        let took = run_section(section(number.parse().expect("a number")), mode);
        println!("took {}", took.as_nanos());
    });
}

/// Runs section `number` in a child with `mode`; returns its lines and the time it took.
fn run_in_child(number: u32, mode: &str) -> (Vec<String>, Duration) {
    let mut lines = run_child("child_section", CHILD_ENV, &format!("{number} {mode}"));
    let took = lines
        .pop()
        .and_then(|l| l.strip_prefix("took ")?.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("section {number}: no `took` line in {lines:?}"));
    (lines, Duration::from_nanos(took))
}

/// Runs section `number` on virtual time; returns its lines and virtual duration.
fn run(number: u32) -> (Vec<String>, Duration) {
    run_in_child(number, "virtual")
}

#[track_caller]
fn check(number: u32, expected: &[&str], secs: f64) {
    let (lines, took) = run(number);
    assert_eq!(lines, expected, "section {number}: output");
    assert_eq!(
        took,
        Duration::from_secs_f64(secs),
        "section {number}: virtual elapsed time"
    );
}

#[test]
fn s01_sync_blocking_takes_six_seconds() {
    check(
        1,
        &[
            "Starting download: file1.txt",
            "Completed download: file1.txt",
            "Starting download: file2.txt",
            "Completed download: file2.txt",
            "Starting download: file3.txt",
            "Completed download: file3.txt",
            "Total time: 6.00 seconds",
        ],
        6.0,
    );
}

#[test]
fn s02_async_gather_takes_two_seconds() {
    check(
        2,
        &[
            "Starting download: file1.txt",
            "Starting download: file2.txt",
            "Starting download: file3.txt",
            "Completed download: file1.txt",
            "Completed download: file2.txt",
            "Completed download: file3.txt",
            "Total time: 2.00 seconds",
        ],
        2.0,
    );
}

#[test]
fn s03_calling_an_async_fn_returns_a_future() {
    let (lines, _) = run(3);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], "Hello");
    assert!(
        lines[1].ends_with("coroutine_function::{{closure}}"),
        "{lines:?}"
    );
    assert_eq!(lines[2], "Hello");
}

#[test]
fn s04_coroutine_pauses_and_resumes() {
    check(
        4,
        &[
            "Before calling coroutine",
            "Coroutine started",
            "Coroutine resumed",
            "Result: Done",
            "After coroutine",
        ],
        1.0,
    );
}

#[test]
fn s05_futures_and_tasks_are_awaitable() {
    check(5, &["Result", "Result"], 2.0);
}

#[test]
fn s06_event_loop_runs_both_tasks() {
    check(
        6,
        &[
            "Starting event loop",
            "Task 1 started",
            "Task 2 started",
            "Task 2 completed",
            "Task 1 completed",
            "Results: [\"Result 1\", \"Result 2\"]",
        ],
        2.0,
    );
}

#[test]
fn s07_event_loop_visualization_timestamps() {
    check(
        7,
        &[
            "14:30:00 - Main: Starting",
            "14:30:00 - Worker-1: Starting",
            "14:30:00 - Worker-2: Starting",
            "14:30:00 - Worker-3: Starting",
            "14:30:01 - Worker-2: Finished",
            "14:30:02 - Worker-3: Finished",
            "14:30:03 - Worker-1: Finished",
            "14:30:03 - Main: All done",
            "Results: [\"Worker-1 result\", \"Worker-2 result\", \"Worker-3 result\"]",
        ],
        3.0,
    );
}

#[test]
fn s08_async_functions_methods_and_closures() {
    check(8, &["data", "data", "42"], 0.0);
}

#[test]
fn s09_sequential_then_concurrent() {
    check(
        9,
        &[
            "Step 1: Starting",
            "Step 1: Done",
            "Step 2: Starting",
            "Step 2: Done",
            "Sequential: Result 1, Result 2",
            "Step 1: Starting",
            "Step 2: Starting",
            "Step 1: Done",
            "Step 2: Done",
            "Concurrent: Result 1, Result 2",
        ],
        3.0,
    );
}

#[test]
fn s10_forgetting_await_gives_a_future() {
    let (lines, took) = run(10);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("fetch_data::{{closure}}"), "{lines:?}");
    assert_eq!(lines[1], "data");
    assert_eq!(took, Duration::from_secs(1));
}

#[test]
fn s11_run() {
    check(11, &["Hello", "World"], 1.0);
}

#[test]
fn s12_create_task() {
    check(12, &["Tasks created", "Hello", "World", "All done"], 2.0);
}

#[test]
fn s13_task_results() {
    check(13, &["Results: 8, 30"], 1.0);
}

#[test]
fn s14_gather_keeps_input_order() {
    check(
        14,
        &[
            "Fetching data 1",
            "Fetching data 2",
            "Fetching data 3",
            "Results: [\"Data 1\", \"Data 2\", \"Data 3\"]",
            "Time taken: 3.00s",
        ],
        3.0,
    );
}

#[test]
fn s15_wait_all_completed() {
    check(
        15,
        &["Task-2 completed", "Task-1 completed", "Task-3 completed"],
        3.0,
    );
}

#[test]
fn s16_as_completed_in_completion_order() {
    check(
        16,
        &[
            "Completed: Data 2 (took 1s)",
            "Completed: Data 3 (took 2s)",
            "Completed: Data 1 (took 3s)",
        ],
        3.0,
    );
}

#[test]
fn s17_async_context_manager() {
    check(
        17,
        &["Acquiring resource", "Using resource", "Releasing resource"],
        3.0,
    );
}

#[test]
fn s18_asynccontextmanager() {
    check(
        18,
        &[
            "Opening data.txt",
            "Working with Handle to data.txt",
            "Closing data.txt",
        ],
        3.0,
    );
}

#[test]
fn s19_async_iterator() {
    check(19, &["1", "2", "3", "4"], 2.0);
}

#[test]
fn s20_async_generator() {
    check(20, &["1", "2", "3", "4"], 2.0);
}

#[test]
fn s21_async_comprehensions() {
    check(21, &["[0, 1, 4, 9, 16]", "0", "1", "4", "9", "16"], 2.0);
}

#[test]
fn s22_try_except() {
    check(22, &["Caught error: Something went wrong!"], 1.0);
}

#[test]
fn s23_gather_errors() {
    check(
        23,
        &[
            "Error: Task failed!",
            "Task 0 succeeded: Success",
            "Task 1 failed: Task failed!",
            "Task 2 succeeded: Success",
        ],
        2.0,
    );
}

#[test]
fn s24_timeout() {
    check(24, &["Operation timed out!"], 2.0);
}

/// Runs section `number` in real time (the network examples do real TLS on loopback:
/// on a paused clock the runtime could take a moment when the kernel is still moving
/// bytes between the sockets for idleness and jump ahead). Returns the lines.
fn run_real(number: u32) -> Vec<String> {
    run_in_child(number, "real").0
}

/// The seconds in a line like "... 1.23s ..." / "... 1.23 seconds ...".
fn seconds_in(line: &str) -> f64 {
    line.split_whitespace()
        .find_map(|w| {
            w.trim_end_matches('s')
                .parse::<f64>()
                .ok()
                .filter(|_| w.contains('.'))
        })
        .unwrap_or_else(|| panic!("no seconds in {line:?}"))
}

#[test]
fn s25_network_requests_over_real_https() {
    let lines = run_real(25);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "Fetched 3 pages");
    assert!(lines[1].starts_with("Time taken: "), "{lines:?}");
    // Each page takes 1 s to answer and the three are fetched at once: at least 1 s
    // (a lower bound only; an upper one would depend on the machine's load).
    assert!(seconds_in(&lines[1]) >= 1.0, "{lines:?}");
}

#[test]
fn s26_database_query_on_the_blocking_pool() {
    check(
        26,
        &["Fetched 3 users", "1: Ada", "2: Grace", "3: Guido"],
        0.0,
    );
}

#[test]
fn s27_file_io() {
    check(
        27,
        &["Read 3 lines from data.txt", "line 1", "line 2", "line 3"],
        0.0,
    );
}

#[test]
fn s28_cpu_bound_blocks_the_loop_until_moved_to_a_thread() {
    check(
        28,
        &[
            "Blocking: found 17984 primes below 200000",
            "Other task ran during the computation: false",
            "to_thread: found 17984 primes below 200000",
            "Other task ran during the computation: true",
        ],
        0.0,
    );
}

#[test]
fn s29_web_scraping_fetches_100_pages_ten_at_a_time() {
    let lines = run_real(29);
    let mut expected: Vec<String> = (1..=10)
        .map(|k| format!("Fetched {}/100 pages", k * 10))
        .collect();
    expected.push(String::new());
    assert_eq!(lines[..11], expected[..], "{lines:?}");
    assert_eq!(lines.len(), 13, "{lines:?}");
    // 100 pages of "<html><body><h1>/pageN</h1></body></html>": 9 with a one-digit
    // number, 90 with two, 1 with three.
    let bytes = 9 * 41 + 90 * 42 + 43;
    let summary = format!("Fetched 100 pages ({bytes} bytes) in ");
    assert!(lines[11].starts_with(&summary), "{lines:?}");
    assert!(
        lines[11].ends_with(" seconds, at most 10 at a time"),
        "{lines:?}"
    );
    // Ten rounds of 0.2 s pages at least.
    assert!(seconds_in(&lines[11]) >= 2.0, "{lines:?}");
    // The semaphore held: the server never had more than 10 requests at once.
    let at_once: usize = lines[12]
        .strip_prefix("The server answered 100 requests, at most ")
        .and_then(|r| r.strip_suffix(" at once"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!((1..=10).contains(&at_once), "{lines:?}");
}

/// Set in the child: `<section number> <url> <url> ...`, for the examples that take URL
/// arguments.
const CHILD_URLS_ENV: &str = "CORIO_SEED_URLS";

/// The child side of [`run_with_urls`]: the example's `main` with those arguments.
#[test]
fn child_with_urls() {
    as_child(CHILD_URLS_ENV, |spec| {
        let mut words = spec.split(' ').map(str::to_owned);
        let number = words.next().expect("a section number");
        let urls: Vec<String> = words.collect();
        match number.as_str() {
            "25" => ex25::main_with_args(urls),
            "29" => ex29::main_with_args(urls),
            n => panic!("section {n} takes no URLs"),
        }
        .expect("the example fetches every URL");
    });
}

/// Runs section `number`'s `main` with `urls` as its arguments, in a child; its lines.
fn run_with_urls(number: u32, urls: &[String]) -> Vec<String> {
    run_child(
        "child_with_urls",
        CHILD_URLS_ENV,
        &format!("{number} {}", urls.join(" ")),
    )
}

/// Python's `http.server` on 127.0.0.1, serving `files` from a temporary directory and
/// logging each request to a file; `None` (skipped) when `python3` is missing outside CI.
struct PythonServer {
    port: u16,
    log: std::path::PathBuf,
    _child: Child,
    _dir: TempDir,
}

impl PythonServer {
    fn start(tag: &str, files: &[(String, String)]) -> Option<PythonServer> {
        let python = tool("python3")?;
        let dir = TempDir::new(tag);
        let www = dir.path().join("www");
        std::fs::create_dir(&www).unwrap();
        for (name, body) in files {
            std::fs::write(www.join(name), body).unwrap();
        }
        let log = dir.path().join("requests.log");
        let port = free_port();
        let child = Command::new(python)
            .args(["-u", "-m", "http.server", "--protocol", "HTTP/1.1"])
            .args(["--bind", "127.0.0.1", "--directory"])
            .arg(&www)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start python3 -m http.server");
        let mut child = Child(child);
        wait_listening(port, &mut child);
        Some(PythonServer {
            port,
            log,
            _child: child,
            _dir: dir,
        })
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// How many `GET /<name>` the server answered with 200 (from its request log).
    fn served(&self, name: &str) -> usize {
        let needle = format!("\"GET /{name} HTTP/1.1\" 200 ");
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter(|l| l.contains(&needle))
            .count()
    }
}

#[test]
fn s25_network_requests_with_url_arguments_fetch_those_urls() {
    let files: Vec<(String, String)> = ["a", "b", "c"]
        .iter()
        .map(|n| (format!("{n}.html"), format!("<h1>{n}</h1>")))
        .collect();
    let Some(server) = PythonServer::start("seed25-urls", &files) else {
        return;
    };
    let urls: Vec<String> = files.iter().map(|(name, _)| server.url(name)).collect();
    let lines = run_with_urls(25, &urls);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "Fetched 3 pages");
    assert!(lines[1].starts_with("Time taken: "), "{lines:?}");
    // The pages came from Python's server (not from the example's own local one).
    for (name, _) in &files {
        assert_eq!(server.served(name), 1, "GET /{name}");
    }
}

#[test]
fn s29_web_scraping_with_url_arguments_scrapes_those_urls() {
    let files: Vec<(String, String)> = (1..=30)
        .map(|i| (format!("page{i}.html"), format!("<p>{}</p>", "x".repeat(i))))
        .collect();
    let Some(server) = PythonServer::start("seed29-urls", &files) else {
        return;
    };
    let urls: Vec<String> = files.iter().map(|(name, _)| server.url(name)).collect();
    let lines = run_with_urls(29, &urls);
    let mut expected: Vec<String> = (1..=10)
        .map(|k| format!("Fetched {}/30 pages", k * 3))
        .collect();
    expected.push(String::new());
    assert_eq!(lines[..11], expected[..], "{lines:?}");
    assert_eq!(lines.len(), 12, "{lines:?}");
    let bytes: usize = files.iter().map(|(_, body)| body.len()).sum();
    let summary = format!("Fetched 30 pages ({bytes} bytes) in ");
    assert!(lines[11].starts_with(&summary), "{lines:?}");
    assert!(
        lines[11].ends_with(" seconds, at most 10 at a time"),
        "{lines:?}"
    );
    for (name, _) in &files {
        assert_eq!(server.served(name), 1, "GET /{name}");
    }
}

#[test]
fn s30_rate_limited_calls_are_half_a_second_apart() {
    let mut expected: Vec<String> = (0..10)
        .map(|i| format!("Making API call {i} (at {:.2}s)", f64::from(i) * 0.5))
        .collect();
    expected.push("Completed 10 calls".to_owned());
    let (lines, took) = run(30);
    assert_eq!(lines, expected);
    assert_eq!(took, Duration::from_secs(5));
}

#[test]
fn s31_producer_consumer_processes_every_item_exactly_once() {
    let (lines, _) = run(31);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("All items processed")
    );
    let mut produced: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once(" produced: ").map(|(_, item)| item))
        .collect();
    let mut consumed: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once(" consuming: ").map(|(_, item)| item))
        .collect();
    produced.sort_unstable();
    consumed.sort_unstable();
    let all: Vec<String> = (0..2)
        .flat_map(|p| (0..5).map(move |i| format!("Item-{p}-{i}")))
        .collect();
    assert_eq!(produced, all);
    assert_eq!(consumed, all);
    // Each producer's items are consumed in the order they were produced (FIFO queue).
    for p in 0..2 {
        let prefix = format!("Item-{p}-");
        let order: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains(" consuming: ") && l.contains(&prefix))
            .collect();
        let mut sorted = order.clone();
        sorted.sort_by_key(|l| l.rsplit('-').next().and_then(|n| n.parse::<u32>().ok()));
        assert_eq!(order, sorted);
    }
    // Same program twice on virtual time: the same interleaving.
    assert_eq!(run(31).0, lines);
}

#[test]
fn every_section_is_covered_by_a_test_here() {
    let tested: Vec<u32> = (1..=31).collect();
    let registered: Vec<u32> = SECTIONS.iter().map(|s| s.number).collect();
    assert_eq!(registered, tested);
}

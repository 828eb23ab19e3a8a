//! The registry of the seed guide's examples: one [`Section`] per code block of
//! `python-async-guide.md`, in the guide's order, and [`run_section`], which runs one on
//! real time or on corio's paused (virtual) clock.
//!
//! The example files in `examples/` are compiled twice: as their own binaries
//! (`cargo run --example 02_async_gather`) and, through `#[path]` modules here, as part
//! of this library, so the tour and `tests/seed_examples.rs` run exactly the same code.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

macro_rules! examples {
    ($($module:ident => $file:literal),* $(,)?) => {
        $(
            #[allow(dead_code, unused_imports, clippy::all)]
            #[path = $file]
            pub mod $module;
        )*
    };
}

examples! {
    ex01 => "../01_sync_blocking.rs",
    ex02 => "../02_async_gather.rs",
    ex03 => "../03_defining_coroutines.rs",
    ex04 => "../04_coroutine_characteristics.rs",
    ex05 => "../05_awaitables.rs",
    ex06 => "../06_event_loop.rs",
    ex07 => "../07_event_loop_visualization.rs",
    ex08 => "../08_async_keyword.rs",
    ex09 => "../09_await_keyword.rs",
    ex10 => "../10_forgetting_await.rs",
    ex11 => "../11_run.rs",
    ex12 => "../12_create_task.rs",
    ex13 => "../13_task_results.rs",
    ex14 => "../14_gather.rs",
    ex15 => "../15_wait.rs",
    ex16 => "../16_as_completed.rs",
    ex17 => "../17_async_context_manager.rs",
    ex18 => "../18_asynccontextmanager.rs",
    ex19 => "../19_async_iterator.rs",
    ex20 => "../20_async_generator.rs",
    ex21 => "../21_async_comprehension.rs",
    ex22 => "../22_try_except.rs",
    ex23 => "../23_gather_errors.rs",
    ex24 => "../24_timeout.rs",
    ex25 => "../25_network_requests.rs",
    ex26 => "../26_database.rs",
    ex27 => "../27_file_io.rs",
    ex28 => "../28_cpu_bound.rs",
    ex29 => "../29_web_scraping.rs",
    ex30 => "../30_rate_limiter.rs",
    ex31 => "../31_producer_consumer.rs",
}

/// A boxed async main of one example.
pub type MainFuture = Pin<Box<dyn Future<Output = ()>>>;

/// How an example runs.
#[derive(Clone, Copy, Debug)]
pub enum Body {
    /// Synchronous code (it blocks the thread it runs on).
    Sync(fn()),
    /// Synchronous code that starts its own runtime with `corio::run` (must run outside one).
    OwnRuntime(fn()),
    /// An async main, run on a runtime the caller builds.
    Async(fn() -> MainFuture),
}

/// One code block of the seed guide.
#[derive(Clone, Copy, Debug)]
pub struct Section {
    /// The number in the example's file name (`02` for `02_async_gather`).
    pub number: u32,
    /// The example's name (`cargo run --example NAME`).
    pub name: &'static str,
    /// The guide's heading for the block.
    pub title: &'static str,
    /// What to run.
    pub body: Body,
    /// Run on a single-threaded loop even on real time (the example is about the loop).
    pub current_thread: bool,
}

/// Real time, or corio's paused clock that jumps to the next timer when all is idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The multi-thread runtime on the real clock.
    Real,
    /// A current-thread runtime on a paused clock (deterministic, finishes at once).
    Virtual,
}

fn boxed<F: Future<Output = ()> + 'static>(f: F) -> MainFuture {
    Box::pin(f)
}

macro_rules! section {
    ($n:literal, $name:literal, $title:literal, sync $f:path) => {
        Section {
            number: $n,
            name: $name,
            title: $title,
            body: Body::Sync($f),
            current_thread: false,
        }
    };
    ($n:literal, $name:literal, $title:literal, own $f:path) => {
        Section {
            number: $n,
            name: $name,
            title: $title,
            body: Body::OwnRuntime($f),
            current_thread: false,
        }
    };
    ($n:literal, $name:literal, $title:literal, async $e:expr) => {
        Section {
            number: $n,
            name: $name,
            title: $title,
            body: Body::Async(|| boxed($e)),
            current_thread: false,
        }
    };
}

/// Every example, in the guide's order.
pub const SECTIONS: &[Section] = &[
    section!(1, "01_sync_blocking", "Synchronous code (blocking)", sync ex01::main_sync),
    section!(2, "02_async_gather", "Asynchronous code (non-blocking)", async async { ex02::main_async().await; }),
    section!(3, "03_defining_coroutines", "Defining coroutines", own ex03::main_sync),
    section!(4, "04_coroutine_characteristics", "Coroutine characteristics", async ex04::main_async()),
    section!(5, "05_awaitables", "Awaitable objects", async ex05::main_async()),
    section!(6, "06_event_loop", "Understanding the event loop", async ex06::main_async()),
    section!(7, "07_event_loop_visualization", "Event loop visualization", async ex07::main_async()),
    section!(8, "08_async_keyword", "The async keyword", async ex08::main_async()),
    section!(9, "09_await_keyword", "The await keyword", async ex09::main_async()),
    section!(10, "10_forgetting_await", "Common mistake: forgetting await", async ex10::main_async()),
    section!(11, "11_run", "Using corio::run (asyncio.run)", async ex11::main_async()),
    section!(12, "12_create_task", "Using corio::spawn (asyncio.create_task)", async ex12::main_async()),
    section!(13, "13_task_results", "Getting task results", async ex13::main_async()),
    section!(14, "14_gather", "Using gather", async ex14::main_async()),
    section!(15, "15_wait", "Using wait", async ex15::main_async()),
    section!(16, "16_as_completed", "Using as_completed", async ex16::main_async()),
    section!(17, "17_async_context_manager", "Defining async context managers", async ex17::main_async()),
    section!(18, "18_asynccontextmanager", "Using @asynccontextmanager", async ex18::main_async()),
    section!(19, "19_async_iterator", "Async iterators", async ex19::main_async()),
    section!(20, "20_async_generator", "Async generators", async ex20::main_async()),
    section!(21, "21_async_comprehension", "Async comprehensions", async ex21::main_async()),
    section!(22, "22_try_except", "Try/except with async", async ex22::main_async()),
    section!(23, "23_gather_errors", "Handling errors in gather", async ex23::main_async()),
    section!(24, "24_timeout", "Timeout handling", async ex24::main_async()),
    section!(25, "25_network_requests", "Network requests", async async { ex25::main_async().await.expect("network example") }),
    section!(26, "26_database", "Database queries", async async { ex26::main_async().await.expect("database example") }),
    section!(27, "27_file_io", "File I/O operations", async async { ex27::main_async().await.expect("file example") }),
    Section {
        current_thread: true,
        ..section!(28, "28_cpu_bound", "CPU-bound work blocks the loop", async ex28::main_async())
    },
    section!(29, "29_web_scraping", "Web scraping", async async { ex29::main_async().await.expect("scraping example") }),
    section!(30, "30_rate_limiter", "Rate-limited API calls", async ex30::main_async()),
    section!(31, "31_producer_consumer", "Producer-consumer pattern", async ex31::main_async()),
];

/// Runs one section and returns how long it took on the clock it ran on (virtual time in
/// [`Mode::Virtual`]).
///
/// # Panics
/// If the runtime cannot be built, or the example fails.
pub fn run_section(section: &Section, mode: Mode) -> Duration {
    let runtime = || {
        let mut b = corio::Runtime::builder();
        b = if mode == Mode::Virtual || section.current_thread {
            b.current_thread()
        } else {
            b.multi_thread()
        };
        b.start_paused(mode == Mode::Virtual)
            .build()
            .expect("the runtime starts")
    };
    match section.body {
        Body::OwnRuntime(f) => {
            let start = Instant::now();
            f();
            if mode == Mode::Virtual {
                Duration::ZERO
            } else {
                start.elapsed()
            }
        }
        Body::Sync(f) if mode == Mode::Real => {
            let start = Instant::now();
            f();
            start.elapsed()
        }
        Body::Sync(f) => runtime().block_on(async move {
            let start = corio::time::Instant::now();
            f();
            start.elapsed()
        }),
        Body::Async(f) => runtime().block_on(async move {
            let start = corio::time::Instant::now();
            f().await;
            start.elapsed()
        }),
    }
}

//! The corio tour: every example of the Python async guide, in the guide's order, on
//! corio — the README's first command.
//!
//! ```text
//! cargo run --release --example tour               # real time (about 50 s)
//! cargo run --release --example tour -- --virtual  # corio's virtual clock: well under a second
//! cargo run --release --example tour -- 14 29      # only some sections (by number)
//! ```
use corio_examples::seed::{run_section, Mode, SECTIONS};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: tour [--virtual] [SECTION ...]   (SECTION: a number from 1 to 31)";

fn main() -> ExitCode {
    let mut mode = Mode::Real;
    let mut wanted = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--virtual" => mode = Mode::Virtual,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            n => match n.parse::<u32>() {
                Ok(n) if (1..=31).contains(&n) => wanted.push(n),
                _ => {
                    eprintln!("tour: unknown argument {arg:?}\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
        }
    }

    let clock = match mode {
        Mode::Real => "real time",
        Mode::Virtual => "virtual time (paused clock, auto-advance)",
    };
    println!("corio tour: the Python async guide's examples, on {clock}\n");
    let started = Instant::now();
    for section in SECTIONS {
        if !wanted.is_empty() && !wanted.contains(&section.number) {
            continue;
        }
        println!(
            "── {:02}. {} (cargo run --example {})",
            section.number, section.title, section.name
        );
        let took = run_section(section, mode);
        println!("   [{:.2} s]\n", took.as_secs_f64());
    }
    println!(
        "tour finished in {:.2} s of wall-clock time",
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

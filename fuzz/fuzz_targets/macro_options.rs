//! The option parser of `#[corio::main]` / `#[corio::test]`
//! (`crates/corio-macros/src/options.rs`, included by path: a proc-macro crate cannot be
//! linked into a fuzz target, and the parser needs nothing of `proc_macro` itself). Any
//! token stream must give options that keep the parser's promises, or errors with a
//! message, never a panic.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/corio-macros/src/options.rs"]
mod options;

use options::{Flavor, Kind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Not every string is a token stream (unbalanced delimiters): the compiler would
    // have rejected it before the macro ran.
    let Ok(tokens) = proc_macro2::TokenStream::from_str(text) else {
        return;
    };
    for kind in [Kind::Main, Kind::Test] {
        match options::parse(kind, tokens.clone()) {
            Ok(o) => {
                // `worker_threads` only with the multi-thread flavor, and never 0.
                if let Some(n) = o.worker_threads {
                    assert!(n > 0);
                    assert_eq!(o.flavor, Flavor::MultiThread);
                }
                // Every option that was given is one of the three: an empty input gives
                // the defaults.
                if tokens.is_empty() {
                    let d = options::Options::defaults(kind);
                    assert_eq!(
                        (o.flavor, o.worker_threads, o.start_paused),
                        (d.flavor, d.worker_threads, d.start_paused)
                    );
                }
            }
            Err(e) => {
                for one in e {
                    assert!(!one.to_string().is_empty());
                }
            }
        }
    }
});

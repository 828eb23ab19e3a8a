//! Misuse of `#[corio::main]` / `#[corio::test]` is a compile error with a clear message
//! pointing at the offending token (`tests/ui/*.stderr`); real `fn main`s expanded by the
//! macro compile and run (`tests/ui/pass_*.rs`).
//!
//! Refresh the expected output after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p corio-macros --test compile_fail`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail_*.rs");
    t.pass("tests/ui/pass_*.rs");
}

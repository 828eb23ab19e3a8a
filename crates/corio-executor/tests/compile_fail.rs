//! Compile-time checks: a `!Send` future cannot be given to `spawn` (use `spawn_local`).
//!
//! The expected compiler messages live next to each case in `tests/ui/`; regenerate
//! them with `TRYBUILD=overwrite cargo test -p corio-executor --test compile_fail`
//! after a toolchain update.

#[test]
#[cfg_attr(miri, ignore)]
fn not_send_futures_are_rejected_by_spawn() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

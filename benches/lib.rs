//! Shared helpers for the corio benchmarks (the benches themselves are `[[bench]]` targets).

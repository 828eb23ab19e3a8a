//! corio-reactor (placeholder).

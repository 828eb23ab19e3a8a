//! corio-executor (placeholder).

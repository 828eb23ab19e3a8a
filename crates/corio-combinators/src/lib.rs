//! corio-combinators (placeholder).

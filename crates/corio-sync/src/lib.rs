//! corio-sync (placeholder).

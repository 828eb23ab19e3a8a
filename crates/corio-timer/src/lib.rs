//! corio-timer (placeholder).

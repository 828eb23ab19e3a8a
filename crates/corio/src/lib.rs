//! corio: asyncio for Rust (facade; wiring lands with the foundation issue).

//! `use corio::prelude::*;` — the stream and future extension traits that async
//! comprehensions are written with (`map`, `then`, `filter`, `take`, `collect`, `next`).
//!
//! # Examples
//!
//! `[await square(x) async for x in numbers]`:
//!
//! ```
//! use corio::prelude::*;
//!
//! async fn square(x: u64) -> u64 {
//!     x * x
//! }
//!
//! let squares: Vec<u64> = corio::run(async {
//!     corio::stream(|mut y| async move {
//!         for i in 0..5 {
//!             y.yield_(i).await;
//!         }
//!     })
//!     .then(square)
//!     .collect()
//!     .await
//! });
//! assert_eq!(squares, [0, 1, 4, 9, 16]);
//! ```

pub use corio_combinators::prelude::*;

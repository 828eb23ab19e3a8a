//! Comprehension-style stream combinators: `use corio_combinators::prelude::*;`.
//!
//! Python's async comprehensions map onto [`StreamExt`] methods:
//!
//! | Python | corio |
//! |---|---|
//! | `[x async for x in g]` | `g.collect::<Vec<_>>().await` |
//! | `[f(x) async for x in g]` | `g.map(f).collect()` |
//! | `[await f(x) async for x in g]` | `g.then(f).collect()` |
//! | `[x async for x in g if p(x)]` | `g.filter(\|x\| ready(p(x))).collect()` |
//! | first `n` items | `g.take(n)` |
//!
//! # Examples
//!
//! `[await double(x) async for x in numbers() if x % 2 == 0]`:
//!
//! ```
//! use corio_combinators::prelude::*;
//! use corio_combinators::stream;
//! use std::future::ready;
//!
//! async fn double(x: u32) -> u32 { x * 2 }
//!
//! futures::executor::block_on(async {
//!     let numbers = stream(|mut y| async move {
//!         for i in 0..6 {
//!             y.yield_(i).await;
//!         }
//!     });
//!     let out: Vec<u32> = numbers
//!         .filter(|x| ready(x % 2 == 0))
//!         .then(double)
//!         .take(2)
//!         .collect()
//!         .await;
//!     assert_eq!(out, [0, 4]);
//! });
//! ```

pub use futures::future::{FutureExt, TryFutureExt};
pub use futures::stream::{Stream, StreamExt, TryStreamExt};

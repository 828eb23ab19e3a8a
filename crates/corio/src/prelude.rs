//! `use corio::prelude::*;` — the stream and future extension traits that async
//! comprehensions are written with (`map`, `then`, `filter`, `take`, `collect`, `next`),
//! and the I/O extension traits (`read_exact`, `write_all`, `read_line`, `lines`,
//! `read_until`).
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
//!
//! asyncio's `reader.readline()` and `readuntil()`:
//!
//! ```
//! use corio::prelude::*;
//! use futures::io::BufReader;
//! use futures::TryStreamExt;
//!
//! corio::run(async {
//!     let (mut client, server) = corio::io::duplex(64);
//!     client.write_all(b"first line\nsecond;rest").await.unwrap();
//!     client.close().await.unwrap();
//!     let mut reader = BufReader::new(server);
//!     let mut line = String::new();
//!     reader.read_line(&mut line).await.unwrap();
//!     assert_eq!(line, "first line\n");
//!     let mut until = Vec::new();
//!     reader.read_until(b';', &mut until).await.unwrap();
//!     assert_eq!(until, b"second;");
//!     let rest: Vec<String> = reader.lines().try_collect().await.unwrap();
//!     assert_eq!(rest, ["rest"]);
//! });
//! ```

pub use corio_combinators::prelude::{FutureExt, Stream, StreamExt, TryFutureExt, TryStreamExt};

/// The byte-stream extension traits: `read`, `read_exact`, `read_to_end`, `write_all`,
/// `close` on every corio socket, pipe and file, and `read_line`, `lines`, `read_until`
/// on a `BufReader` of one (asyncio's `StreamReader.readline`/`readuntil`).
pub use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

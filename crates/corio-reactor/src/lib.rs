//! corio's I/O crate: the event loop ([`Reactor`], an edge-triggered epoll
//! [`Driver`](corio_core::Driver), and [`Async<T>`] for any file descriptor) and what is
//! built on it, one module each: sockets ([`net`]), signals ([`signal`]), subprocesses
//! ([`process`]), files on the blocking pool ([`fs`]).
//!
//! # Layout
//!
//! - `reactor/`: the event loop alone (epoll, registrations, the readiness state
//!   machine, `Async<T>`). Nothing in it knows about sockets, files or processes.
//! - [`net`]: TCP, UDP and Unix sockets; one stream-I/O core (`net/stream_io.rs`) serves
//!   `TcpStream`, `UnixStream` and their halves.
//! - [`signal`], [`process`]: need the event loop (an eventfd, pidfds, pipes), so they
//!   are modules of this crate rather than crates of their own (a crate depends only on
//!   `corio-core`: the leaf rule).
//! - [`fs`]: blocking-pool file I/O through the spawn seam; it shares the blocking
//!   helper with host-name resolution and process reaping.
//!
//! In a corio runtime the facade creates the [`Reactor`], makes it the innermost driver
//! (executor → timer → reactor) and installs its [`ReactorHandle`] in the runtime
//! context, so `corio::net::TcpStream::connect(..)` just works.
//!
//! # Using the reactor alone
//!
//! `Reactor::new()?` is a [`Driver`](corio_core::Driver). To drive futures with it,
//! install its handle in the reactor slot of a [`RuntimeContext`](corio_core::RuntimeContext)
//! and park the reactor between polls. This is a complete, single-future executor:
//!
//! ```
//! use corio_core::{clock::Clock, Driver, RuntimeContext};
//! use corio_reactor::net::{TcpListener, TcpStream};
//! use corio_reactor::Reactor;
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//! use std::future::Future;
//! use std::pin::pin;
//! use std::sync::Arc;
//! use std::task::{Context, Poll, Wake, Waker};
//!
//! fn block_on<F: Future>(future: F) -> std::io::Result<F::Output> {
//!     let mut reactor = Reactor::new()?;
//!     let cx = RuntimeContext::new(Clock::new()).with_reactor(Arc::new(reactor.handle()));
//!     let _entered = cx.enter();
//!
//!     // Waking the future unparks the reactor (from any thread).
//!     struct Unpark(corio_core::Unparker);
//!     impl Wake for Unpark {
//!         fn wake(self: Arc<Self>) { self.0.unpark() }
//!     }
//!     let waker = Waker::from(Arc::new(Unpark(reactor.unparker())));
//!
//!     let mut future = pin!(future);
//!     loop {
//!         if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
//!             return Ok(out);
//!         }
//!         reactor.park(None); // until an I/O event or a wake-up
//!     }
//! }
//!
//! block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let mut client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (mut server, _) = listener.accept().await?;
//!     client.write_all(b"ping").await?;
//!     let mut buf = [0; 4];
//!     server.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"ping");
//!     Ok::<(), std::io::Error>(())
//! })??;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! [`fs`], host-name resolution and [`process`] also need a blocking pool: add a
//! [`Spawner`](corio_core::task::Spawner) with `RuntimeContext::with_spawner`.
//!
//! # Implementation
//!
//! - One epoll registration per descriptor (`EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET`)
//!   with a reader waker and a writer waker, so halves of a stream work from two tasks.
//! - The epoll user data is a slab index plus a generation, never the fd: a closed and
//!   reused fd number cannot receive a stale wake-up.
//! - Readiness is cleared only when an operation returns `WouldBlock`, and only if no
//!   newer event arrived meanwhile (a tick counter), so edge-triggered events are never
//!   lost, and a cancelled read or write loses no data.
//! - Every I/O poll spends one unit of the cooperative budget (`corio_core::coop`).
//! - `unpark` writes to an eventfd (once per park cycle).

#![warn(clippy::undocumented_unsafe_blocks)]

mod blocking;
pub mod fs;
pub mod io;
pub mod net;
pub mod process;
mod reactor;
pub mod signal;
mod sys;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod uring;

pub use reactor::async_fd::Async;
pub use reactor::interest::{Interest, Ready};
pub use reactor::{Reactor, ReactorHandle};
pub use uring::UringReactor;

/// Internals exposed to the loom models in `tests/loom_*.rs` only.
#[cfg(loom)]
#[doc(hidden)]
#[path = "loom_api.rs"]
pub mod __loom;

//! Multi-producer, single-consumer channels: [`channel`] (bounded) and
//! [`unbounded_channel`].
//!
//! Senders are cloneable; the receiver is also a `futures::Stream`. The channel is
//! closed for the receiver when every sender is gone (`recv` returns `None` after the
//! buffered messages), and for the senders when the receiver is gone or closed (sends
//! fail with the value handed back). A send admitted before the receiver closed the
//! channel — a reserved [`Permit`] included — is still delivered: after
//! [`Receiver::close`], `recv` returns `None` only once nothing is buffered and no
//! permit is outstanding, as tokio's does. No order of close, reserve, send and drop
//! loses a message: each is received, or handed back to its sender as an error, or
//! dropped with the receiver.
//!
//! # Examples
//!
//! ```
//! use corio_sync::mpsc;
//! use futures::StreamExt;
//!
//! futures::executor::block_on(async {
//!     let (tx, rx) = mpsc::channel(8);
//!     for id in 0..3 {
//!         let tx = tx.clone();
//!         tx.send(id).await.unwrap();
//!     }
//!     drop(tx);
//!     let got: Vec<i32> = rx.collect().await;
//!     assert_eq!(got, [0, 1, 2]);
//! });
//! ```

mod bounded;
mod chan;
/// The channel errors (also re-exported here), at tokio's path `mpsc::error`.
pub mod error;
mod list;
mod receiver;
mod ring;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender};
pub use error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
